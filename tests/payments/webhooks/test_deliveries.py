"""Stripe delivers at least once and in any order: one event, however often, changes things once."""

from __future__ import annotations

import itertools

import pytest

from marketplace.core.money import Money
from marketplace.payments import tasks
from marketplace.payments.gateways.local import local_gateway_faults
from marketplace.payments.models import (
    Chargeback,
    EntryKind,
    LedgerEntry,
    LocalGatewayOperation,
    Movement,
    MovementState,
    Payout,
    ReleaseHold,
    StripeEvent,
    Transaction,
)
from marketplace.payments.selectors import LedgerBalances, ledger_balances
from tests.conftest import local_slot
from tests.factories.bookings import completed_booking, paid_booking
from tests.payments.money_checks import assert_money_invariants
from tests.races import run_at_once

from .stripe_events import T0, deliver, dispute_object, stripe_event, transfer_object

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_payout(customer, service) -> Payout:
    with local_gateway_faults(transfer=["error"]):
        booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    return Payout.objects.get(booking=booking)


def test_one_event_delivered_100_times_is_one_row_and_one_ledger_change(pending_payout):
    # given a payout left pending, and the ledger before Stripe reports it
    event = stripe_event("transfer.created", transfer_object(pending_payout))
    entries_before = LedgerEntry.objects.count()

    # when Stripe delivers the event 100 times
    responses = [deliver(event) for _ in range(100)]

    # then each delivery is answered 200, only the first is new, and the payout was booked once
    assert [response.status_code for response in responses] == [200] * 100
    assert [response.json()["duplicate"] for response in responses] == [False] + [True] * 99
    assert StripeEvent.objects.count() == 1
    assert StripeEvent.objects.get().attempts == 1
    assert LedgerEntry.objects.count() == entries_before + 1
    assert LedgerEntry.objects.filter(movement=pending_payout, kind=EntryKind.PAYOUT).count() == 1
    assert LocalGatewayOperation.objects.filter(idempotency_key=pending_payout.idempotency_key).count() == 1
    pending_payout.refresh_from_db()
    assert pending_payout.state == MovementState.SUCCEEDED
    assert_money_invariants()


# --- Four events in every order --------------------------------------------------------------------

DISPUTE = "dp_test_order"
EVENT_NAMES = ("dispute created", "dispute under review", "dispute won", "transfer created")


@pytest.fixture
def two_bookings(customer, other_customer, service):
    """A paid booking still in escrow (the dispute's), and a completed one whose payout is pending."""
    disputed = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=6))
    with local_gateway_faults(transfer=["error"]):
        paid_out = completed_booking(customer=other_customer, service=service, starts_at=local_slot(days_ahead=-2))
    return disputed, paid_out


def four_events(disputed, paid_out) -> dict[str, dict]:
    charge = disputed.transaction.payment_reference

    def dispute(status: str) -> dict:
        return dispute_object(dispute_id=DISPUTE, charge=charge, status=status, amount=30000)

    payout = Payout.objects.get(booking=paid_out)
    return {
        "dispute created": stripe_event("charge.dispute.created", dispute("needs_response"), created=T0),
        "dispute under review": stripe_event("charge.dispute.updated", dispute("under_review"), created=T0 + 60),
        "dispute won": stripe_event("charge.dispute.closed", dispute("won"), created=T0 + 120),
        "transfer created": stripe_event("transfer.created", transfer_object(payout), created=T0 + 30),
    }


def usd(minor: int) -> Money:
    return Money(minor, "USD")


# Two payments of $300.00; one released (15% commission kept) and paid out, one still in escrow.
EXPECTED_LEDGER = [
    LedgerBalances(
        currency="USD",
        processor_cash=usd(60000 - 25500),
        escrow_held=usd(30000),
        commission_earned=usd(4500),
        owed_to_vendors=usd(0),
        refunds_owed=usd(0),
        owed_by_vendors=usd(0),
        net=usd(0),
    )
]


def end_state(disputed, paid_out) -> dict:
    role = {disputed.pk: "disputed", paid_out.pk: "paid out"}
    return {
        "chargebacks": list(
            Chargeback.objects.values_list(
                "stripe_dispute_id", "status", "amount_minor", "currency", "reason", "closed_at", "stripe_updated"
            )
        ),
        "active holds": list(ReleaseHold.objects.filter(lifted_at__isnull=True).values_list("reason", flat=True)),
        "payments": sorted(
            (role[booking_id], status, hold_reasons)
            for booking_id, status, hold_reasons in Transaction.objects.values_list(
                "booking_id", "status", "hold_reasons"
            )
        ),
        "movements": sorted(
            (role[booking_id], kind, state, amount)
            for booking_id, kind, state, amount in Movement.objects.values_list(
                "booking_id", "kind", "state", "amount_minor"
            )
        ),
        "ledger": ledger_balances(),
        "events applied": sorted(StripeEvent.objects.filter(applied_at__isnull=False).values_list("type", flat=True)),
    }


@pytest.mark.parametrize("order", list(itertools.permutations(EVENT_NAMES)), ids=lambda order: " > ".join(order))
def test_four_events_in_any_order_leave_the_same_end_state(two_bookings, order):
    # given a disputed payment in escrow and a payout waiting, and four events about them
    disputed, paid_out = two_bookings
    events = four_events(disputed, paid_out)

    # when Stripe delivers them in this order
    for name in order:
        assert deliver(events[name]).status_code == 200

    # then the end state is the one of the events in their true order
    state = end_state(disputed, paid_out)
    closed_at = Chargeback.objects.get().stripe_updated
    assert closed_at.timestamp() == T0 + 120
    assert state["chargebacks"] == [(DISPUTE, "won", 30000, "USD", "fraudulent", closed_at, closed_at)]
    assert state["active holds"] == []
    assert state["payments"] == [("disputed", "held", []), ("paid out", "released", [])]
    assert state["movements"] == [
        ("disputed", "charge", "succeeded", 30000),
        ("paid out", "charge", "succeeded", 30000),
        ("paid out", "transfer", "succeeded", 25500),
    ]
    assert state["events applied"] == [
        "charge.dispute.closed",
        "charge.dispute.created",
        "charge.dispute.updated",
        "transfer.created",
    ]
    assert state["ledger"] == EXPECTED_LEDGER
    assert_money_invariants()


# --- At the same moment (real threads) -------------------------------------------------------------

racing = pytest.mark.django_db(transaction=True, serialized_rollback=True)
# Row locks are what these races test: PostgreSQL's. SQLite locks the whole database for a
# write, so there the threads only take turns, and flushing it for each test costs a minute.
postgres_only = pytest.mark.postgres


@postgres_only
@racing
def test_one_event_delivered_four_times_at_once_is_stored_and_applied_once(customer, service):
    with local_gateway_faults(transfer=["error"]):
        booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    payout = Payout.objects.get(booking=booking)
    event = stripe_event("transfer.created", transfer_object(payout))

    responses = run_at_once(4, lambda i: deliver(event))

    assert [getattr(response, "status_code", response) for response in responses] == [200] * 4
    assert sorted(response.json()["duplicate"] for response in responses) == [False, True, True, True]
    stored = StripeEvent.objects.get()
    assert stored.applied_at is not None
    payout.refresh_from_db()
    assert payout.state == MovementState.SUCCEEDED
    assert LocalGatewayOperation.objects.filter(idempotency_key=payout.idempotency_key).count() == 1
    assert LedgerEntry.objects.filter(movement=payout, kind=EntryKind.PAYOUT).count() == 1
    assert_money_invariants()


@postgres_only
@racing
def test_a_dispute_event_applied_by_four_jobs_at_once_holds_the_escrow_once(customer, service, monkeypatch):
    # given a dispute event stored, its job not run yet
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=6))
    charge = booking.transaction.payment_reference
    event = stripe_event(
        "charge.dispute.created",
        dispute_object(dispute_id=DISPUTE, charge=charge, status="needs_response", amount=30000),
    )
    with monkeypatch.context() as patch:
        patch.setattr("marketplace.payments.webhooks.enqueue", lambda *args, **kwargs: None)
        assert deliver(event).status_code == 200

    # when four workers run its job at once
    results = run_at_once(4, lambda i: tasks.stripe_event_apply(event["id"]))

    # then one applied it, and there is one chargeback and one hold
    assert sorted(results) == ["already applied"] * 3 + ["applied"], results
    assert Chargeback.objects.count() == 1
    assert list(ReleaseHold.objects.values_list("reason", "lifted_at")) == [("chargeback", None)]
    assert StripeEvent.objects.get().attempts >= 1
