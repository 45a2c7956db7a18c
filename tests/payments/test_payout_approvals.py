"""The risk flags beside a payout waiting for approval (each one, when it shows and when not), and an admin's hold."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from marketplace.accounts.errors import NotPermitted
from marketplace.core.audit import audit_log_for
from marketplace.disputes.services import dispute_open
from marketplace.payments.errors import PayoutAlreadyHeld
from marketplace.payments.models import Chargeback, ChargebackStatus, HoldReason, MovementState, Payout, ReleaseHold
from marketplace.payments.policy import NEW_ORGANIZER_DAYS, RECENT_CHARGEBACK_DAYS, payout_risk_flags
from marketplace.payments.selectors import payout_list_awaiting_approval_with_risk
from marketplace.payments.services import escrow_release, payout_hold
from tests.backoffice.conftest import completed_booking
from tests.factories import AdminFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def payout_needs_approval(settings):
    """Payouts above $100.00 wait for an admin (the $300.00 service is above it)."""
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 10_000


@pytest.fixture
def awaiting_payout(payout_needs_approval, customer, service):
    return completed_booking(customer=customer, service=service)


def flags_of(booking) -> dict[str, str]:
    payment = payout_list_awaiting_approval_with_risk().get(booking=booking)
    return {flag.code: flag.sentence for flag in payout_risk_flags(payment)}


@pytest.fixture
def settled_vendor(vendor):
    """Verified long ago: not a new organizer."""
    vendor.verified_at = timezone.now() - timedelta(days=NEW_ORGANIZER_DAYS + 1)
    vendor.save(update_fields=["verified_at"])
    return vendor


def chargeback_on(booking, *, opened_days_ago: int) -> Chargeback:
    opened = timezone.now() - timedelta(days=opened_days_ago)
    return Chargeback.objects.create(
        stripe_dispute_id=f"dp_{booking.pk}_{opened_days_ago}",
        transaction=booking.transaction,
        booking=booking,
        amount_minor=booking.transaction.amount_minor,
        currency="USD",
        reason="fraudulent",
        status=ChargebackStatus.WON,
        created=opened,
        closed_at=opened,
        stripe_updated=opened,
    )


def test_a_settled_organizers_payout_under_the_threshold_shows_no_flag(
    settings, settled_vendor, customer, service, payout_needs_approval
):
    first = completed_booking(customer=customer, service=service, days_ahead=3)
    escrow_release(booking_id=first.pk, approved_by=AdminFactory(), reason="Checked")
    assert Payout.objects.get(booking=first).state == MovementState.SUCCEEDED
    settled_vendor.payouts_need_approval = True  # waits for approval without any risk flag
    settled_vendor.save(update_fields=["payouts_need_approval"])
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 100_000
    second = completed_booking(customer=customer, service=service, days_ahead=4)

    assert flags_of(second) == {}


def test_first_payout_of_an_organizer(settled_vendor, awaiting_payout):
    assert flags_of(awaiting_payout)["first_payout"] == "No payout to this organizer has succeeded yet."


def test_not_the_first_payout_once_one_has_succeeded(settled_vendor, customer, service, payout_needs_approval):
    first = completed_booking(customer=customer, service=service, days_ahead=3)
    escrow_release(booking_id=first.pk, approved_by=AdminFactory(), reason="Checked")
    second = completed_booking(customer=customer, service=service, days_ahead=4)

    assert "first_payout" not in flags_of(second)


def test_new_organizer_verified_within_the_window(vendor, awaiting_payout):
    vendor.verified_at = timezone.now() - timedelta(days=3, hours=1)
    vendor.save(update_fields=["verified_at"])

    assert flags_of(awaiting_payout)["new_organizer"] == "Verified 3 days ago, less than 30 days ago."


def test_an_organizer_without_a_verification_date_counts_as_new(vendor, awaiting_payout):
    vendor.verified_at = None
    vendor.save(update_fields=["verified_at"])

    assert flags_of(awaiting_payout)["new_organizer"] == "The organizer is not verified."


def test_not_new_once_verified_longer_ago(settled_vendor, awaiting_payout):
    assert "new_organizer" not in flags_of(awaiting_payout)


def test_amount_over_the_threshold(settled_vendor, awaiting_payout):
    assert flags_of(awaiting_payout)["above_threshold"] == "$300.00 is above the approval threshold of $100.00."


def test_amount_at_the_threshold_is_not_over_it(settings, settled_vendor, awaiting_payout):
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 30_000

    assert "above_threshold" not in flags_of(awaiting_payout)


def test_open_dispute_on_the_booking(settled_vendor, customer, awaiting_payout):
    assert "open_dispute" not in flags_of(awaiting_payout)

    with time_machine.travel(awaiting_payout.ends_at + timedelta(hours=1)):
        dispute_open(user=customer, booking_id=awaiting_payout.pk, reason="not_done", description="Half done.")
        flags = flags_of(awaiting_payout)

    assert flags["open_dispute"] == "A dispute about this booking is open."


def test_recent_chargebacks_on_any_of_the_organizers_bookings(settled_vendor, customer, service, awaiting_payout):
    other = completed_booking(customer=customer, service=service, days_ahead=4)
    chargeback_on(other, opened_days_ago=10)
    chargeback_on(awaiting_payout, opened_days_ago=RECENT_CHARGEBACK_DAYS - 1)

    assert flags_of(awaiting_payout)["recent_chargebacks"] == (
        "2 chargebacks on this organizer's bookings in the last 90 days."
    )


def test_chargebacks_older_than_the_window_or_of_other_organizers_do_not_count(
    settled_vendor, other_vendor, category, customer, awaiting_payout
):
    chargeback_on(awaiting_payout, opened_days_ago=RECENT_CHARGEBACK_DAYS + 1)
    others = ServiceFactory(vendor=other_vendor, category=category, base_price_minor=30000)
    chargeback_on(completed_booking(customer=customer, service=others, days_ahead=4), opened_days_ago=1)

    assert "recent_chargebacks" not in flags_of(awaiting_payout)


# --- payout_hold: an admin's hold, said once ---------------------------------------------------


def test_an_admin_holds_a_payout_once_and_a_second_hold_is_refused(admin_user, awaiting_payout):
    hold = payout_hold(booking_id=awaiting_payout.pk, actor=admin_user, note="Checking the photos")
    assert (hold.reason, hold.note, hold.placed_by) == (HoldReason.ADMIN, "Checking the photos", admin_user)

    with pytest.raises(PayoutAlreadyHeld) as refused:
        payout_hold(booking_id=awaiting_payout.pk, actor=admin_user, note="Again")

    assert refused.value.code == "payout_already_held"
    assert ReleaseHold.objects.filter(transaction=awaiting_payout.transaction).count() == 1
    assert audit_log_for(awaiting_payout.transaction).filter(action="escrow.held").count() == 1


def test_a_payout_with_a_dispute_hold_can_still_be_held_by_an_admin(admin_user, customer, awaiting_payout):
    with time_machine.travel(awaiting_payout.ends_at + timedelta(hours=1)):
        dispute_open(user=customer, booking_id=awaiting_payout.pk, reason="not_done", description="Half done.")

    payout_hold(booking_id=awaiting_payout.pk, actor=admin_user, note="Also checking")

    awaiting_payout.transaction.refresh_from_db()
    assert awaiting_payout.transaction.hold_reasons == [HoldReason.ADMIN, HoldReason.DISPUTE]


def test_only_a_payout_approver_holds_a_payout(customer, awaiting_payout):
    with pytest.raises(NotPermitted):
        payout_hold(booking_id=awaiting_payout.pk, actor=customer, note="Mine")

    assert not ReleaseHold.objects.exists()
