"""SLA targets written as people write them: "5 min", "2 h 30 min", "1 business day", or 90."""

from __future__ import annotations

import re

from core.sla import SlaTarget

_PART = re.compile(r"\s*(?P<number>\d+)\s*(?P<unit>[a-z]+(?:\s+days?)?)\s*,?", re.IGNORECASE)
_UNITS = {
    **dict.fromkeys(("min", "mins", "minute", "minutes"), "minutes"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "hours"),
    **dict.fromkeys(("business day", "business days"), "business_days"),
}
_EXAMPLES = 'e.g. "5 min", "2 h 30 min" or "1 business day"'


def parse_sla_target(value: object) -> SlaTarget:
    """An SLA target from words, or from a whole number of minutes.

    A plain "day" is refused: it could mean 24 hours or one working day of the owner, and the
    two differ by a factor of three. Each unit may appear once, in any order.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return _target(value, 0, str(value))
    if not isinstance(value, str):
        raise ValueError(f"must be a duration in quotes ({_EXAMPLES}) or whole minutes")
    text = value.strip()
    amounts: dict[str, int] = {}
    position = 0
    while position < len(text) or not amounts:
        part = _PART.match(text, position)
        if part is None:
            raise ValueError(f"{value!r} is not a duration; write {_EXAMPLES}")
        unit = " ".join(part["unit"].casefold().split())
        if unit in ("d", "day", "days"):
            raise ValueError(f"{value!r}: say 'business days' or hours; a plain day is ambiguous")
        if unit not in _UNITS:
            raise ValueError(f"{value!r}: unknown unit {part['unit']!r}; write {_EXAMPLES}")
        if _UNITS[unit] in amounts:
            raise ValueError(f"{value!r} gives {_UNITS[unit].replace('_', ' ')} twice")
        amounts[_UNITS[unit]] = int(part["number"])
        position = part.end()
    minutes = amounts.get("minutes", 0) + 60 * amounts.get("hours", 0)
    return _target(minutes, amounts.get("business_days", 0), value)


def _target(minutes: int, business_days: int, written: str) -> SlaTarget:
    if minutes < 0:
        raise ValueError(f"{written} is negative; an SLA target must be longer than zero")
    if minutes == 0 and business_days == 0:
        raise ValueError("an SLA target must be longer than zero")
    return SlaTarget(minutes=minutes, business_days=business_days)
