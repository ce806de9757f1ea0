"""Numbers read from chat controls and web requests: database ids and their bounds.

Ids are 32-bit signed integers in every table (SQLite and PostgreSQL alike), so anything outside
1..MAX_ID cannot name a row, and a bigger number would overflow the database driver.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1


def parse_id(text: str, *, lowest: int = 1) -> int | None:
    """`text` as a number from `lowest` to MAX_ID, written in ASCII digits only; else None.

    `str.isdigit` alone accepts "²" and other digits `int` refuses or reads differently.
    """
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if lowest <= value <= MAX_ID else None
