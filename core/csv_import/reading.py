"""From the bytes of an exported file to a header and numbered rows of text cells."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

DELIMITERS = (",", ";", "\t")


class CsvFileError(ValueError):
    """The file as a whole cannot be imported; the message says what to change."""


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One data row; `number` counts as a spreadsheet does: header row 1, data from row 2."""

    number: int
    cells: tuple[str, ...]
    extra_cells: int = 0


@dataclass(frozen=True, slots=True)
class Sheet:
    header: tuple[str, ...]
    rows: tuple[SheetRow, ...]


def decode(data: bytes | str) -> str:
    """The file's text: UTF-8 with or without a byte-order mark; anything else is refused."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CsvFileError(
            f"line {line}: byte 0x{data[error.start]:02x} is not UTF-8. Save the file as "
            "'CSV UTF-8' (Excel: Save As > CSV UTF-8) and import it again."
        ) from error


def sniff_delimiter(header_line: str) -> str:
    """`,`, `;` or tab: whichever occurs most often outside quotes in the header line."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def read_sheet(data: bytes | str) -> Sheet:
    """Header and non-blank rows; CRLF, quoted newlines and the delimiter are handled here."""
    text = decode(data)
    if not text.strip():
        raise CsvFileError("The file is empty; export it again with a header row.")
    first_line = text.lstrip("\r\n").splitlines()[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first_line))
    try:
        records = [record for record in reader]
    except csv.Error as error:
        raise CsvFileError(f"line {reader.line_num}: {error}; export the file again.") from error
    at = next(index for index, record in enumerate(records) if any(c.strip() for c in record))
    header = _unique_columns([cell.strip() for cell in records[at]])
    rows = tuple(
        _sheet_row(number, record, len(header))
        for number, record in enumerate(records[at + 1 :], start=at + 2)
        if any(cell.strip() for cell in record)
    )
    return Sheet(header=header, rows=rows)


def _sheet_row(number: int, record: list[str], width: int) -> SheetRow:
    cells = tuple(record[:width]) + ("",) * max(0, width - len(record))
    extra = sum(1 for cell in record[width:] if cell.strip())
    return SheetRow(number=number, cells=cells, extra_cells=extra)


def _unique_columns(names: list[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    unique = []
    for position, name in enumerate(names, start=1):
        name = name or f"Column {position}"
        key = name.lower()
        seen[key] = seen.get(key, 0) + 1
        unique.append(name if seen[key] == 1 else f"{name} ({seen[key]})")
    return tuple(unique)
