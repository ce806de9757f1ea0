"""How an imported row meets a stored record: non-blank incoming values win, attributes merge."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any, Protocol, TypeVar


class _WithAttributes(Protocol):
    @property
    def attributes(self) -> Mapping[str, str]: ...


Stored = TypeVar("Stored", bound=_WithAttributes)


def merge(existing: Stored, incoming: Mapping[str, Any]) -> Stored:
    """`existing` with every non-blank incoming value; attributes are merged key by key."""
    changes = {
        name: value
        for name, value in incoming.items()
        if name != "attributes" and value is not None and value != ""
    }
    attributes = incoming.get("attributes")
    if attributes:
        changes["attributes"] = {**existing.attributes, **attributes}
    return dataclasses.replace(existing, **changes)  # type: ignore[type-var]


def import_key(*parts: object) -> str:
    """A stable external id for a row whose export has none, so re-importing it finds it again.

    Built from what identifies the row (for a deal: its name and account), prefixed `csv:`.
    """
    text = "|".join(" ".join(str(part or "").casefold().split()) for part in parts)
    return "csv:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def start_of_day(day: date | None) -> datetime | None:
    """Midnight UTC of a date, for a deal whose export gives only a close date."""
    return datetime.combine(day, time(0), tzinfo=UTC) if day else None
