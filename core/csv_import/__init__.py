"""Importing CRM exports (Salesforce, HubSpot, Pipedrive or any CSV with a column map).

Pure: bytes in, validated records and row errors out. `handlers.importing` stores them.
"""

from core.csv_import.amounts import Money, parse_currency, parse_money
from core.csv_import.dates import DateOrder, infer_day_first, parse_date, parse_datetime
from core.csv_import.fields import FIELDS, IGNORE, RecordKind
from core.csv_import.parsing import ParsedFile, parse_file
from core.csv_import.presets import PRESETS
from core.csv_import.reading import CsvFileError, Sheet, read_sheet
from core.csv_import.records import (
    AccountRecord,
    AccountRef,
    ActivityRecord,
    ContactRecord,
    DealRecord,
    LeadRecord,
    Record,
    RowError,
)

__all__ = [
    "FIELDS",
    "IGNORE",
    "PRESETS",
    "AccountRecord",
    "AccountRef",
    "ActivityRecord",
    "ContactRecord",
    "CsvFileError",
    "DateOrder",
    "DealRecord",
    "LeadRecord",
    "Money",
    "ParsedFile",
    "Record",
    "RecordKind",
    "RowError",
    "Sheet",
    "infer_day_first",
    "parse_currency",
    "parse_date",
    "parse_datetime",
    "parse_file",
    "parse_money",
    "read_sheet",
]
