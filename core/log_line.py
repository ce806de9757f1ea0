"""`/log acme called Sarah, wants pricing next: send pricing by fri` as parts.

The first words name the deal (by deal or account name, or in quotes); the rest is the note. A
`next: <action> by <date>` part sets the next action and its due date, in the rep's own days.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

MAX_NOTE = 1500
"""Longer notes belong in the form (/log with no arguments), which takes 3,000 characters."""

_NEXT = re.compile(r"\bnext:\s*(?P<what>.*?)(?:\s+by\s+(?P<due>[^,;]+?))?\s*[.!]?\s*$", re.I | re.S)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


class LogLineError(ValueError):
    """The line cannot be read; the message says how to write it."""


@dataclass(frozen=True, slots=True)
class NextStep:
    text: str
    due: date | None


@dataclass(frozen=True, slots=True)
class DealName:
    id: int
    name: str
    account: str | None = None


@dataclass(frozen=True, slots=True)
class DealMatch:
    deals: tuple[DealName, ...]
    phrase: str
    note: str


def split_next(text: str, today: date) -> tuple[str, NextStep | None]:
    """(the line without its `next:` part, the next step it sets)."""
    found = _NEXT.search(text)
    if found is None:
        return text.strip(), None
    what = found.group("what").strip(" ,.;")
    if not what:
        raise LogLineError("Say what comes next after 'next:', e.g. 'next: send pricing by fri'.")
    due_text = found.group("due")
    due = parse_due(due_text, today) if due_text else None
    return text[: found.start()].strip(" ,;"), NextStep(what, due)


def parse_due(text: str, today: date) -> date:
    """`today`, `tomorrow`, `fri`, `friday`, `next week`, `in 3 days`, `dec 3`, `2026-12-01`."""
    words = text.strip().lower().rstrip(".!")
    due = _relative(words, today) or _absolute(words, today)
    if due is None:
        raise LogLineError(
            f"I couldn't read 'by {text.strip()}' as a date. "
            "Try 'by fri', 'by tomorrow', 'by dec 3' or 'by 2026-12-01'."
        )
    if due < today:
        raise LogLineError(
            f"'by {text.strip()}' is {due.isoformat()}, already past; pick a later day."
        )
    return due


def _relative(words: str, today: date) -> date | None:
    if words in ("today", "eod", "end of day"):
        return today
    if words in ("tomorrow", "tmrw", "tmr"):
        return today + timedelta(days=1)
    if words == "next week":
        return today + timedelta(days=7 - today.weekday())
    match = re.fullmatch(r"in (\d{1,3}) (day|days|week|weeks)", words)
    if match:
        n = int(match.group(1))
        return today + timedelta(days=n * (7 if match.group(2).startswith("week") else 1))
    day = words.removeprefix("next ").removeprefix("this ")
    if not _is_day_name(day):
        return None
    ahead = (_DAYS.index(day[:3]) - today.weekday()) % 7
    return today + timedelta(days=ahead + (7 if words.startswith("next ") else 0))


def _is_day_name(word: str) -> bool:
    full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return any(name.startswith(word) for name in full) and len(word) >= 3


def _absolute(words: str, today: date) -> date | None:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", words):
        try:
            return date.fromisoformat(words)
        except ValueError:
            return None
    match = re.fullmatch(r"([a-z]{3})[a-z]*\.? (\d{1,2})|(\d{1,2}) ([a-z]{3})[a-z]*\.?", words)
    if not match:
        return None
    month_name = match.group(1) or match.group(4)
    day_text = match.group(2) or match.group(3)
    if month_name not in _MONTHS:
        return None
    month = _MONTHS.index(month_name) + 1
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, int(day_text))
        except ValueError:
            return None
        if candidate >= today:
            return candidate
    return None


def match_deal(body: str, deals: Sequence[DealName]) -> DealMatch:
    """The deals named by the first words of `body` (longest phrase that matches wins)."""
    quoted = re.match(r'\s*["“](?P<name>[^"”]+)["”]\s*(?P<rest>.*)', body, re.S)
    if quoted:
        phrase = _key(quoted.group("name"))
        return DealMatch(_matching(phrase, deals), phrase, quoted.group("rest").strip())
    words = body.split()
    for size in range(min(4, len(words)), 0, -1):
        phrase = _key(" ".join(words[:size]))
        found = _matching(phrase, deals)
        if found:
            return DealMatch(found, phrase, " ".join(words[size:]))
    return DealMatch((), _key(" ".join(words[:1])), " ".join(words[1:]))


def _matching(phrase: str, deals: Sequence[DealName]) -> tuple[DealName, ...]:
    exact = tuple(d for d in deals if phrase in (_key(d.name), _key(d.account or "")))
    if len(exact) == 1:
        return exact
    return tuple(
        d
        for d in deals
        if _contains(_key(d.name), phrase) or _contains(_key(d.account or ""), phrase)
    )


def _contains(name: str, phrase: str) -> bool:
    """The phrase starts a word of the name: 'acme' finds 'Acme EU' and 'The Acme Co', not 'Kacme'."""
    return bool(phrase) and re.search(r"(?:^|\W)" + re.escape(phrase), name) is not None


def _key(text: str) -> str:
    return " ".join(text.lower().split())
