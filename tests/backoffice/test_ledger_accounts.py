"""The ledger by account: each account's balance, and one account's lines with a running balance across pages."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from backoffice.views import ledger_accounts
from marketplace.core.money import Money
from marketplace.payments.models import LedgerEntry, LedgerLine
from marketplace.payments.selectors import ledger_account_balances, ledger_accounts_by_currency, ledger_balances
from tests.factories import ServiceFactory

from .conftest import client_for, completed_booking, paid_booking

pytestmark = pytest.mark.django_db

INDEX = "backoffice_ledger_accounts:index"


def usd(minor: int) -> Money:
    return Money(minor, "USD")


def approve(admin_client, booking) -> None:
    response = admin_client.post(
        reverse("backoffice_payouts:approve", args=[booking.transaction.pk]), {"reason": "Checked"}
    )
    assert response.status_code == 302


@pytest.fixture
def two_payouts(admin_client, payout_needs_approval, customer, other_customer, service, other_vendor, category):
    """$300.00 with Calm Spaces and $200.00 with Box & Order, paid today and completed; Calm Spaces' payout
    approved today, Box & Order's five days from now."""
    other_service = ServiceFactory(vendor=other_vendor, category=category, title="Garage reset", base_price_minor=20000)
    calm = completed_booking(customer=customer, service=service, days_ahead=3)
    box = completed_booking(customer=other_customer, service=other_service, days_ahead=4)
    approve(admin_client, calm)
    with time_machine.travel(timezone.now() + timedelta(days=5)):
        approve(admin_client, box)
    return calm, box


def account_rows(balances) -> list[tuple]:
    return [
        (b.currency, b.account, b.vendor_name, b.debits.minor, b.credits.minor, b.balance.minor, b.line_count)
        for b in balances
    ]


def test_every_account_with_its_debits_credits_and_balance(two_payouts, vendor, other_vendor):
    # 15% commission: $45.00 of $300.00 and $30.00 of $200.00; the organizers got $255.00 and $170.00
    assert account_rows(ledger_account_balances()) == [
        ("USD", "processor_cash", "", 50000, 42500, 7500, 4),
        ("USD", "customer_escrow", "", 50000, 50000, 0, 4),
        ("USD", "vendor_payable", "Box & Order", 17000, 17000, 0, 2),
        ("USD", "vendor_payable", "Calm Spaces", 25500, 25500, 0, 2),
        ("USD", "platform_commission", "", 0, 7500, -7500, 2),
    ]
    assert [b.vendor_id for b in ledger_account_balances() if b.is_per_organizer] == [other_vendor.pk, vendor.pk]


def test_the_accounts_of_a_currency_sum_to_zero(two_payouts, customer, hourly_service):
    paid_booking(customer=customer, service=hourly_service, days_ahead=6)

    groups = ledger_accounts_by_currency()

    assert [(group.currency, group.net) for group in groups] == [("USD", usd(0))]
    assert sum(account.balance.minor for account in groups[0].accounts) == 0
    assert [balances.net for balances in ledger_balances()] == [usd(0)]
    # the accounts' balances are the same figures as the balances page's
    by_account = {b.account: b.balance.minor for b in groups[0].accounts if not b.is_per_organizer}
    assert by_account["processor_cash"] == ledger_balances()[0].processor_cash.minor
    assert -by_account["customer_escrow"] == ledger_balances()[0].escrow_held.minor


def test_the_accounts_page_lists_them_by_currency_with_their_links(admin_client, two_payouts, vendor):
    response = admin_client.get(reverse(INDEX))

    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Customer funds at the payment processor", "$500.00", "$425.00", "$75.00 Dr", "$75.00 Cr", "Balanced"):
        assert text in html, text
    calm_payable = reverse("backoffice_ledger_accounts:account", args=["vendor_payable", "USD", vendor.pk])
    assert f'href="{calm_payable}"' in html
    assert reverse("backoffice_ledger_accounts:account", args=["processor_cash", "USD"]) in html


def test_the_organizers_accounts_filter_by_organizer(admin_client, two_payouts):
    response = admin_client.get(reverse(INDEX), {"organizer": "calm"})

    [(_group, accounts)] = response.context["groups"]
    assert [(account.account, account.vendor_name) for account, _ in accounts] == [("vendor_payable", "Calm Spaces")]
    assert "Sum of the balances" not in response.content.decode()  # one organizer's accounts do not balance alone
    assert admin_client.get(reverse(INDEX), {"currency": "EUR"}).context["groups"] == []


def test_ledger_and_balances_link_to_the_accounts(admin_client, two_payouts):
    url = reverse(INDEX)
    assert url in admin_client.get(reverse("backoffice_ledger:index")).content.decode()
    assert url in admin_client.get(reverse("backoffice_balances:index")).content.decode()


def test_an_account_s_lines_link_their_entry_and_booking(admin_client, two_payouts, vendor):
    calm, _ = two_payouts
    url = reverse("backoffice_ledger_accounts:account", args=["vendor_payable", "USD", vendor.pk])

    response = admin_client.get(url)

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(row["line"].entry.kind, row["line"].amount_minor, row["balance"]) for row in rows] == [
        ("release", -25500, usd(-25500)),
        ("payout", 25500, usd(0)),
    ]
    html = response.content.decode()
    release = LedgerEntry.objects.get(transaction=calm.transaction, kind="release")
    assert reverse("backoffice_ledger:inspect", args=[release.pk]) in html
    assert reverse("backoffice_bookings:inspect", args=[calm.pk]) in html
    assert calm.reference in html


def test_the_running_balance_carries_across_a_page_boundary(
    admin_client, two_payouts, customer, hourly_service, monkeypatch, django_assert_max_num_queries
):
    paid_booking(customer=customer, service=hourly_service, days_ahead=6)
    monkeypatch.setattr(ledger_accounts, "LINES_PER_PAGE", 2)
    url = reverse("backoffice_ledger_accounts:account", args=["processor_cash", "USD"])
    expected = list(
        LedgerLine.objects.filter(account="processor_cash")
        .order_by("entry__created_at", "entry_id", "id")
        .values_list("amount_minor", flat=True)
    )
    assert len(expected) == 5
    running = [sum(expected[: index + 1]) for index in range(5)]

    pages = []
    for page in (1, 2, 3):
        with django_assert_max_num_queries(12):
            response = admin_client.get(url, {"p": page})
        pages.append(response.context)

    assert [context["opening"] for context in pages] == [usd(0), usd(running[1]), usd(running[3])]
    assert [[row["balance"].minor for row in context["rows"]] for context in pages] == [
        running[0:2],
        running[2:4],
        running[4:5],
    ]
    assert pages[-1]["closing"] == usd(running[-1]) == usd(7500 + 17100)
    assert "Brought forward" in admin_client.get(url, {"p": 2}).content.decode()


def test_a_period_keeps_the_balance_brought_forward(admin_client, two_payouts):
    url = reverse("backoffice_ledger_accounts:account", args=["processor_cash", "USD"])
    today = timezone.localdate()

    later = admin_client.get(url, {"posted_from": (today + timedelta(days=1)).isoformat()}).context
    until_today = admin_client.get(url, {"posted_to": today.isoformat()}).context
    before = admin_client.get(url, {"posted_to": (today - timedelta(days=1)).isoformat()}).context
    far_ahead = admin_client.get(url, {"posted_from": (today + timedelta(days=9)).isoformat()}).context

    # Box & Order's payout, five days from now; what was posted today is brought forward
    assert [(row["line"].entry.kind, row["line"].amount_minor) for row in later["rows"]] == [("payout", -17000)]
    assert (later["opening"], later["closing"]) == (usd(30000 + 20000 - 25500), usd(7500))
    assert [row["line"].amount_minor for row in until_today["rows"]] == [30000, 20000, -25500]
    assert (until_today["opening"], until_today["closing"]) == (usd(0), usd(24500))
    assert (before["rows"], before["opening"], before["closing"]) == ([], usd(0), usd(0))
    assert (far_ahead["rows"], far_ahead["opening"], far_ahead["closing"]) == ([], usd(7500), usd(7500))


def test_a_backwards_period_is_refused_on_the_form(admin_client, two_payouts, vendor):
    url = reverse("backoffice_ledger_accounts:account", args=["vendor_payable", "USD", vendor.pk])
    today = timezone.localdate()

    response = admin_client.get(url, {"posted_from": today.isoformat(), "posted_to": (today - timedelta(days=2))})

    assert "The period must end on or after the day it starts." in response.content.decode()
    assert len(response.context["rows"]) == 2  # unfiltered: the release and the payout


@pytest.mark.parametrize(
    "args",
    [
        ["vendor_payable", "USD"],  # an organizer's account needs the organizer
        ["processor_cash", "USD", 1],  # the platform's accounts have none
        ["processor_cash", "EUR"],  # no line in that currency
        ["no_such_account", "USD"],
    ],
)
def test_an_account_without_lines_or_that_does_not_exist_is_not_found(admin_client, two_payouts, args):
    assert admin_client.get(reverse("backoffice_ledger_accounts:account", args=args)).status_code == 404


def test_the_account_list_costs_the_same_few_queries_however_many_accounts(
    admin_client, two_payouts, make_vendor, category, customer, django_assert_max_num_queries
):
    for number in range(3):
        organizer = make_vendor(business_name=f"Organizer {number}")
        paid = completed_booking(
            customer=customer,
            service=ServiceFactory(vendor=organizer, category=category, base_price_minor=20000),
            days_ahead=7 + number,
        )
        approve(admin_client, paid)
    assert len([b for b in ledger_account_balances() if b.is_per_organizer]) == 5

    with django_assert_max_num_queries(8):
        response = admin_client.get(reverse(INDEX))

    assert response.status_code == 200


def test_finance_sees_the_accounts_and_support_does_not(two_payouts, finance, support):
    url = reverse(INDEX)
    line_url = reverse("backoffice_ledger_accounts:account", args=["processor_cash", "USD"])

    assert client_for(finance).get(url).status_code == 200
    assert client_for(finance).get(line_url).status_code == 200
    for denied in (url, line_url):
        response = client_for(support).get(denied)
        assert response.status_code == 302
        assert response.url == reverse("wagtailadmin_home")


def test_an_organizer_s_name_is_escaped(admin_client, two_payouts, vendor):
    vendor.business_name = "<script>alert(1)</script> Spaces"
    vendor.save(update_fields=["business_name"])

    html = admin_client.get(reverse(INDEX)).content.decode()
    lines = admin_client.get(
        reverse("backoffice_ledger_accounts:account", args=["vendor_payable", "USD", vendor.pk])
    ).content.decode()

    for page in (html, lines):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Spaces" in page
