"""Each staff role opens its own part of the back office and is refused the rest, by URL and by form."""

import pytest
from django.urls import reverse

from marketplace.core.models import AuditLogEntry
from marketplace.payments.models import LedgerEntry, TransactionStatus
from marketplace.vendors.models import VerificationStatus

from .conftest import client_for, messages_of

pytestmark = pytest.mark.django_db

PERMISSION_MESSAGE = "Sorry, you do not have permission to access this area."


@pytest.fixture
def urls(pending_vendor, awaiting_payout):
    payment = awaiting_payout.transaction
    return {
        "vendor list": reverse("backoffice_vendors:index"),
        "vendor detail": reverse("backoffice_vendors:inspect", args=[pending_vendor.pk]),
        "verify form": reverse("backoffice_vendors:verify", args=[pending_vendor.pk]),
        "booking list": reverse("backoffice_bookings:index"),
        "booking detail": reverse("backoffice_bookings:inspect", args=[awaiting_payout.pk]),
        "payout list": reverse("backoffice_payouts:index"),
        "approve form": reverse("backoffice_payouts:approve", args=[payment.pk]),
        "hold form": reverse("backoffice_payouts:hold", args=[payment.pk]),
        "bulk approve form": f"{reverse('backoffice_payouts:bulk_approve')}?id={payment.pk}",
        "bulk hold form": f"{reverse('backoffice_payouts:bulk_hold')}?id={payment.pk}",
        "ledger list": reverse("backoffice_ledger:index"),
        "ledger entry": reverse("backoffice_ledger:inspect", args=[LedgerEntry.objects.first().pk]),
        "balances": reverse("backoffice_balances:index"),
        "audit log": reverse("backoffice_audit_log:index"),
        "audit entry": reverse("backoffice_audit_log:inspect", args=[AuditLogEntry.objects.first().pk]),
        "categories": reverse("backoffice_categories:index"),
    }


# role -> the pages it opens; every other page of `urls` refuses it
OPENS = {
    "support": {
        "vendor list",
        "vendor detail",
        "verify form",
        "booking list",
        "booking detail",
        "audit log",
        "audit entry",
    },
    "finance": {
        "vendor list",
        "vendor detail",
        "booking list",
        "booking detail",
        "payout list",
        "approve form",
        "hold form",
        "bulk approve form",
        "bulk hold form",
        "ledger list",
        "ledger entry",
        "balances",
        "audit log",
        "audit entry",
    },
    "editor": set(),
}


@pytest.mark.parametrize("role", sorted(OPENS))
def test_each_role_opens_its_pages_and_is_refused_the_others(request, role, urls):
    client = client_for(request.getfixturevalue(role))
    for name, url in urls.items():
        response = client.get(url)
        if name in OPENS[role]:
            assert response.status_code == 200, f"{role} should open {name}: {response.status_code}"
        else:
            assert response.status_code == 302, f"{role} should be refused {name}: {response.status_code}"
            assert response.url == reverse("wagtailadmin_home"), name
            assert PERMISSION_MESSAGE in messages_of(response), name


def test_support_verifies_organizers_but_cannot_approve_a_payout(support, urls, pending_vendor, awaiting_payout):
    client = client_for(support)

    response = client.post(urls["approve form"], {"reason": "Looks fine"})
    assert PERMISSION_MESSAGE in messages_of(response)
    awaiting_payout.transaction.refresh_from_db()
    assert awaiting_payout.transaction.status == TransactionStatus.HELD

    client.post(urls["verify form"], {"reason": ""})
    pending_vendor.refresh_from_db()
    assert pending_vendor.verification_status == VerificationStatus.VERIFIED


def test_finance_approves_a_payout_but_cannot_verify_an_organizer(finance, urls, pending_vendor, awaiting_payout):
    client = client_for(finance)

    response = client.post(urls["verify form"], {"reason": ""})
    assert PERMISSION_MESSAGE in messages_of(response)
    pending_vendor.refresh_from_db()
    assert pending_vendor.verification_status == VerificationStatus.PENDING

    client.post(urls["approve form"], {"reason": "Photos checked"})
    awaiting_payout.transaction.refresh_from_db()
    assert awaiting_payout.transaction.status == TransactionStatus.RELEASED


def test_the_vendor_page_offers_decisions_only_to_those_who_may_take_them(support, finance, pending_vendor, urls):
    assert (
        reverse("backoffice_vendors:verify", args=[pending_vendor.pk])
        in client_for(support).get(urls["vendor detail"]).content.decode()
    )
    assert (
        reverse("backoffice_vendors:verify", args=[pending_vendor.pk])
        not in client_for(finance).get(urls["vendor detail"]).content.decode()
    )


def test_each_role_sees_only_its_menu_items(support, finance):
    support_home = client_for(support).get(reverse("wagtailadmin_home")).content.decode()
    finance_home = client_for(finance).get(reverse("wagtailadmin_home")).content.decode()

    assert reverse("backoffice_vendors:index") in support_home
    assert reverse("backoffice_payouts:index") not in support_home
    assert reverse("backoffice_ledger:index") not in support_home
    assert reverse("backoffice_payouts:index") in finance_home
    assert reverse("backoffice_ledger:index") in finance_home
