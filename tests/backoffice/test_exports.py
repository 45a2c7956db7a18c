"""Finance exports bookings, payouts, disputes and ledger lines of a period as CSV and XLSX.

Each file is opened the way a spreadsheet user would (the csv module, openpyxl) and its
header and rows are checked against what the domain services wrote.
"""

import csv
import html
import io
import re
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from marketplace.accounts.models import User
from marketplace.catalog.models import Service
from marketplace.core.models import AuditLogEntry
from marketplace.payments.models import LedgerLine, Payout
from tests.backoffice.test_disputes import disputed

from .conftest import client_for, completed_booking, messages_of, paid_booking

pytestmark = pytest.mark.django_db

NAMESPACES = {
    "bookings": "backoffice_bookings",
    "payouts": "backoffice_payouts",
    "disputes": "backoffice_disputes",
    "ledger": "backoffice_ledger",
}
LISTS = list(NAMESPACES)
FORMATS = ["csv", "xlsx"]
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def export_url(list_name: str, file_format: str) -> str:
    return reverse(f"{NAMESPACES[list_name]}:export_{file_format}")


def index_url(list_name: str) -> str:
    return reverse(f"{NAMESPACES[list_name]}:index")


def utc(moment) -> str:
    return moment.astimezone(UTC).isoformat() if moment else ""


def around_today() -> dict:
    """The fixtures' bookings are made now and worked in the coming days: a period around them."""
    today = timezone.now().astimezone(UTC).date()
    return {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=10)).isoformat()}


def table(response, file_format: str) -> list[list]:
    """The file's rows as a spreadsheet user would read them (empty cells as "")."""
    content = b"".join(response.streaming_content)
    if file_format == "csv":
        return list(csv.reader(io.StringIO(content.decode())))
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [["" if cell is None else cell for cell in row] for row in sheet.iter_rows(values_only=True)]


def as_read(expected: list, file_format: str) -> list:
    """An expected row as the format gives it back: text in CSV; numbers as numbers in XLSX."""
    if file_format == "csv":
        return [str(value) for value in expected]
    return [int(value) if isinstance(value, Decimal) and value == value.to_integral() else value for value in expected]


def exported(user, list_name: str, file_format: str, params=None) -> list[list]:
    response = client_for(user).get(export_url(list_name, file_format), params or around_today())
    assert response.status_code == 200, response
    return table(response, file_format)


# --- Each list, each format: header and rows ----------------------------------------------


@pytest.mark.parametrize("file_format", FORMATS)
def test_bookings_of_the_period(finance, customer, service, file_format):
    booking = paid_booking(customer=customer, service=service)

    rows = exported(finance, "bookings", file_format)

    assert rows[0] == [
        "reference",
        "booked_at_utc",
        "appointment_at_utc",
        "status",
        "customer",
        "organizer",
        "service",
        "currency",
        "price",
    ]
    assert rows[1:] == [
        as_read(
            [
                booking.reference,
                utc(booking.created_at),
                utc(booking.starts_at),
                "Confirmed",
                "casey@example.com",
                "Calm Spaces",
                "Whole-home declutter",
                "USD",
                Decimal("300.00"),
            ],
            file_format,
        )
    ]


@pytest.mark.parametrize("file_format", FORMATS)
def test_payouts_of_the_period(finance, customer, service, file_format):
    booking = completed_booking(customer=customer, service=service)
    payout = Payout.objects.get(booking=booking)

    rows = exported(finance, "payouts", file_format)

    assert rows[0] == [
        "payout",
        "released_at_utc",
        "settled_at_utc",
        "booking",
        "customer",
        "organizer",
        "status",
        "currency",
        "amount",
        "gateway_reference",
    ]
    expected = [
        payout.pk,
        utc(payout.created_at),
        utc(payout.settled_at),
        booking.reference,
        "casey@example.com",
        "Calm Spaces",
        payout.get_state_display(),
        "USD",
        Decimal("255.00"),  # $300.00 less the 15% commission
        payout.gateway_reference or "",
    ]
    assert rows[1:] == [as_read(expected, file_format)]


@pytest.mark.parametrize("file_format", FORMATS)
def test_disputes_of_the_period(admin_user, customer, service, file_format):
    dispute = disputed(customer, service)

    rows = exported(admin_user, "disputes", file_format)

    assert rows[0] == [
        "booking",
        "opened_at_utc",
        "status",
        "opened_by",
        "reason",
        "customer",
        "organizer",
        "answer_due_utc",
        "outcome",
        "currency",
        "refunded",
        "closed_at_utc",
    ]
    expected = [
        dispute.booking.reference,
        utc(dispute.created_at),
        "Waiting for the other side's answer",
        "Customer",
        "The work was not done as agreed",
        "casey@example.com",
        "Calm Spaces",
        utc(dispute.respond_by),
        "",
        "USD",
        Decimal("0.00"),
        "",
    ]
    assert rows[1:] == [as_read(expected, file_format)]


@pytest.mark.parametrize("file_format", FORMATS)
def test_ledger_lines_of_the_period(finance, customer, service, file_format):
    completed_booking(customer=customer, service=service)

    rows = exported(finance, "ledger", file_format)

    header, lines = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert header == [
        "entry",
        "posted_at_utc",
        "kind",
        "booking",
        "memo",
        "gateway_reference",
        "account",
        "organizer",
        "currency",
        "amount_minor",
        "amount",
    ]
    assert len(lines) == LedgerLine.objects.count() > 0
    assert sum(int(line["amount_minor"]) for line in lines) == 0  # every posting balances
    payout = next(line for line in lines if line["kind"] == "payout" and line["account"] == "vendor_payable")
    assert [payout["currency"], payout["amount_minor"], payout["amount"]] == as_read(
        ["USD", 25500, Decimal("255.00")], file_format
    )


def test_the_xlsx_is_a_spreadsheet_file_named_after_its_period(finance):
    response = client_for(finance).get(export_url("bookings", "xlsx"), {"from": "2026-11-01", "to": "2026-12-01"})

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="bookings-2026-11-01-to-2026-12-01.xlsx"'
    assert load_workbook(io.BytesIO(b"".join(response.streaming_content))).sheetnames == ["bookings"]


# --- The period -------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", FORMATS)
def test_only_the_period_is_exported(finance, customer, service, file_format):
    booking = paid_booking(customer=customer, service=service)
    today = timezone.now().astimezone(UTC).date()

    before = {"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()}
    assert len(exported(finance, "bookings", file_format, before)) == 1  # the header alone
    day = {"from": today.isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    assert [row[0] for row in exported(finance, "bookings", file_format, day)[1:]] == [booking.reference]
    assert len(exported(finance, "bookings", file_format)) == 2  # the default: the last 31 days


@pytest.mark.parametrize("list_name", LISTS)
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "yesterday"}, "The from date must be written YYYY-MM-DD, not 'yesterday'."),
        ({"to": "2026-13-01"}, "The to date must be written YYYY-MM-DD, not '2026-13-01'."),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "The period must end after it starts (to is exclusive)."),
        ({"from": "2026-05-01", "to": "2026-05-01"}, "The period must end after it starts (to is exclusive)."),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "Export at most a year at a time."),
    ],
)
def test_a_bad_period_exports_nothing_and_says_why(admin_user, list_name, params, message):
    response = client_for(admin_user).get(export_url(list_name, "xlsx"), params)

    assert response.status_code == 302
    assert response.url == index_url(list_name)
    assert [html.unescape(text) for text in messages_of(response)] == [f"Nothing was exported. {message}"]
    assert not AuditLogEntry.objects.filter(action__endswith=".exported").exists()


# --- Who may export ---------------------------------------------------------------------------


@pytest.mark.parametrize("list_name", LISTS)
@pytest.mark.parametrize("file_format", FORMATS)
@pytest.mark.parametrize("role", ["support", "editor"])
def test_support_and_editors_are_refused(request, role, list_name, file_format):
    response = client_for(request.getfixturevalue(role)).get(export_url(list_name, file_format), around_today())

    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")
    assert not AuditLogEntry.objects.filter(action__endswith=".exported").exists()


@pytest.mark.parametrize("list_name", LISTS)
def test_admins_may_export_every_list(admin_user, list_name):
    assert exported(admin_user, list_name, "csv")[0][0] in {"reference", "payout", "booking", "entry"}


def test_the_export_buttons_show_to_those_who_may_export(finance, admin_user, support):
    def buttons(user, list_name) -> list[bool]:
        page = client_for(user).get(index_url(list_name)).content.decode()
        return [export_url(list_name, file_format) in page for file_format in FORMATS]

    for list_name in LISTS:
        assert buttons(admin_user, list_name) == [True, True], list_name
    for list_name in ("bookings", "payouts", "ledger"):  # finance does not see the disputes queue
        assert buttons(finance, list_name) == [True, True], list_name
    for list_name in ("bookings", "disputes"):
        assert buttons(support, list_name) == [False, False], list_name


# --- Wagtail's ?export= on the listings (it downloaded blank lines) -------------------------------


def test_export_parameter_on_a_listing_leads_to_its_export(finance, customer, service):
    booking = paid_booking(customer=customer, service=service)
    client = client_for(finance)

    response = client.get(index_url("bookings"), {"export": "csv", **around_today()})

    assert response.status_code == 302
    assert response.url.startswith(export_url("bookings", "csv") + "?")
    rows = table(client.get(response.url), "csv")
    assert [row[0] for row in rows] == ["reference", booking.reference]


def test_export_parameter_does_not_bypass_the_export_permission(support, customer, service):
    paid_booking(customer=customer, service=service)
    client = client_for(support)

    response = client.get(index_url("bookings"), {"export": "xlsx"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("wagtailadmin_home")
    assert not AuditLogEntry.objects.filter(action__endswith=".exported").exists()


# --- The audit log ----------------------------------------------------------------------------


@pytest.mark.parametrize("list_name", LISTS)
@pytest.mark.parametrize("file_format", FORMATS)
def test_every_export_is_in_the_audit_log(finance, admin_user, list_name, file_format):
    exporter = admin_user if list_name == "disputes" else finance

    exported(exporter, list_name, file_format, {"from": "2026-11-01", "to": "2026-12-01"})

    entry = AuditLogEntry.objects.get(action=f"{list_name}.exported")
    assert entry.actor == exporter
    assert entry.data == {
        "list": list_name,
        "format": file_format,
        "from": "2026-11-01T00:00:00+00:00",
        "to": "2026-12-01T00:00:00+00:00",
    }


# --- Formulas ---------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", FORMATS)
def test_text_that_looks_like_a_formula_is_neutralised(finance, customer, service, vendor, file_format):
    Service.objects.filter(pk=service.pk).update(title='=HYPERLINK("http://evil.test")')
    User.objects.filter(pk=customer.pk).update(email="-2+3@example.com")
    vendor.business_name = "@SUM(1+1)"
    vendor.save(update_fields=["business_name"])
    completed_booking(customer=customer, service=service)

    bookings = exported(finance, "bookings", file_format)
    ledger = exported(finance, "ledger", file_format)

    assert bookings[1][4:7] == ["'-2+3@example.com", "'@SUM(1+1)", '\'=HYPERLINK("http://evil.test")']
    assert "'@SUM(1+1)" in [row[7] for row in ledger[1:]]  # the organizer of the vendor_payable lines
    text = [cell for row in bookings + ledger for cell in row if isinstance(cell, str) and not NUMBER.fullmatch(cell)]
    assert not [cell for cell in text if cell[:1] in ("=", "+", "-", "@")]  # negative amounts are numbers, not text


def test_no_xlsx_cell_is_a_formula(finance, customer, service):
    Service.objects.filter(pk=service.pk).update(title="=1+1")
    paid_booking(customer=customer, service=service)

    response = client_for(finance).get(export_url("bookings", "xlsx"), around_today())

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert "f" not in {cell.data_type for cell in cells}
    assert sheet.cell(row=2, column=7).value == "'=1+1"


# --- Memory and queries: nothing grows with the number of rows ------------------------------------


def make(list_name: str, customer, service, *, count: int, start: int) -> None:
    for n in range(start, start + count):
        if list_name == "bookings":
            paid_booking(customer=customer, service=service, days_ahead=3 + n)
        elif list_name == "disputes":
            disputed(customer, service, days_ago=1 + n)
        else:
            completed_booking(customer=customer, service=service, days_ahead=3 + n)


def queries_for_export(user, list_name: str, file_format: str) -> tuple[int, int]:
    client = client_for(user)
    with CaptureQueriesContext(connection) as queries:
        rows = table(client.get(export_url(list_name, file_format), around_today()), file_format)
    return len(queries), len(rows)


@pytest.mark.parametrize("list_name", LISTS)
@pytest.mark.parametrize("file_format", FORMATS)
def test_the_number_of_queries_does_not_grow_with_the_rows(admin_user, customer, service, list_name, file_format):
    make(list_name, customer, service, count=1, start=0)
    queries_for_export(admin_user, list_name, file_format)  # warm the caches (content types, session)
    few_queries, few_rows = queries_for_export(admin_user, list_name, file_format)

    make(list_name, customer, service, count=3, start=1)
    many_queries, many_rows = queries_for_export(admin_user, list_name, file_format)

    assert many_rows > few_rows
    assert many_queries == few_queries


def test_export_parameter_on_a_list_without_an_export_shows_the_list(admin_user):
    response = client_for(admin_user).get(reverse("backoffice_vendors:index"), {"export": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
