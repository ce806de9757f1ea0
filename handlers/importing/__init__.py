"""Import accounts, contacts, deals, leads or activities from a CRM export, in one transaction.

Every row is read and checked before anything is written. Records are matched to what is stored
(external id, then email or domain) and merged: non-blank incoming values win, attributes merge.
Re-importing the same file therefore changes nothing and reports every row as unchanged.
"""

from handlers.importing.summary import ImportSummary
from handlers.importing.use_case import import_records

__all__ = ["ImportSummary", "import_records"]
