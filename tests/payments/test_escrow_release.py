"""Releasing escrow: automatic under the threshold, an admin's approval above it or for flagged vendors."""

from datetime import timedelta

import pytest
import time_machine

from marketplace.bookings.services import booking_cancel
from marketplace.core.errors import Conflict
from marketplace.core.models import AuditLogEntry
from marketplace.payments.errors import BookingNotCompleted, PayoutNeedsApproval
from marketplace.payments.models import LedgerLine, Transaction
from marketplace.payments.services import escrow_release
from marketplace.payments.tasks import escrow_release_due as escrow_release_job
from tests.conftest import local_slot
from tests.factories.bookings import completed_booking, past_paid_booking
from tests.payments.invariants import assert_money_invariants
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db


def test_a_payout_at_the_threshold_is_released_by_the_job(customer, service, settings):
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 30000  # "above" the threshold waits; exactly at it does not

    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))

    txn = Transaction.objects.get(booking=booking)
    assert (txn.status, txn.payout_needs_approval, txn.released_by) == ("released", False, None)
    assert AuditLogEntry.objects.filter(action="escrow.released", actor=None).count() == 1
    assert assert_money_invariants()["paid_out"] == 25500


def test_a_payout_above_the_threshold_waits_for_an_admin(customer, service, admin_user, settings):
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 29999
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    assert Transaction.objects.get().status == "held"

    # the job leaves it alone, however often it runs, and the release says why
    before = data_snapshot()
    assert escrow_release_job() == 0
    assert escrow_release_job() == 0
    with pytest.raises(PayoutNeedsApproval, match="waits for an admin's approval"):
        escrow_release(booking_id=booking.pk)
    assert changed_tables(before, data_snapshot()) == []

    # an admin approves it
    txn = escrow_release(booking_id=booking.pk, approved_by=admin_user, reason="Photos checked")

    assert (txn.status, txn.released_by) == ("released", admin_user)
    entry = AuditLogEntry.objects.get(action="escrow.released")
    assert (entry.actor, entry.reason) == (admin_user, "Photos checked")
    assert assert_money_invariants() == {
        "captured": 30000,
        "released": 30000,
        "refunded": 0,
        "held": 0,
        "commission": 4500,
        "paid_out": 25500,
    }


def test_a_flagged_vendors_payout_waits_for_an_admin_whatever_the_amount(customer, service):
    service.vendor.payouts_need_approval = True
    service.vendor.save()

    completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))

    txn = Transaction.objects.get()
    assert (txn.status, txn.payout_needs_approval) == ("held", True)
    assert assert_money_invariants()["held"] == 30000


def test_the_release_job_running_twice_releases_once(customer, service):
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    before = data_snapshot()

    assert escrow_release_job() == 0
    assert escrow_release(booking_id=booking.pk).status == "released"

    assert changed_tables(before, data_snapshot()) == []
    assert LedgerLine.objects.count() == 2 + 3 + 2  # capture, release, payout


def test_the_job_does_not_release_a_booking_that_is_not_completed(customer, service):
    booking = past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    before = data_snapshot()

    assert escrow_release_job() == 0
    with pytest.raises(BookingNotCompleted):
        escrow_release(booking_id=booking.pk)

    assert changed_tables(before, data_snapshot()) == []


def test_a_refunded_payment_is_never_released(customer, service, admin_user):
    starts_at = local_slot(days_ahead=3)
    booking = past_paid_booking(customer=customer, service=service, starts_at=starts_at)
    with time_machine.travel(starts_at - timedelta(days=1)):
        booking_cancel(user=service.vendor.user, booking_id=booking.pk)  # the organizer's: a full refund
    before = data_snapshot()

    assert escrow_release_job() == 0
    with pytest.raises(Conflict, match="The payment was refunded"):
        escrow_release(booking_id=booking.pk, approved_by=admin_user)

    assert changed_tables(before, data_snapshot()) == []


def test_the_scheduled_job_releases_a_payout_whose_job_was_lost(customer, service, admin_user, settings, monkeypatch):
    # given a completed booking whose release job never ran (as when a Redis broker loses it)
    import marketplace.payments.services as payment_services

    real_enqueue = payment_services.enqueue
    monkeypatch.setattr(
        payment_services,
        "enqueue",
        lambda func, *args: None if func.endswith("tasks.escrow_release_due") else real_enqueue(func, *args),
    )
    lost = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    assert Transaction.objects.get(booking=lost).status == "held"
    # and one that waits for an admin, which the sweep must leave alone
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 29999
    waiting = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-4))

    # when the scheduled job runs, twice
    assert escrow_release_job() == 1
    assert escrow_release_job() == 0

    # then only the lost one was released, once
    assert Transaction.objects.get(booking=lost).status == "released"
    assert Transaction.objects.get(booking=waiting).status == "held"
    assert assert_money_invariants()["paid_out"] == 25500
