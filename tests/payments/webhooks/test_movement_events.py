"""Events about money movements finish a movement left pending, once, through the money service."""

from __future__ import annotations

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from marketplace.bookings.models import BookingStatus
from marketplace.payments import tasks
from marketplace.payments.gateways.local import local_gateway_faults
from marketplace.payments.models import (
    EntryKind,
    LedgerEntry,
    LocalGatewayOperation,
    Movement,
    MovementKind,
    MovementState,
    Payout,
    StripeEvent,
    TransactionStatus,
)
from tests.conftest import local_slot
from tests.factories.bookings import completed_booking, paid_booking, request_booking
from tests.payments.money_checks import assert_money_invariants, money_snapshot

from .stripe_events import deliver, stripe_event, transfer_object, webhook_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_payout(customer, service) -> Payout:
    """A completed booking whose payout transfer failed before the gateway acted: left pending."""
    with local_gateway_faults(transfer=["error"]):
        booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    payout = Payout.objects.get(booking=booking)
    assert payout.state == MovementState.PENDING
    return payout


def payout_postings(payout: Payout) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(movement=payout, kind=EntryKind.PAYOUT))


def test_a_transfer_event_finishes_a_pending_payout_once(pending_payout):
    # given a payout left pending by a gateway error
    event = stripe_event("transfer.created", transfer_object(pending_payout))

    # when Stripe reports the transfer
    response = deliver(event)

    # then the money service transferred it once and booked it once
    assert response.status_code == 200
    assert response.json() == {"received": True, "event": event["id"], "duplicate": False}
    pending_payout.refresh_from_db()
    assert pending_payout.state == MovementState.SUCCEEDED
    assert pending_payout.attempts == 2
    assert LocalGatewayOperation.objects.filter(idempotency_key=pending_payout.idempotency_key).count() == 1
    assert len(payout_postings(pending_payout)) == 1
    stored = StripeEvent.objects.get(stripe_id=event["id"])
    assert stored.applied_at is not None
    assert stored.attempts == 1
    assert stored.note == f"{pending_payout.idempotency_key} executed: succeeded."
    assert_money_invariants()


def test_a_second_event_about_the_same_transfer_changes_nothing(pending_payout):
    deliver(stripe_event("transfer.created", transfer_object(pending_payout)))
    before = webhook_snapshot()
    money_before = money_snapshot()

    later = stripe_event("transfer.updated", transfer_object(pending_payout))
    response = deliver(later)

    assert response.status_code == 200
    assert response.json()["duplicate"] is False
    assert money_snapshot() == money_before
    after = webhook_snapshot()
    assert [name for name in before if before[name] != after[name]] == ["payments.StripeEvent"]
    assert StripeEvent.objects.get(stripe_id=later["id"]).note == (
        f"{pending_payout.idempotency_key} was already succeeded."
    )


def test_a_transfer_is_found_by_its_gateway_id_when_it_carries_no_key(customer, service):
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    payout = Payout.objects.get(booking=booking)
    transfer = {**transfer_object(payout, transfer_id=payout.gateway_reference), "metadata": {}}

    deliver(stripe_event("transfer.updated", transfer))

    assert StripeEvent.objects.get().note == f"{payout.idempotency_key} was already succeeded."


def test_a_payment_intent_event_finishes_a_pending_charge(customer, service):
    # given a charge whose gateway call failed before it acted: the booking waits for its payment
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    with local_gateway_faults(charge=["error"]):
        booking = paid_booking_attempt(customer, booking)
    charge = Movement.objects.get(booking=booking, kind=MovementKind.CHARGE)
    assert charge.state == MovementState.PENDING
    intent = {
        "id": "pi_test_1",
        "object": "payment_intent",
        "amount": charge.amount_minor,
        "currency": "usd",
        "status": "succeeded",
        "metadata": {"idempotency_key": charge.idempotency_key},
    }

    # when Stripe says the payment succeeded
    deliver(stripe_event("payment_intent.succeeded", intent))

    # then the charge is applied once and the booking goes on as after any payment
    charge.refresh_from_db()
    booking.refresh_from_db()
    assert charge.state == MovementState.SUCCEEDED
    assert booking.transaction.status == TransactionStatus.HELD
    assert booking.status == BookingStatus.CONFIRMED
    assert LedgerEntry.objects.filter(movement=charge, kind=EntryKind.CAPTURE).count() == 1
    assert_money_invariants()


def paid_booking_attempt(customer, booking):
    from marketplace.bookings import services as bookings
    from marketplace.payments.errors import PaymentProcessing

    try:
        return bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa").booking
    except PaymentProcessing:
        booking.refresh_from_db()
        return booking


def test_a_refund_event_finishes_a_pending_refund_found_from_its_charge(customer, service, admin_user):
    # given a refund whose gateway call failed: pending, owed to the customer
    from marketplace.core.money import Money
    from marketplace.payments.services import escrow_refund_by_admin

    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    with local_gateway_faults(refund=["error"]):
        refund = escrow_refund_by_admin(
            admin=admin_user, booking_id=booking.pk, amount=Money(5000, "USD"), reason="Late"
        )
    assert refund.state == MovementState.PENDING
    charge = {
        "id": booking.transaction.payment_reference,
        "object": "charge",
        "amount": 30000,
        "amount_refunded": 5000,
        "payment_intent": None,
        "metadata": {"idempotency_key": f"{booking.reference}:charge:1"},  # the charge's key, not the refund's
        "refunded": False,
    }

    deliver(stripe_event("charge.refunded", charge))

    refund.refresh_from_db()
    assert refund.state == MovementState.SUCCEEDED
    assert LedgerEntry.objects.filter(movement=refund, kind=EntryKind.REFUND_PAID).count() == 1
    assert_money_invariants()


def test_an_event_about_an_object_we_never_recorded_is_applied_with_a_note(pending_payout):
    before = money_snapshot()
    foreign = {"id": "tr_other_system", "object": "transfer", "amount": 100, "currency": "usd", "metadata": {}}

    response = deliver(stripe_event("transfer.created", foreign))

    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.applied_at is not None
    assert stored.last_error == ""
    assert stored.note == "No payout of ours matches tr_other_system: another system's object."
    assert money_snapshot() == before
    pending_payout.refresh_from_db()
    assert pending_payout.state == MovementState.PENDING


def test_a_gateway_still_failing_leaves_the_event_for_the_sweep_which_applies_it_later(pending_payout):
    # given the gateway fails again when the event arrives
    event = stripe_event("transfer.created", transfer_object(pending_payout))
    with local_gateway_faults(transfer=["error"]):
        response = deliver(event)

    # then the delivery is still accepted, and the event waits with its error
    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.applied_at is None
    assert stored.attempts == 1
    assert stored.last_error.startswith(f"MovementLeftPending: {pending_payout.idempotency_key} is still pending")
    pending_payout.refresh_from_db()
    assert pending_payout.state == MovementState.PENDING

    # when the sweep runs before the retry delay, it leaves the event alone; after it, it applies it
    assert tasks.stripe_events_apply_pending() == {}
    later = timezone.now() + timezone.timedelta(seconds=settings.PAYMENTS_RETRY_AFTER_SECONDS + 1)
    with time_machine.travel(later):
        assert tasks.stripe_events_apply_pending() == {"applied": 1}
        assert tasks.stripe_events_apply_pending() == {}
    stored.refresh_from_db()
    pending_payout.refresh_from_db()
    assert stored.applied_at is not None
    assert stored.attempts == 2
    assert stored.last_error == ""
    assert pending_payout.state == MovementState.SUCCEEDED
    assert len(payout_postings(pending_payout)) == 1
    assert_money_invariants()


def test_the_apply_job_run_again_applies_nothing_twice(pending_payout):
    event = stripe_event("transfer.created", transfer_object(pending_payout))
    deliver(event)
    money_before = money_snapshot()

    assert tasks.stripe_event_apply(event["id"]) == "already applied"
    assert tasks.stripe_event_apply("evt_never_received") == "unknown"

    assert money_snapshot() == money_before
    assert StripeEvent.objects.get().attempts == 1


def test_a_payment_intent_event_finishes_a_capture_the_organizer_asked_for(customer, service):
    # given a request paid (authorised on the card), then accepted; the capture's answer was lost
    from marketplace.bookings import services as bookings
    from marketplace.payments.errors import PaymentProcessing

    service.instant_booking = False
    service.save()
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    charge = Movement.objects.get(booking=booking, kind=MovementKind.CHARGE)
    assert (charge.state, booking.transaction.status) == (MovementState.AUTHORIZED, TransactionStatus.AUTHORIZED)
    with local_gateway_faults(capture=["timeout"]), pytest.raises(PaymentProcessing):
        bookings.booking_accept(vendor_user=service.vendor.user, booking_id=booking.pk)
    charge.refresh_from_db()
    booking.refresh_from_db()
    assert (charge.state, charge.pending_step, booking.status) == (MovementState.AUTHORIZED, "capture", "requested")
    intent = {
        "id": charge.gateway_reference,
        "object": "payment_intent",
        "amount": charge.amount_minor,
        "currency": "usd",
        "status": "succeeded",
        "metadata": {"idempotency_key": charge.idempotency_key},
    }

    # when Stripe says the payment succeeded (it was captured), twice
    deliver(stripe_event("payment_intent.succeeded", intent))
    deliver(stripe_event("payment_intent.succeeded", intent))

    # then the capture is booked once and the booking is confirmed, by the organizer
    charge.refresh_from_db()
    booking.refresh_from_db()
    assert (charge.state, charge.pending_step) == (MovementState.SUCCEEDED, "")
    assert booking.transaction.status == TransactionStatus.HELD
    assert booking.status == BookingStatus.CONFIRMED
    assert LedgerEntry.objects.filter(movement=charge, kind=EntryKind.CAPTURE).count() == 1
    assert LocalGatewayOperation.objects.get(idempotency_key=charge.idempotency_key).status == "succeeded"
    assert assert_money_invariants()["escrow_held"] == 30000
