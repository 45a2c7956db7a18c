"""An organizer's connected account and bank payouts, as Stripe reports them."""

from __future__ import annotations

import pytest

from marketplace.core.models import AuditLogEntry
from marketplace.payments.models import StripeEvent
from marketplace.vendors.models import VendorProfile

from .stripe_events import T0, deliver, stripe_event

pytestmark = pytest.mark.django_db

ACCOUNT = "acct_test_calm"


@pytest.fixture
def profile(vendor) -> VendorProfile:
    VendorProfile.objects.filter(vendor=vendor).update(stripe_account_id=ACCOUNT, payouts_enabled=False)
    return VendorProfile.objects.get(vendor=vendor)


def account_updated(payouts_enabled: bool, *, created: int = T0, account_id: str = ACCOUNT) -> dict:
    account = {
        "id": account_id,
        "object": "account",
        "type": "express",
        "charges_enabled": payouts_enabled,
        "payouts_enabled": payouts_enabled,
        "details_submitted": True,
        "requirements": {"currently_due": [], "past_due": [], "disabled_reason": None},
    }
    return stripe_event("account.updated", account, created=created, account=account_id)


def test_account_updated_turns_the_organizer_s_payouts_on_and_off(profile):
    deliver(account_updated(True))
    profile.refresh_from_db()
    assert profile.payouts_enabled is True

    deliver(account_updated(False, created=T0 + 60))
    profile.refresh_from_db()
    assert profile.payouts_enabled is False
    assert list(AuditLogEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "vendor.payouts_enabled",
        "vendor.payouts_disabled",
    ]


def test_an_older_account_update_arriving_late_changes_nothing(profile):
    deliver(account_updated(True, created=T0 + 60))
    late = account_updated(False, created=T0)

    deliver(late)

    profile.refresh_from_db()
    assert profile.payouts_enabled is True
    assert StripeEvent.objects.get(stripe_id=late["id"]).note == (
        f"A newer report of {ACCOUNT} was applied already: this older one changes nothing."
    )


def test_an_account_that_is_no_organizer_s_is_applied_with_a_note(profile):
    deliver(account_updated(True, account_id="acct_someone_else"))

    profile.refresh_from_db()
    assert profile.payouts_enabled is False
    stored = StripeEvent.objects.get()
    assert stored.applied_at is not None
    assert stored.note == "Account acct_someone_else is not an organizer's: another system's object."


def test_bank_payouts_are_recorded_and_a_failed_one_is_logged(profile, caplog):
    paid = {"id": "po_1", "object": "payout", "amount": 25500, "currency": "usd", "status": "paid"}
    failed = {
        **paid,
        "id": "po_2",
        "status": "failed",
        "failure_code": "account_closed",
        "failure_message": "The bank account has been closed.",
    }

    deliver(stripe_event("payout.paid", paid, account=ACCOUNT))
    deliver(stripe_event("payout.failed", failed, account=ACCOUNT))

    notes = dict(StripeEvent.objects.values_list("type", "note"))
    assert notes == {
        "payout.paid": "Bank payout po_1 of 25500 USD paid.",
        "payout.failed": "Bank payout po_2 of 25500 USD failed: The bank account has been closed.",
    }
    assert f"bank payout po_2 of 25500 USD from account {ACCOUNT} failed" in caplog.text
    assert StripeEvent.objects.filter(applied_at__isnull=True).count() == 0
