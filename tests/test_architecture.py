"""Imports flow one way: bot -> handlers -> core, storage -> core; frameworks stay in bot/.

Every module under the four layers is parsed (not imported) and each import is checked against
the layer's allowed roots. Imports inside functions and `if TYPE_CHECKING:` count too: an arrow
is an arrow whenever it runs.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("bot", "handlers", "core", "storage")
STDLIB = frozenset(sys.stdlib_module_names)
FRAMEWORKS = frozenset(
    {
        "slack_bolt",
        "slack_sdk",
        "botbuilder",
        "botframework",
        "litellm",
        "apscheduler",
        "fastapi",
        "starlette",
        "uvicorn",
        "sklearn",
        "numpy",
        "typer",
        "rich",
    }
)
# Roots each layer may import besides the standard library; None means anything.
ALLOWED: dict[str, frozenset[str] | None] = {
    "core": frozenset({"core"}),
    "handlers": frozenset({"core", "handlers"}),
    "storage": frozenset({"core", "storage", "sqlmodel", "sqlalchemy", "alembic", "psycopg"}),
    "bot": None,
}


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    imported: str
    layer: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.imported} (layer {self.layer} may not)"


def _package_of(relative_path: str) -> list[str]:
    """The dotted package a module belongs to: `storage/sql/deals.py` -> [storage, sql]."""
    parts = relative_path.removesuffix(".py").split("/")
    return parts[:-1]


def _imported_modules(tree: ast.AST, relative_path: str) -> list[tuple[int, str]]:
    """Every module an import statement names, with relative imports made absolute."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.append((node.lineno, node.module or ""))
                continue
            package = _package_of(relative_path)
            if node.level - 1 >= len(package):
                found.append((node.lineno, "." * node.level + (node.module or "")))
                continue
            base = package[: len(package) - (node.level - 1)]
            found.append((node.lineno, ".".join([*base, *filter(None, [node.module])])))
        elif (
            isinstance(node, ast.Call)
            and _is_dynamic_import(node.func)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in {"__import__", "import_module"}
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def check_source(source: str, relative_path: str) -> list[Violation]:
    """The wrong arrows in one module, given its text and its path from the repository root."""
    layer = relative_path.split("/")[0]
    allowed = ALLOWED[layer]
    tree = ast.parse(source, filename=relative_path)
    violations = []
    for line, module in _imported_modules(tree, relative_path):
        root = module.split(".")[0]
        if allowed is None:
            continue
        if root in allowed or (root in STDLIB and root not in LAYERS):
            continue
        violations.append(Violation(relative_path, line, module, layer))
    return sorted(violations, key=lambda v: (v.path, v.line, v.imported))


def layer_modules() -> list[Path]:
    return sorted(path for layer in LAYERS for path in (REPO_ROOT / layer).rglob("*.py"))


def check_repository() -> list[Violation]:
    violations: list[Violation] = []
    for path in layer_modules():
        relative = path.relative_to(REPO_ROOT).as_posix()
        violations.extend(check_source(path.read_text(encoding="utf-8"), relative))
    return violations


def test_imports_follow_the_layer_arrows() -> None:
    modules = layer_modules()
    assert any(path.parts[-2] == "core" for path in modules), "no modules found under core/"
    violations = check_repository()
    assert not violations, "wrong import arrows:\n" + "\n".join(map(str, violations))


BOTBUILDER = frozenset({"botbuilder", "botframework", "msrest"})
BOTBUILDER_HOME = "bot/teams/"
"""botbuilder-python is archived upstream: keeping it (and the msrest it speaks through) in one
folder means moving to its successor touches that folder alone."""


def botbuilder_outside_its_folder(source: str, relative_path: str) -> list[str]:
    """Imports of botbuilder (or botframework, msrest) from a module outside bot/teams/."""
    if relative_path.startswith(BOTBUILDER_HOME):
        return []
    tree = ast.parse(source, filename=relative_path)
    return [
        f"{relative_path}:{line} imports {module}"
        for line, module in _imported_modules(tree, relative_path)
        if module.split(".")[0] in BOTBUILDER
    ]


def test_botbuilder_is_imported_only_in_bot_teams() -> None:
    modules = layer_modules()
    assert any(p.relative_to(REPO_ROOT).as_posix().startswith(BOTBUILDER_HOME) for p in modules)
    found = [
        line
        for path in modules
        for line in botbuilder_outside_its_folder(
            path.read_text(encoding="utf-8"), path.relative_to(REPO_ROOT).as_posix()
        )
    ]
    assert not found, "botbuilder outside bot/teams/:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("path", "source", "found"),
    [
        ("bot/delivery/teams.py", "from botbuilder.core import TurnContext\n", 1),
        ("bot/app.py", "def f():\n    import botframework.connector\n", 1),
        ("bot/services.py", "from msrest.exceptions import HttpOperationError\n", 1),
        ("bot/teams/app.py", "from botbuilder.core import TurnContext\n", 0),
        ("bot/app.py", "from bot.teams.app import build_teams\n", 0),
    ],
)
def test_the_botbuilder_check_catches_imports_outside_bot_teams(
    path: str, source: str, found: int
) -> None:
    assert len(botbuilder_outside_its_folder(source, path)) == found


def test_frameworks_are_not_allowed_outside_bot() -> None:
    for layer, allowed in ALLOWED.items():
        if layer != "bot":
            assert allowed is not None and not (allowed & FRAMEWORKS), layer


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        ("core/ranking.py", "import sqlalchemy\n", ["core/ranking.py:1 imports sqlalchemy"]),
        (
            "core/ranking.py",
            "import math\n\ndef f():\n    from handlers.deals import list_deals\n",
            ["core/ranking.py:4 imports handlers.deals"],
        ),
        ("core/ranking.py", "from ..storage import db\n", ["core/ranking.py:1 imports .."]),
        (
            "storage/sql/deals.py",
            "from ...bot import settings\n",
            ["storage/sql/deals.py:1 imports ...bot"],
        ),
        ("storage/db.py", "from handlers import dispatch\n", ["storage/db.py:1 imports handlers"]),
        ("handlers/log.py", "import slack_sdk.models\n", ["handlers/log.py:1 imports slack_sdk"]),
        ("handlers/log.py", "import sqlmodel\n", ["handlers/log.py:1 imports sqlmodel"]),
        (
            "handlers/draft.py",
            "import importlib\nllm = importlib.import_module('litellm')\n",
            ["handlers/draft.py:2 imports litellm"],
        ),
        ("storage/db.py", "import fastapi\n", ["storage/db.py:1 imports fastapi"]),
    ],
)
def test_checker_catches_wrong_arrows(path: str, source: str, expected: list[str]) -> None:
    found = [str(violation) for violation in check_source(source, path)]
    assert len(found) == len(expected), found
    for message, prefix in zip(found, expected, strict=True):
        assert message.startswith(prefix), message
        assert message.endswith(f"(layer {path.split('/')[0]} may not)")


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("core/ranking.py", "from __future__ import annotations\nimport math, datetime\n"),
        ("core/ranking.py", "from .model import Deal\nfrom . import stages\n"),
        ("core/scoring/leads.py", "from ..model import Lead\n"),
        ("handlers/log.py", "from core.ports import UnitOfWork\nfrom handlers.registry import x\n"),
        ("storage/db.py", "import sqlalchemy as sa\nfrom sqlmodel import Field\nimport psycopg\n"),
        ("storage/migrations/env.py", "from alembic import context\nfrom ..db import metadata\n"),
        ("bot/slack/app.py", "from slack_bolt import App\nfrom storage.db import create_schema\n"),
    ],
)
def test_checker_accepts_right_arrows(path: str, source: str) -> None:
    assert check_source(source, path) == []
