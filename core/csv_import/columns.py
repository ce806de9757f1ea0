"""Which column feeds which field: a preset, overridden by the user's `--map COLUMN=FIELD`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.csv_import.fields import FIELDS, IGNORE, REQUIRED_COLUMNS, RecordKind
from core.csv_import.presets import column_key, preset_columns
from core.csv_import.reading import CsvFileError


@dataclass(frozen=True, slots=True)
class ColumnLayout:
    """Field -> column positions (first non-blank wins), and the positions kept as attributes."""

    header: tuple[str, ...]
    fields: Mapping[str, tuple[int, ...]]
    custom: tuple[int, ...]

    def column_names(self, field: str) -> str:
        """The file's column(s) behind a field, for messages."""
        names = [f"'{self.header[i]}'" for i in self.fields.get(field, ())]
        return ", ".join(names) if names else "none"


def lay_out_columns(
    kind: RecordKind,
    header: tuple[str, ...],
    *,
    preset: str | None,
    column_map: Mapping[str, str] | None = None,
) -> ColumnLayout:
    """Assign each column to a field, to `-` (ignored) or to the custom attributes."""
    try:
        columns = preset_columns(preset, kind)
    except ValueError as error:
        raise CsvFileError(str(error)) from error
    overrides = _checked_overrides(kind, header, column_map or {})
    fields: dict[str, list[int]] = {}
    custom: list[int] = []
    for position, name in enumerate(header):
        key = column_key(name)
        field = overrides.get(key, columns.get(key))
        if field is None:
            custom.append(position)
        elif field != IGNORE:
            fields.setdefault(field, []).append(position)
    layout = ColumnLayout(header, {f: tuple(p) for f, p in fields.items()}, tuple(custom))
    _require_columns(kind, layout)
    return layout


def _checked_overrides(
    kind: RecordKind, header: tuple[str, ...], column_map: Mapping[str, str]
) -> dict[str, str]:
    present = {column_key(name) for name in header}
    overrides = {}
    for column, field in column_map.items():
        field = field.strip()
        if column_key(column) not in present:
            columns = ", ".join(f"'{name}'" for name in header)
            raise CsvFileError(
                f"--map names column '{column}', which is not in the file; columns: {columns}"
            )
        if field != IGNORE and field not in FIELDS[kind]:
            known = ", ".join(FIELDS[kind])
            raise CsvFileError(
                f"--map {column}={field}: {kind} have no field '{field}'; "
                f"fields: {known}, or '-' to ignore the column"
            )
        overrides[column_key(column)] = field
    return overrides


def _require_columns(kind: RecordKind, layout: ColumnLayout) -> None:
    for group in REQUIRED_COLUMNS[kind]:
        if not any(field in layout.fields for field in group):
            wanted = " or ".join(f"'{field}'" for field in group)
            columns = ", ".join(f"'{name}'" for name in layout.header)
            raise CsvFileError(
                f"No column for {wanted} in these {kind}; map one with --map 'COLUMN={group[0]}'. "
                f"Columns: {columns}"
            )
