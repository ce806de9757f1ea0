"""The import use case against the in-memory unit of work: what ends up stored, and the summary."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import cast

from core.model import Account, Contact, DealStatus, Lead, LeadStatus, Rep, StageChange
from core.ports import UnitOfWork
from core.stages import Pipeline
from handlers.importing import ImportSummary, import_records
from tests.fakes import FakeDatabase, FakeUnitOfWork

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return NOW


SALESFORCE_DEALS = (
    "Opportunity ID,Opportunity Name,Account Name,Amount,Stage,Close Date,Created Date,"
    "Opportunity Owner,Probability (%)\r\n"
    '006A,Acme renewal,Acme,"$45,000.00",Proposal/Price Quote,7/15/2024,1/5/2024,'
    "Jane Doe,75\r\n"
    "006B,Globex expansion,Globex,12000,Closed Won,3/20/2024,2/1/2024,bob@example.com,100\r\n"
    "006C,Initech pilot,Initech,5000,Closed Lost,4/2/2024,2/10/2024,Nobody Known,0\r\n"
)


def fake_unit_of_work(database: FakeDatabase) -> UnitOfWork:
    # The fake holds only the repositories an import touches, so it is not a full UnitOfWork.
    return cast(UnitOfWork, FakeUnitOfWork(database))


def database_with_reps() -> FakeDatabase:
    database = FakeDatabase()
    database.reps = {
        1: Rep(id=1, email="jane@example.com", name="Jane Doe"),
        2: Rep(id=2, email="bob@example.com", name="Bob Stone"),
    }
    return database


def run_import(database: FakeDatabase, kind: str, text: str, **options: object) -> ImportSummary:
    settings: dict[str, object] = dict(
        preset="salesforce", column_map=None, dry_run=False, skip_bad_rows=False
    )
    settings.update(options)
    return import_records(
        kind,
        text.encode("utf-8"),
        uow_factory=lambda: fake_unit_of_work(database),
        pipeline=Pipeline(),
        clock=FixedClock(),
        **settings,  # type: ignore[arg-type]
    )


def test_salesforce_deals_are_created_with_accounts_owners_and_history() -> None:
    database = database_with_reps()

    summary = run_import(database, "deals", SALESFORCE_DEALS)

    assert (summary.created, summary.updated, summary.unchanged) == (3, 0, 0)
    assert summary.written and summary.errors == ()
    assert summary.accounts_created == 3
    assert summary.unresolved_owners == ("Nobody Known",)
    assert summary.rows_without_owner == 1
    deals = {deal.external_id: deal for deal in database.deals.values()}
    acme = deals["006A"]
    assert (acme.stage, acme.status, acme.amount, acme.owner_id) == (
        "Proposal",
        DealStatus.OPEN,
        45000.0,
        1,
    )
    assert acme.expected_close == date(2024, 7, 15)
    assert acme.created_at == acme.stage_entered_at == datetime(2024, 1, 5, tzinfo=UTC)
    assert acme.attributes == {"Probability (%)": "75"}
    assert acme.account_id is not None and database.accounts[acme.account_id].name == "Acme"
    globex = deals["006B"]
    assert globex.id is not None
    assert (globex.status, globex.owner_id) == (DealStatus.WON, 2)
    assert globex.closed_at == datetime(2024, 3, 20, tzinfo=UTC)
    assert deals["006C"].status is DealStatus.LOST and deals["006C"].owner_id is None
    # A flat export says nothing about the open stages a closed deal passed: no invented spell.
    assert globex.created_at == datetime(2024, 2, 1, tzinfo=UTC)
    assert [c for c in database.stage_changes if c.deal_id == globex.id] == [
        StageChange(globex.id, "Won", datetime(2024, 3, 20, tzinfo=UTC), None),
    ]


def test_reimporting_the_same_file_changes_nothing() -> None:
    database = database_with_reps()
    run_import(database, "deals", SALESFORCE_DEALS)
    before = database.snapshot()

    summary = run_import(database, "deals", SALESFORCE_DEALS)

    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 3)
    assert summary.accounts_created == 0
    assert database == before


def test_a_stage_change_on_reimport_updates_the_deal_and_records_it() -> None:
    database = database_with_reps()
    run_import(database, "deals", SALESFORCE_DEALS)
    moved = SALESFORCE_DEALS.replace("Proposal/Price Quote,7/15/2024", "Closed Won,7/15/2024")

    summary = run_import(database, "deals", moved)

    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 2)
    acme = next(d for d in database.deals.values() if d.external_id == "006A")
    assert (acme.stage, acme.status) == ("Won", DealStatus.WON)
    assert acme.closed_at == datetime(2024, 7, 15, tzinfo=UTC)
    assert acme.id is not None
    assert database.stage_changes[-1] == StageChange(
        acme.id, "Won", datetime(2024, 7, 15, tzinfo=UTC), "Proposal"
    )


def test_a_bad_row_stops_the_import_and_nothing_is_written() -> None:
    database = database_with_reps()
    bad = SALESFORCE_DEALS + "006D,Umbrella,Umbrella,12k,Pending,,,Jane Doe,10\r\n"

    summary = run_import(database, "deals", bad)

    assert not summary.written
    assert summary.created == 0
    assert [(e.row, e.column) for e in summary.errors] == [(5, "Amount"), (5, "Stage")]
    assert "'12k' is not an amount" in summary.errors[0].reason
    assert database == database_with_reps()


def test_skipping_bad_rows_imports_the_good_ones() -> None:
    database = database_with_reps()
    bad = SALESFORCE_DEALS + "006D,Umbrella,Umbrella,12k,Prospecting,,,Jane Doe,10\r\n"

    summary = run_import(database, "deals", bad, skip_bad_rows=True)

    assert summary.written and (summary.created, summary.skipped) == (3, 1)
    assert len(database.deals) == 3


def test_dry_run_reports_what_would_happen_and_writes_nothing() -> None:
    database = database_with_reps()
    progress: list[tuple[int, int]] = []

    summary = run_import(
        database,
        "deals",
        SALESFORCE_DEALS,
        dry_run=True,
        on_progress=lambda d, t: progress.append((d, t)),
    )

    assert (summary.created, summary.dry_run, summary.written) == (3, True, False)
    assert progress == [(1, 3), (2, 3), (3, 3)]
    assert database == database_with_reps()


def test_contacts_merge_by_email_and_keep_their_attributes() -> None:
    database = database_with_reps()
    database.accounts = {1: Account(id=1, name="Acme Corp", domain="acme.com")}
    database.contacts = {
        1: Contact(id=1, name="Sarah Lee", email="sarah@acme.com", attributes={"Tier": "gold"})
    }
    export = (
        "Contact ID,First Name,Last Name,Email,Title,Lead Source\n"
        "003X,Sarah,Lee,SARAH@acme.com ,CFO,Web\n"
    )

    summary = run_import(database, "contacts", export)

    assert (summary.created, summary.updated) == (0, 1)
    assert summary.merges == ("1 contacts merged by email",)
    sarah = database.contacts[1]
    assert (sarah.external_id, sarah.title, sarah.account_id) == ("003X", "CFO", 1)
    assert sarah.attributes == {"Tier": "gold", "Lead Source": "Web"}
    assert run_import(database, "contacts", export).unchanged == 1


def test_accounts_dedupe_by_domain_and_reimport_is_unchanged() -> None:
    database = database_with_reps()
    database.accounts = {1: Account(id=1, name="Acme", domain="acme.com")}
    export = (
        "Record ID,Company name,Company Domain Name,Number of Employees,Company owner\n"
        '901,Acme Inc,https://www.acme.com/,"1,200",Jane Doe\n'
        "902,Globex,globex.io,50,\n"
    )

    first = run_import(database, "accounts", export, preset="hubspot")
    second = run_import(database, "accounts", export, preset="hubspot")

    assert (first.created, first.updated, first.merges) == (1, 1, ("1 accounts merged by domain",))
    assert database.accounts[1] == Account(
        id=1, name="Acme Inc", external_id="901", domain="acme.com", employees=1200, owner_id=1
    )
    assert (second.unchanged, second.updated, second.created) == (2, 0, 0)


def test_leads_are_converted_from_the_converted_column_and_merged_by_email() -> None:
    database = database_with_reps()
    database.leads = {1: Lead(id=1, name="Old Name", created_at=NOW, email="kim@initech.com")}
    export = (
        "Lead ID,First Name,Last Name,Email,Company,Lead Status,Converted,Created Date,Lead Owner\n"
        "00Q1,Kim,Park,kim@initech.com,Initech,Working - Contacted,1,2024-03-01,Jane Doe\n"
        "00Q2,Al,Ray,al@gmail.com,,Open - Not Contacted,0,2024-03-02T10:00:00Z,\n"
    )

    summary = run_import(database, "leads", export)

    assert (summary.created, summary.updated) == (1, 1)
    kim = database.leads[1]
    assert (kim.name, kim.status, kim.owner_id, kim.domain) == (
        "Kim Park",
        LeadStatus.CONVERTED,
        1,
        "initech.com",
    )
    al = database.leads[2]
    assert (al.status, al.domain, al.account_id) == (LeadStatus.NEW, None, None)
    assert al.created_at == datetime(2024, 3, 2, 10, tzinfo=UTC)


def test_deals_without_an_external_id_are_found_again_on_reimport() -> None:
    database = database_with_reps()
    export = "name,stage,amount,account\nAcme renewal,Demo,100,Acme\n"

    run_import(database, "deals", export, preset=None)
    summary = run_import(database, "deals", export, preset=None)

    assert (summary.created, summary.unchanged) == (0, 1)
    assert len(database.deals) == 1
    assert database.deals[1].created_at == NOW


def test_activities_link_to_deals_and_an_unknown_deal_stops_the_import() -> None:
    database = database_with_reps()
    run_import(database, "deals", SALESFORCE_DEALS)
    export = (
        "Activity ID,Type,Date,Subject,Assigned,Opportunity ID\n"
        "00T1,Call,6/3/2024 9:30 AM,Pricing call,Jane Doe,006A\n"
        "00T2,Email,6/4/2024,Sent proposal,Jane Doe,006Z\n"
    )

    stopped = run_import(database, "activities", export)
    skipped = run_import(database, "activities", export, skip_bad_rows=True)

    assert not stopped.written and stopped.created == 0
    assert [(e.row, e.reason) for e in stopped.errors] == [
        (3, "deal '006Z' is not in dealbot; import the deals first or fix the id")
    ]
    assert (skipped.created, skipped.skipped) == (1, 1)
    (call,) = database.activities.values()
    assert call.occurred_at == datetime(2024, 6, 3, 9, 30, tzinfo=UTC)
    assert (call.rep_id, call.deal_id, call.external_id) == (1, 1, "00T1")


def test_a_file_that_is_not_utf8_is_refused_with_advice() -> None:
    database = database_with_reps()

    summary = import_records(
        "accounts",
        "Account Name\nCafé\n".encode("latin-1"),
        preset="salesforce",
        column_map=None,
        dry_run=False,
        skip_bad_rows=False,
        uow_factory=lambda: fake_unit_of_work(database),
        pipeline=Pipeline(),
    )

    assert not summary.written
    assert "is not UTF-8" in summary.errors[0].reason
    assert "CSV UTF-8" in summary.errors[0].reason
