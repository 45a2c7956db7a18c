"""Finance exports the ledger as CSV: a period's lines, streamed, recorded in the audit log; others are refused."""

import csv
import io
from datetime import UTC, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.core.models import AuditLogEntry
from marketplace.payments.models import LedgerLine
from marketplace.payments.services import escrow_refund_by_admin

from .conftest import client_for, completed_booking, messages_of

pytestmark = pytest.mark.django_db

URL = reverse("backoffice_ledger:export_csv")


def everything() -> dict:
    """The fixtures' bookings are worked in the coming days: a period around them."""
    today = timezone.now().astimezone(UTC).date()
    return {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=10)).isoformat()}


def rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_finance_downloads_every_line_of_the_period(finance, customer, service):
    completed_booking(customer=customer, service=service)

    response = client_for(finance).get(URL, everything())

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith('attachment; filename="ledger-')
    exported = rows(response)
    assert len(exported) == LedgerLine.objects.count() > 0
    assert sum(int(row["amount_minor"]) for row in exported) == 0  # every posting balances
    payout = next(row for row in exported if row["kind"] == "payout" and row["account"] == "vendor_payable")
    assert (payout["amount_minor"], payout["amount"], payout["currency"]) == ("25500", "255.00", "USD")
    entry = AuditLogEntry.objects.get(action="ledger.exported")
    assert entry.actor == finance


def test_a_memo_that_looks_like_a_formula_is_neutralised(finance, admin_user, customer, service):
    booking = completed_booking(customer=customer, service=service)
    escrow_refund_by_admin(admin=admin_user, booking_id=booking.pk, amount=None, reason="=HYPERLINK(1)")

    memos = [row["memo"] for row in rows(client_for(finance).get(URL, everything()))]

    assert all(not memo.startswith("=") for memo in memos)
    assert any("=HYPERLINK(1)" in memo for memo in memos)


def test_the_period_is_checked(finance):
    client = client_for(finance)
    today = timezone.now().astimezone(UTC).date()

    later = {"from": (today + timedelta(days=20)).isoformat(), "to": (today + timedelta(days=21)).isoformat()}
    assert rows(client.get(URL, later)) == []
    for params, message in [
        ({"from": "yesterday"}, "The from date must be written YYYY-MM-DD"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "The period must end after it starts"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "Export at most a year at a time."),
    ]:
        response = client.get(URL, params)
        assert response.status_code == 302
        assert any(message in text for text in messages_of(response)), params
    assert not AuditLogEntry.objects.filter(action="ledger.exported").count() > 1


@pytest.mark.parametrize("role", ["support", "editor"])
def test_support_and_editors_cannot_export(request, role):
    response = client_for(request.getfixturevalue(role)).get(URL)

    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")
    assert not AuditLogEntry.objects.filter(action="ledger.exported").exists()


def test_the_export_button_shows_only_to_those_who_may_export(finance, admin_user):
    assert URL in client_for(finance).get(reverse("backoffice_ledger:index")).content.decode()
    assert URL in client_for(admin_user).get(reverse("backoffice_ledger:index")).content.decode()
