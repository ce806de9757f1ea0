"""The Teams app package: `teams/manifest.json` with the bot's app id filled in, and its two
icons, zipped flat as Teams wants it for "Upload an app"."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parents[2] / "teams"
PLACEHOLDER = "{{DEALBOT_TEAMS_APP_ID}}"
ICONS = ("color.png", "outline.png")
GUID = re.compile(r"^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$")


class PackageError(ValueError):
    """The package cannot be made; the message says what to fix."""


def manifest_for(app_id: str, folder: Path = FOLDER) -> dict[str, Any]:
    """The manifest naming this bot (its Microsoft App ID is also the Teams app's id)."""
    app_id = app_id.strip().lower()
    if not GUID.match(app_id):
        raise PackageError(
            f"'{app_id}' is not a Microsoft App ID; copy it from the Azure Bot's Configuration "
            "page (it looks like 1b2c3d4e-0000-1111-2222-333344445555)"
        )
    try:
        text = (folder / "manifest.json").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PackageError(f"no manifest.json in {folder}") from None
    manifest: dict[str, Any] = json.loads(text.replace(PLACEHOLDER, app_id))
    return manifest


def write_package(out: Path, app_id: str, folder: Path = FOLDER) -> Path:
    """Write the zip to `out` and return where it went."""
    manifest = manifest_for(app_id, folder)
    missing = [icon for icon in ICONS if not (folder / icon).is_file()]
    if missing:
        raise PackageError(f"{', '.join(missing)} missing from {folder}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        for icon in ICONS:
            package.write(folder / icon, icon)
    return out
