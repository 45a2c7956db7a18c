"""A card dispute holds the booking's escrow: the release job leaves it; won, the payout goes out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from marketplace.bookings import services as bookings
from marketplace.core.models import AuditLogEntry
from marketplace.payments import tasks
from marketplace.payments.errors import EscrowOnHold
from marketplace.payments.models import (
    Chargeback,
    HoldReason,
    MovementState,
    Payout,
    ReleaseHold,
    StripeEvent,
    TransactionStatus,
)
from marketplace.payments.services import escrow_release
from tests.conftest import local_slot
from tests.factories.bookings import completed_booking, past_paid_booking
from tests.payments.money_checks import assert_money_invariants, money_snapshot

from .stripe_events import T0, deliver, dispute_object, stripe_event

pytestmark = pytest.mark.django_db

DISPUTE = "dp_test_1"


def at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


@pytest.fixture
def held_booking(customer, service):
    """Paid, confirmed, the work done two days ago, not yet confirmed by the customer: the money is in escrow."""
    return past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))


def dispute_event(booking, event_type: str, status: str, *, created: int = T0, **fields) -> dict:
    dispute = dispute_object(
        dispute_id=DISPUTE, charge=booking.transaction.payment_reference, status=status, amount=30000, **fields
    )
    return stripe_event(event_type, dispute, created=created)


def test_a_dispute_holds_the_escrow_and_is_recorded_for_the_back_office(held_booking):
    response = deliver(dispute_event(held_booking, "charge.dispute.created", "needs_response"))

    assert response.status_code == 200
    chargeback = Chargeback.objects.get()
    assert (chargeback.stripe_dispute_id, chargeback.booking_id, chargeback.transaction_id) == (
        DISPUTE,
        held_booking.pk,
        held_booking.transaction.pk,
    )
    assert (chargeback.amount_minor, chargeback.currency, chargeback.reason, chargeback.status) == (
        30000,
        "USD",
        "fraudulent",
        "needs_response",
    )
    assert chargeback.evidence_due_by == at(T0 + 864000)
    assert chargeback.created == at(T0)
    assert chargeback.closed_at is None
    hold = ReleaseHold.objects.get()
    assert (hold.transaction_id, hold.reason, hold.note, hold.placed_by, hold.lifted_at) == (
        held_booking.transaction.pk,
        HoldReason.CHARGEBACK,
        f"Stripe dispute {DISPUTE}",
        None,
        None,
    )
    held_booking.transaction.refresh_from_db()
    assert held_booking.transaction.hold_reasons == ["chargeback"]
    assert StripeEvent.objects.get().note == f"Chargeback {DISPUTE} recorded: needs_response. Escrow held."
    assert AuditLogEntry.objects.filter(action="escrow.held").count() == 1


def test_the_release_job_leaves_a_disputed_payment_and_a_won_dispute_lets_it_go_out(customer, held_booking):
    # given a chargeback on a payment in escrow
    deliver(dispute_event(held_booking, "charge.dispute.created", "needs_response"))

    # when the customer confirms the work and the release job runs
    bookings.booking_confirm_completion(customer=customer, booking_id=held_booking.pk)
    assert tasks.escrow_release_due() == 0

    # then the money stays in escrow, and an admin cannot release it either
    payment = held_booking.transaction
    payment.refresh_from_db()
    assert payment.status == TransactionStatus.HELD
    assert payment.releasable_at is not None
    assert not Payout.objects.exists()

    # when the platform wins the dispute
    deliver(dispute_event(held_booking, "charge.dispute.updated", "under_review", created=T0 + 60))
    deliver(dispute_event(held_booking, "charge.dispute.closed", "won", created=T0 + 120))

    # then the hold is lifted and the payout goes out
    payment.refresh_from_db()
    assert payment.status == TransactionStatus.RELEASED
    assert payment.hold_reasons == []
    assert Payout.objects.get(booking=held_booking).state == MovementState.SUCCEEDED
    chargeback = Chargeback.objects.get()
    assert (chargeback.status, chargeback.closed_at) == ("won", at(T0 + 120))
    assert ReleaseHold.objects.get().lifted_at is not None
    assert StripeEvent.objects.order_by("created").last().note == (
        f"Chargeback {DISPUTE} updated: won. Chargeback hold lifted."
    )
    assert_money_invariants()


def test_a_lost_dispute_keeps_the_hold_for_an_admin(customer, held_booking, admin_user, caplog):
    deliver(dispute_event(held_booking, "charge.dispute.created", "needs_response"))
    bookings.booking_confirm_completion(customer=customer, booking_id=held_booking.pk)

    deliver(dispute_event(held_booking, "charge.dispute.closed", "lost", created=T0 + 120))

    chargeback = Chargeback.objects.get()
    assert (chargeback.status, chargeback.closed_at) == ("lost", at(T0 + 120))
    assert tasks.escrow_release_due() == 0
    held_booking.transaction.refresh_from_db()
    assert held_booking.transaction.status == TransactionStatus.HELD
    assert held_booking.transaction.hold_reasons == ["chargeback"]
    with pytest.raises(EscrowOnHold):
        escrow_release(booking_id=held_booking.pk, approved_by=admin_user, reason="Pay anyway")
    assert f"chargeback {DISPUTE} lost" in caplog.text
    assert StripeEvent.objects.order_by("created").last().note == (
        f"Chargeback {DISPUTE} updated: lost. Lost: the hold stays until an admin decides."
    )


def test_a_lost_dispute_seen_first_still_holds_the_escrow(held_booking):
    deliver(dispute_event(held_booking, "charge.dispute.closed", "lost", created=T0 + 120))
    deliver(dispute_event(held_booking, "charge.dispute.created", "needs_response"))

    held_booking.transaction.refresh_from_db()
    assert held_booking.transaction.hold_reasons == ["chargeback"]
    assert Chargeback.objects.get().status == "lost"


def test_a_dispute_on_a_payment_already_released_is_recorded_without_a_hold(customer, service, caplog):
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))

    deliver(dispute_event(booking, "charge.dispute.created", "needs_response"))

    assert Chargeback.objects.get().status == "needs_response"
    assert not ReleaseHold.objects.exists()
    assert StripeEvent.objects.get().note == (
        f"Chargeback {DISPUTE} recorded: needs_response. "
        "The payment was already released: nothing to hold; an admin follows up."
    )
    assert "nothing to hold" in caplog.text


def test_a_dispute_found_by_its_payment_intent(held_booking):
    # Stripe's gateway keeps the PaymentIntent id as the payment's reference
    payment = held_booking.transaction
    dispute = dispute_object(dispute_id=DISPUTE, charge="ch_unknown", status="needs_response", amount=30000)
    dispute["payment_intent"] = payment.payment_reference

    deliver(stripe_event("charge.dispute.created", dispute))

    assert Chargeback.objects.get().transaction_id == payment.pk


def test_a_dispute_about_a_payment_we_never_recorded_is_applied_with_a_note(held_booking):
    before = money_snapshot()
    dispute = dispute_object(dispute_id="dp_other", charge="ch_other_system", status="needs_response", amount=500)

    response = deliver(stripe_event("charge.dispute.created", dispute))

    assert response.status_code == 200
    assert not Chargeback.objects.exists()
    assert not ReleaseHold.objects.exists()
    stored = StripeEvent.objects.get()
    assert stored.applied_at is not None
    assert stored.note == "Dispute dp_other is about a payment we never recorded: another system's object."
    assert money_snapshot() == before


def test_an_older_dispute_event_does_not_undo_a_newer_one(held_booking):
    deliver(dispute_event(held_booking, "charge.dispute.updated", "under_review", created=T0 + 60))
    deliver(dispute_event(held_booking, "charge.dispute.created", "needs_response", created=T0))

    chargeback = Chargeback.objects.get()
    assert (chargeback.status, chargeback.stripe_updated) == ("under_review", at(T0 + 60))
    assert StripeEvent.objects.get(type="charge.dispute.created").note == (
        f"Chargeback {DISPUTE} is already under_review (a newer event): this one changes nothing."
    )
