"""Reading exports: encodings, delimiters, values, presets, column maps and row errors."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from core.csv_import import (
    AccountRecord,
    AccountRef,
    ActivityRecord,
    ContactRecord,
    CsvFileError,
    DateOrder,
    DealRecord,
    LeadRecord,
    Money,
    RowError,
    infer_day_first,
    parse_date,
    parse_datetime,
    parse_file,
    parse_money,
    read_sheet,
)
from core.model import ActivityKind, DealStatus, LeadStatus


@pytest.mark.parametrize(
    ("data", "header", "rows"),
    [
        (b"\xef\xbb\xbfName,Amount\nAcme,10\n", ("Name", "Amount"), [(2, ("Acme", "10"))]),
        (
            "Name,Amount\r\nAcme,10\r\nGlobex,20\r\n",
            ("Name", "Amount"),
            [(2, ("Acme", "10")), (3, ("Globex", "20"))],
        ),
        (
            'Name,Note\n"Acme","two\nlines"\nGlobex,x\n',
            ("Name", "Note"),
            [(2, ("Acme", "two\nlines")), (3, ("Globex", "x"))],
        ),
        ("Name;Amount\nAcme;1,5\n", ("Name", "Amount"), [(2, ("Acme", "1,5"))]),
        ("Name\tAmount\nAcme\t10\n", ("Name", "Amount"), [(2, ("Acme", "10"))]),
        ('"Name;x",Amount\nAcme,10\n', ("Name;x", "Amount"), [(2, ("Acme", "10"))]),
        (
            "Name,Amount\n\nAcme,10\n,\nGlobex\n",
            ("Name", "Amount"),
            [(3, ("Acme", "10")), (5, ("Globex", ""))],
        ),
        (" Name , Name \nAcme,A\n", ("Name", "Name (2)"), [(2, ("Acme", "A"))]),
    ],
    ids=[
        "bom",
        "crlf",
        "quoted-newline",
        "semicolon",
        "tab",
        "quoted-delimiter",
        "blank-lines",
        "duplicate-columns",
    ],
)
def test_read_sheet(
    data: bytes | str, header: tuple[str, ...], rows: list[tuple[int, tuple[str, ...]]]
) -> None:
    sheet = read_sheet(data)
    assert sheet.header == header
    assert [(row.number, row.cells) for row in sheet.rows] == rows


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Name\nCaf\xe9\n", "line 2: byte 0xe9 is not UTF-8"),
        (b"", "The file is empty"),
        (b" \r\n", "The file is empty"),
    ],
)
def test_unreadable_files_are_refused_with_advice(data: bytes, message: str) -> None:
    with pytest.raises(CsvFileError, match=message):
        read_sheet(data)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234", Money(1234.0)),
        ("$1,234.56", Money(1234.56, "USD")),
        ("1.234,56 €", Money(1234.56, "EUR")),
        ("€1.234,56", Money(1234.56, "EUR")),
        ("1 234,56", Money(1234.56)),
        ("1\u00a0234,56 EUR", Money(1234.56, "EUR")),
        ("USD 45,000", Money(45000.0, "USD")),
        ("£99.5", Money(99.5, "GBP")),
        ("1,5", Money(1.5)),
        ("1.234.567", Money(1234567.0)),
        ("-1,200", Money(-1200.0)),
        ("-$1,200.00", Money(-1200.0, "USD")),
        ("(500)", Money(-500.0)),
        ("  ", None),
        ("", None),
    ],
)
def test_parse_money(text: str, expected: Money | None) -> None:
    assert parse_money(text) == expected


@pytest.mark.parametrize("text", ["12k", "abc", "$", "1,2,3x", "--"])
def test_unreadable_amounts_say_so(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"'{text}' is not an amount")):
        parse_money(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-05", datetime(2024, 1, 5, tzinfo=UTC)),
        ("2024-01-05T14:30:00Z", datetime(2024, 1, 5, 14, 30, tzinfo=UTC)),
        ("2024-01-05T14:30:00.000+0000", datetime(2024, 1, 5, 14, 30, tzinfo=UTC)),
        ("2024-01-05 14:30+02:00", datetime(2024, 1, 5, 12, 30, tzinfo=UTC)),
        ("2024-01-05 14:30", datetime(2024, 1, 5, 14, 30, tzinfo=UTC)),
        ("2024/01/05", datetime(2024, 1, 5, tzinfo=UTC)),
        ("01/05/2024", datetime(2024, 1, 5, tzinfo=UTC)),
        ("1/5/2024, 2:30 PM", datetime(2024, 1, 5, 14, 30, tzinfo=UTC)),
        ("1/5/2024 12:15 am", datetime(2024, 1, 5, 0, 15, tzinfo=UTC)),
        ("05.01.2024", datetime(2024, 1, 5, tzinfo=UTC)),
        ("05.01.2024 09:00", datetime(2024, 1, 5, 9, tzinfo=UTC)),
        ("Jan 5, 2024", datetime(2024, 1, 5, tzinfo=UTC)),
        ("January 5th, 2024 10:00 AM", datetime(2024, 1, 5, 10, tzinfo=UTC)),
        ("5 Jan 2024", datetime(2024, 1, 5, tzinfo=UTC)),
        ("05-Jan-2024", datetime(2024, 1, 5, tzinfo=UTC)),
        ("2024-01-05 10:00:00 -05:00", datetime(2024, 1, 5, 15, tzinfo=UTC)),
        ("1/5/2024 14:30 UTC", datetime(2024, 1, 5, 14, 30, tzinfo=UTC)),
    ],
)
def test_parse_datetime(text: str, expected: datetime) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("01/02/2024", DateOrder(), date(2024, 1, 2)),
        ("01/02/2024", DateOrder(day_first=True), date(2024, 2, 1)),
        ("01.02.2024", DateOrder(), date(2024, 2, 1)),
        ("01.02.2024", DateOrder(day_first=False), date(2024, 1, 2)),
        ("2024-01-02T23:00:00Z", DateOrder(), date(2024, 1, 2)),
        ("", DateOrder(), None),
    ],
)
def test_parse_date(text: str, order: DateOrder, expected: date | None) -> None:
    assert parse_date(text, order) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["01/02/2024", "25/12/2024"], True),
        (["01/02/2024", "12/25/2024"], False),
        (["01/02/2024", "03/04/2024"], None),
        (["2024-12-25", "", "Jan 5, 2024"], None),
    ],
)
def test_day_first_is_inferred_per_column(values: list[str], expected: bool | None) -> None:
    assert infer_day_first(values) is expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("yesterday", "'yesterday' is not a date"),
        ("2024-02-30", "'2024-02-30' is not a date"),
        ("1/5/2024 25:00", "is not a valid time"),
    ],
)
def test_unreadable_dates_say_so(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_datetime(text)


def test_a_day_first_column_reads_every_row_day_first_and_flags_the_odd_one() -> None:
    export = "name,stage,close_date\nA,Demo,05/01/2024\nB,Demo,25/01/2024\nC,Demo,01/13/2024\n"

    parsed = parse_file("deals", export)

    closes = [r.expected_close for r in parsed.records if isinstance(r, DealRecord)]
    assert closes == [date(2024, 1, 5), date(2024, 1, 25)]
    assert parsed.errors == (
        RowError(
            4,
            "close_date",
            "'01/13/2024' is not a date in this column's order, "
            "DD/MM/YYYY (day first), which other rows of the column show",
        ),
    )


SALESFORCE_OPPORTUNITIES = (
    "Opportunity ID,Opportunity Name,Account Name,Amount,Opportunity Currency,Stage,Close Date,"
    "Created Date,Opportunity Owner,Lead Source,Probability (%),Next Step,Type,Won,Closed\n"
    '0061,Acme renewal,Acme,"45,000.00",USD,Negotiation/Review,7/15/2024,1/5/2024,Jane Doe,'
    "Web,80,Send contract,Renewal,0,0\n"
    '0062,Globex,Globex,"12,000.00",EUR,Closed Lost,3/20/2024,2/1/2024,Bob,Partner,0,,'
    "New Business,0,1\n"
)
HUBSPOT_DEALS = (
    "Record ID,Deal Name,Deal Stage,Amount,Close Date,Create Date,Deal owner,Pipeline,"
    "Associated Company\n"
    "9001,Initech pilot,Presentation Scheduled,5000,2024-07-01,2024-05-02 10:15,Jane Doe,"
    "Sales Pipeline,Initech\n"
)
PIPEDRIVE_DEALS = (
    "Deal - ID;Deal - Title;Deal - Value;Deal - Currency;Deal - Stage;Deal - Status;"
    "Deal - Owner;Deal - Organization;Deal - Deal created;Deal - Expected close date;"
    "Deal - Won time;Deal - Lost time\n"
    "17;Umbrella;1.234,50;EUR;Proposal made;won;Bob;Umbrella Corp;2024-01-10 09:00:00;"
    "2024-02-01;2024-02-03 16:00:00;\n"
)


def test_salesforce_opportunities() -> None:
    parsed = parse_file("deals", SALESFORCE_OPPORTUNITIES, preset="salesforce")

    assert parsed.errors == ()
    acme, globex = parsed.records
    assert acme == DealRecord(
        row=2,
        name="Acme renewal",
        stage="Negotiation",
        status=DealStatus.OPEN,
        external_id="0061",
        amount=45000.0,
        currency="USD",
        owner="Jane Doe",
        account=AccountRef(name="Acme"),
        created_at=datetime(2024, 1, 5, tzinfo=UTC),
        expected_close=date(2024, 7, 15),
        next_step="Send contract",
        source="Web",
        attributes={"Probability (%)": "80", "Type": "Renewal"},
    )
    assert isinstance(globex, DealRecord)
    assert (globex.stage, globex.status, globex.currency) == ("Lost", DealStatus.LOST, "EUR")


def test_hubspot_deals() -> None:
    (deal,) = parse_file("deals", HUBSPOT_DEALS, preset="hubspot").records

    assert isinstance(deal, DealRecord)
    assert (deal.external_id, deal.stage, deal.owner, deal.account) == (
        "9001",
        "Demo",
        "Jane Doe",
        AccountRef(name="Initech"),
    )
    assert deal.created_at == datetime(2024, 5, 2, 10, 15, tzinfo=UTC)
    assert deal.attributes == {"Pipeline": "Sales Pipeline"}


def test_pipedrive_deals_take_the_outcome_from_the_status_column() -> None:
    (deal,) = parse_file("deals", PIPEDRIVE_DEALS, preset="pipedrive").records

    assert isinstance(deal, DealRecord)
    assert (deal.stage, deal.status, deal.amount, deal.currency) == (
        "Won",
        DealStatus.WON,
        1234.5,
        "EUR",
    )
    assert deal.closed_at == datetime(2024, 2, 3, 16, tzinfo=UTC)
    assert deal.expected_close == date(2024, 2, 1)


@pytest.mark.parametrize(
    ("preset", "export", "expected"),
    [
        (
            "salesforce",
            "Lead ID,First Name,Last Name,Email,Company,Lead Source,Lead Status,Converted,"
            "Created Date,Lead Owner,Website,Phone,Industry,No. of Employees\n"
            "00Q1,Kim,Park,KIM@initech.com,Initech,Web,Closed - Converted,true,2024-03-01,Jane Doe,"
            "www.initech.com,555-0100,Software,250\n",
            LeadRecord(
                row=2,
                name="Kim Park",
                external_id="00Q1",
                email="kim@initech.com",
                company="Initech",
                domain="initech.com",
                phone="555-0100",
                source="Web",
                status=LeadStatus.CONVERTED,
                owner="Jane Doe",
                created_at=datetime(2024, 3, 1, tzinfo=UTC),
                account=AccountRef(domain="initech.com", name="Initech"),
                attributes={"Industry": "Software", "No. of Employees": "250"},
            ),
        ),
        (
            "hubspot",
            "Record ID,First Name,Last Name,Email,Company Name,Lifecycle Stage,Lead Status,"
            "Contact owner,Create Date\n"
            "51,Al,Ray,al@gmail.com,,lead,UNQUALIFIED,,2024-03-02\n",
            LeadRecord(
                row=2,
                name="Al Ray",
                external_id="51",
                email="al@gmail.com",
                status=LeadStatus.DISQUALIFIED,
                created_at=datetime(2024, 3, 2, tzinfo=UTC),
                attributes={"Lifecycle Stage": "lead"},
            ),
        ),
    ],
    ids=["salesforce", "hubspot"],
)
def test_lead_presets(preset: str, export: str, expected: LeadRecord) -> None:
    parsed = parse_file("leads", export, preset=preset)
    assert parsed.errors == ()
    assert parsed.records == (expected,)


@pytest.mark.parametrize(
    ("preset", "export", "expected"),
    [
        (
            "salesforce",
            "Account ID,Account Name,Website,Industry,Employees,Billing Country,Account Owner\n"
            '0011,Acme,https://www.acme.com/,Manufacturing,"1,200",US,Jane Doe\n',
            AccountRecord(
                row=2,
                name="Acme",
                external_id="0011",
                domain="acme.com",
                industry="Manufacturing",
                employees=1200,
                region="US",
                owner="Jane Doe",
            ),
        ),
        (
            "hubspot",
            "Record ID,Company name,Company Domain Name,Industry,Number of Employees,"
            "Country/Region,Company owner\n"
            "77,Globex,globex.io,,51-200,Germany,\n",
            AccountRecord(
                row=2,
                name="Globex",
                external_id="77",
                domain="globex.io",
                employees=51,
                region="Germany",
            ),
        ),
        (
            "pipedrive",
            "Organization - ID,Organization - Name,Organization - Address\n"
            '5,Umbrella,"1 Main St\nSpringfield"\n',
            AccountRecord(
                row=2,
                name="Umbrella",
                external_id="5",
                attributes={"Organization - Address": "1 Main St\nSpringfield"},
            ),
        ),
    ],
    ids=["salesforce", "hubspot", "pipedrive"],
)
def test_account_presets(preset: str, export: str, expected: AccountRecord) -> None:
    assert parse_file("accounts", export, preset=preset).records == (expected,)


@pytest.mark.parametrize(
    ("preset", "export", "expected"),
    [
        (
            "pipedrive",
            "Person - ID,Person - Name,Person - Email,Person - Organization\n"
            "8,Sarah Lee,sarah@acme.com,Acme\n",
            ContactRecord(
                row=2,
                name="Sarah Lee",
                external_id="8",
                email="sarah@acme.com",
                account=AccountRef(domain="acme.com", name="Acme"),
            ),
        ),
        (
            "hubspot",
            "Record ID,First Name,Last Name,Email,Company Name,Lifecycle Stage,Contact owner\n"
            "9,Bo,Li,bo@gmail.com,,customer,Jane\n",
            ContactRecord(
                row=2,
                name="Bo Li",
                external_id="9",
                email="bo@gmail.com",
                attributes={"Lifecycle Stage": "customer", "Contact owner": "Jane"},
            ),
        ),
    ],
    ids=["pipedrive", "hubspot"],
)
def test_contact_presets(preset: str, export: str, expected: ContactRecord) -> None:
    assert parse_file("contacts", export, preset=preset).records == (expected,)


def test_activities_generic_columns() -> None:
    export = (
        "external_id,kind,occurred_at,summary,deal\nA1,Phone call,2024-06-03 09:30,Pricing,0061\n"
    )

    (activity,) = parse_file("activities", export).records

    assert isinstance(activity, ActivityRecord)
    assert activity.kind is ActivityKind.CALL
    assert activity.occurred_at == datetime(2024, 6, 3, 9, 30, tzinfo=UTC)
    assert (activity.external_id, activity.summary, activity.deal) == ("A1", "Pricing", "0061")


def test_column_map_overrides_the_preset_ignores_columns_and_keeps_the_rest() -> None:
    export = "Deal,Phase,Value,Rep,Secret,Region\nAcme,Demo,100,jane@x.com,s3cret,EMEA\n"

    parsed = parse_file(
        "deals",
        export,
        column_map={
            "Deal": "name",
            " phase ": "stage",
            "VALUE": "amount",
            "Rep": "owner",
            "Secret": "-",
        },
    )

    (deal,) = parsed.records
    assert isinstance(deal, DealRecord)
    assert (deal.name, deal.stage, deal.amount, deal.owner) == ("Acme", "Demo", 100.0, "jane@x.com")
    assert deal.attributes == {"Region": "EMEA"}


def test_a_map_entry_wins_over_the_preset_column() -> None:
    parsed = parse_file(
        "deals",
        SALESFORCE_OPPORTUNITIES,
        preset="salesforce",
        column_map={"Amount": "-", "Lead Source": "-", "Type": "source"},
    )

    acme = parsed.records[0]
    assert isinstance(acme, DealRecord)
    assert (acme.amount, acme.source) == (None, "Renewal")


@pytest.mark.parametrize(
    ("kind", "export", "column_map", "message"),
    [
        ("deals", "Deal,Stage\nA,Demo\n", {"Nope": "name"}, "--map names column 'Nope'"),
        ("deals", "Deal,Stage\nA,Demo\n", {"Deal": "title"}, "deals have no field 'title'"),
        (
            "deals",
            "Deal,Stage\nA,Demo\n",
            {},
            "No column for 'name' or 'external_id' in these deals",
        ),
        ("activities", "kind,when\ncall,2024-01-01\n", {}, "No column for 'occurred_at'"),
    ],
)
def test_unusable_column_layouts_are_refused(
    kind: str, export: str, column_map: dict[str, str], message: str
) -> None:
    with pytest.raises(CsvFileError, match=message):
        parse_file(kind, export, column_map=column_map)


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(CsvFileError, match="unknown preset 'zoho'"):
        parse_file("deals", "name,stage\nA,Demo\n", preset="zoho")


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "0063,,Acme,100,USD,Demo,,,,,,,,,",
            [
                RowError(
                    2,
                    "Opportunity Name",
                    "missing required field 'name' (column 'Opportunity Name')",
                )
            ],
        ),
        ("0063,X,Acme,12k,USD,Demo,,,,,,,,,", [RowError(2, "Amount", "'12k' is not an amount")]),
        (
            "0063,X,Acme,1,USD,Pending,,,,,,,,,",
            [
                RowError(
                    2,
                    "Stage",
                    "unknown stage 'Pending'; known: Prospecting, Qualification, Demo, "
                    "Proposal, Negotiation, Won, Lost",
                )
            ],
        ),
        (
            "0063,X,Acme,1,USD,Demo,someday,,,,,,,,maybe",
            [
                RowError(
                    2,
                    "Close Date",
                    "'someday' is not a date; write it as YYYY-MM-DD, e.g. 2024-01-31",
                ),
                RowError(2, "Closed", "'maybe' is not yes or no; use yes/no, true/false or 1/0"),
            ],
        ),
        (
            "0063,X,Acme,1,USD,Closed Won,,,,,,,,0,0",
            [
                RowError(
                    2,
                    "Stage",
                    "stage 'Won' is closed but the deal's status says open; correct one of them",
                )
            ],
        ),
        (
            "0063,X,Acme,1,USD,Demo,,,,,,,,,,extra",
            [
                RowError(
                    2,
                    "",
                    "1 value(s) beyond the 15 columns of the header; quote values that contain "
                    "the delimiter",
                )
            ],
        ),
    ],
    ids=["missing-name", "bad-amount", "unknown-stage", "two-bad-cells", "contradiction", "extra"],
)
def test_bad_rows_name_row_column_and_reason(row: str, expected: list[RowError]) -> None:
    header = SALESFORCE_OPPORTUNITIES.splitlines()[0]

    parsed = parse_file("deals", f"{header}\n{row}\n", preset="salesforce")

    assert parsed.records == ()
    assert list(parsed.errors) == expected
