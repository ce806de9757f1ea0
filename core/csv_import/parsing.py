"""A whole export file to records of one kind, plus the rows that could not be read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.csv_import.building import BUILDERS
from core.csv_import.columns import ColumnLayout, lay_out_columns
from core.csv_import.dates import DateOrder, infer_day_first
from core.csv_import.fields import FIELDS, RecordKind, ValueType
from core.csv_import.reading import Sheet, SheetRow, read_sheet
from core.csv_import.records import Record, RowError, RowValues
from core.csv_import.values import convert
from core.stages import Pipeline

_DATE_TYPES = (ValueType.DATE, ValueType.DATETIME)


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """Every readable record, and every problem, by spreadsheet row (header = 1, data from 2)."""

    kind: RecordKind
    records: tuple[Record, ...]
    errors: tuple[RowError, ...]

    @property
    def bad_rows(self) -> int:
        return len({error.row for error in self.errors})


def parse_file(
    kind: RecordKind | str,
    data: bytes | str,
    *,
    preset: str | None = None,
    column_map: Mapping[str, str] | None = None,
    pipeline: Pipeline | None = None,
) -> ParsedFile:
    """Read, map and validate an export; CsvFileError when the file as a whole is unusable."""
    kind = RecordKind(kind)
    pipeline = pipeline or Pipeline()
    sheet = read_sheet(data)
    layout = lay_out_columns(kind, sheet.header, preset=preset, column_map=column_map)
    orders = _date_orders(kind, layout, sheet)
    records: list[Record] = []
    errors: list[RowError] = []
    for sheet_row in sheet.rows:
        values, row_errors = _row_values(kind, sheet_row, layout, orders, pipeline)
        if not row_errors:
            built = BUILDERS[kind](values, pipeline)
            row_errors = [built] if isinstance(built, RowError) else []
            if not isinstance(built, RowError):
                records.append(built)
        errors.extend(row_errors)
    return ParsedFile(kind=kind, records=tuple(records), errors=tuple(errors))


def _date_orders(kind: RecordKind, layout: ColumnLayout, sheet: Sheet) -> dict[int, DateOrder]:
    """Day-first or month-first, decided once per date column from all of its values."""
    orders = {}
    for field, positions in layout.fields.items():
        if FIELDS[kind][field] in _DATE_TYPES:
            for position in positions:
                column = (row.cells[position] for row in sheet.rows)
                orders[position] = DateOrder(day_first=infer_day_first(column))
    return orders


def _row_values(
    kind: RecordKind,
    sheet_row: SheetRow,
    layout: ColumnLayout,
    orders: dict[int, DateOrder],
    pipeline: Pipeline,
) -> tuple[RowValues, list[RowError]]:
    values: dict[str, object] = {}
    errors: list[RowError] = []
    for field, positions in layout.fields.items():
        for position in positions:
            text = sheet_row.cells[position]
            if field in values or not text.strip():
                continue
            try:
                value = convert(
                    FIELDS[kind][field],
                    text,
                    pipeline=pipeline,
                    order=orders.get(position, DateOrder()),
                )
            except ValueError as error:
                errors.append(RowError(sheet_row.number, layout.header[position], str(error)))
                continue
            if value is not None:
                values[field] = value
    if sheet_row.extra_cells:
        errors.append(_extra_cells_error(sheet_row, len(layout.header)))
    attributes = {
        layout.header[p]: sheet_row.cells[p].strip()
        for p in layout.custom
        if sheet_row.cells[p].strip()
    }
    columns = {f: tuple(layout.header[p] for p in ps) for f, ps in layout.fields.items()}
    return RowValues(sheet_row.number, values, columns, attributes), errors


def _extra_cells_error(sheet_row: SheetRow, width: int) -> RowError:
    return RowError(
        sheet_row.number,
        "",
        f"{sheet_row.extra_cells} value(s) beyond the "
        f"{width} columns of the header; quote values that contain the delimiter",
    )
