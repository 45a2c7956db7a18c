"""An organizer's connected account and bank payouts, as Stripe reports them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from marketplace.core.models import AuditLogEntry
from marketplace.payments.models import LocalGatewayAccount, MovementState, Payout, StripeEvent
from marketplace.vendors.models import VendorProfile, VerificationStatus
from tests.conftest import local_slot
from tests.factories.bookings import completed_booking

from .stripe_events import T0, deliver, stripe_event

pytestmark = pytest.mark.django_db

ACCOUNT = "acct_test_calm"


@pytest.fixture
def profile(vendor) -> VendorProfile:
    VendorProfile.objects.filter(vendor=vendor).update(stripe_account_id=ACCOUNT, payouts_enabled=False)
    return VendorProfile.objects.get(vendor=vendor)


def account_updated(
    payouts_enabled: bool,
    *,
    created: int = T0,
    account_id: str = ACCOUNT,
    past_due: list[str] | None = None,
    details_submitted: bool = True,
) -> dict:
    past_due = past_due or []
    account = {
        "id": account_id,
        "object": "account",
        "type": "express",
        "charges_enabled": payouts_enabled,
        "payouts_enabled": payouts_enabled,
        "details_submitted": details_submitted,
        "requirements": {
            "currently_due": past_due,
            "past_due": past_due,
            "disabled_reason": "requirements.past_due" if past_due else None,
        },
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


def test_requirements_past_due_pause_new_bookings_and_meeting_them_resumes_them(profile, vendor):
    deliver(account_updated(True))

    deliver(account_updated(False, created=T0 + 60, past_due=["individual.verification.document", "external_account"]))

    vendor.refresh_from_db()
    profile.refresh_from_db()
    assert vendor.new_bookings_paused_reason == (
        "Payout account information is past due: an identity document, a bank account for payouts."
    )
    assert vendor.verification_status == VerificationStatus.VERIFIED
    assert profile.payout_requirements_past_due == ["individual.verification.document", "external_account"]
    assert profile.payout_disabled_reason == "requirements.past_due"
    assert profile.payout_account_synced_at == datetime.fromtimestamp(T0 + 60, tz=UTC)

    deliver(account_updated(True, created=T0 + 120))

    vendor.refresh_from_db()
    assert (vendor.new_bookings_paused_at, vendor.new_bookings_paused_reason) == (None, "")
    assert list(AuditLogEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "vendor.payouts_enabled",
        "vendor.payouts_disabled",
        "vendor.new_bookings_paused",
        "vendor.payouts_enabled",
        "vendor.new_bookings_resumed",
    ]


def test_an_older_past_due_event_arriving_late_pauses_nothing(profile, vendor):
    deliver(account_updated(True, created=T0 + 60))

    deliver(account_updated(False, created=T0, past_due=["external_account"]))

    vendor.refresh_from_db()
    profile.refresh_from_db()
    assert (vendor.new_bookings_paused, profile.payouts_enabled, profile.payout_requirements_past_due) == (
        False,
        True,
        [],
    )


def test_an_account_not_yet_set_up_does_not_pause_new_bookings(profile, vendor):
    deliver(account_updated(False, past_due=["external_account", "tos_acceptance.date"], details_submitted=False))

    vendor.refresh_from_db()
    assert vendor.new_bookings_paused is False
    assert VendorProfile.objects.get(vendor=vendor).payout_requirements_due == [
        "external_account",
        "tos_acceptance.date",
    ]


def test_payouts_that_waited_go_out_when_the_account_is_enabled(profile, vendor, service, customer):
    # Stripe's side of the account, played by the local gateway.
    LocalGatewayAccount.objects.create(reference=ACCOUNT, idempotency_key="stripe-side", payouts_enabled=True)
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    assert Payout.objects.get(booking=booking).state == MovementState.WAITING

    deliver(account_updated(True))

    payout = Payout.objects.get(booking=booking)
    assert (payout.state, payout.destination) == (MovementState.SUCCEEDED, ACCOUNT)
    assert "1 waiting payout(s) queued." in StripeEvent.objects.get().note


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
