"""The ledger, read-only, and the balances summed from its lines."""

import pytest
from django.urls import reverse

from marketplace.core.money import Money
from marketplace.payments.models import LedgerEntry
from marketplace.payments.selectors import LedgerBalances, ledger_balances

from .conftest import paid_booking

pytestmark = pytest.mark.django_db


def usd(minor: int) -> Money:
    return Money(minor, "USD")


def test_balances_follow_the_money(admin_client, awaiting_payout, other_customer, hourly_service):
    # given a completed $300.00 booking held for approval and a paid $171.00 hourly booking (2 h at $85.50)
    paid_booking(customer=other_customer, service=hourly_service, days_ahead=5)

    assert ledger_balances() == [
        LedgerBalances(
            currency="USD",
            processor_cash=usd(47100),
            escrow_held=usd(47100),
            commission_earned=usd(0),
            owed_to_vendors=usd(0),
            refunds_owed=usd(0),
            owed_by_vendors=usd(0),
            net=usd(0),
        )
    ]

    # when the admin approves the payout
    admin_client.post(
        reverse("backoffice_payouts:approve", args=[awaiting_payout.transaction.pk]), {"reason": "Checked"}
    )

    # then the escrow shrinks by the booking, the platform keeps its commission and the vendor was paid
    assert ledger_balances() == [
        LedgerBalances(
            currency="USD",
            processor_cash=usd(47100 - 25500),
            escrow_held=usd(17100),
            commission_earned=usd(4500),
            owed_to_vendors=usd(0),
            refunds_owed=usd(0),
            owed_by_vendors=usd(0),
            net=usd(0),
        )
    ]
    response = admin_client.get(reverse("backoffice_balances:index"))
    assert response.status_code == 200
    html = response.content.decode()
    for amount in ("$171.00", "$45.00", "$216.00", "Balanced"):
        assert amount in html, amount


def test_balances_of_an_empty_ledger(admin_client):
    assert ledger_balances() == []
    response = admin_client.get(reverse("backoffice_balances:index"))
    assert "No money has moved yet." in response.content.decode()


def test_ledger_lists_entries_with_their_lines(admin_client, awaiting_payout):
    admin_client.post(
        reverse("backoffice_payouts:approve", args=[awaiting_payout.transaction.pk]), {"reason": "Checked"}
    )
    url = reverse("backoffice_ledger:index")

    response = admin_client.get(url)

    assert response.status_code == 200
    assert sorted(entry.kind for entry in response.context["object_list"]) == ["capture", "payout", "release"]
    html = response.content.decode()
    assert "Customer funds held in escrow: Cr $300.00" in html
    assert "Platform revenue (commission): Cr $45.00" in html
    assert [e.kind for e in admin_client.get(url, {"kind": "capture"}).context["object_list"]] == ["capture"]
    assert len(admin_client.get(url, {"q": awaiting_payout.reference}).context["object_list"]) == 3
    assert len(admin_client.get(url, {"q": "BK-NOTHING"}).context["object_list"]) == 0
    assert len(admin_client.get(url, {"currency": "EUR"}).context["object_list"]) == 0


def test_ledger_entry_detail_shows_balanced_lines(admin_client, awaiting_payout):
    entry = LedgerEntry.objects.get(transaction=awaiting_payout.transaction, kind="capture")

    response = admin_client.get(reverse("backoffice_ledger:inspect", args=[entry.pk]))

    assert response.status_code == 200
    assert [(line.account, line.amount_minor) for line in response.context["lines"]] == [
        ("processor_cash", 30000),
        ("customer_escrow", -30000),
    ]
    assert awaiting_payout.reference in response.content.decode()
