"""Every money movement happens exactly once, whatever the gateway or the process does.

For each movement (a charge through ``booking_pay``, a refund through ``booking_cancel``
or an admin's refund, a payout transfer after the release, a reversal through a refund
after the payout) the local gateway fails at that step: "error" (it fails before acting)
or "timeout" (it acts, the answer is lost). The movement is left pending with nothing
booked twice; the recovery job, run twice, finishes it: one gateway operation, one
posting with its gateway id. A process killed before the gateway call, or after it but
before its answer is applied, is finished the same way. Refusals for good ("decline")
are compensated: a declined card leaves the booking payable, a declined payout stays
owed, a declined reversal becomes the organizer's debt, netted against their next payout.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from marketplace.bookings import services as bookings
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.bookings.tasks import expire_stale_requests
from marketplace.payments import services as payments
from marketplace.payments import tasks
from marketplace.payments.errors import CardDeclined, PaymentProcessing, PayoutFailed
from marketplace.payments.gateways.local import local_gateway_faults
from marketplace.payments.models import (
    LedgerEntry,
    LocalGatewayOperation,
    Movement,
    MovementKind,
    MovementState,
    Payout,
    Transaction,
    TransactionStatus,
)
from marketplace.payments.policy import payment_of
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.factories.bookings import completed_booking, request_booking
from tests.payments.money_checks import (
    EXECUTED_ENTRY,
    assert_money_invariants,
    money_snapshot,
    usd,
    vendor_debt,
    vendor_payable,
)
from tests.races import run_at_once

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2027, 6, 7, 9, 0, tzinfo=NEW_YORK)
TRANSIENT_FAULTS = ("error", "timeout")
MOVEMENTS = ("charge", "refund by cancellation", "refund by an admin", "transfer", "reversal")


class ProcessKilled(BaseException):
    """The worker died here (a deploy, an out-of-memory kill): nothing after this line ran.

    A BaseException, like the SystemExit a killed worker raises, so no ``except Exception``
    on the way up (the job queue's, a sweep's) can swallow it.
    """


@pytest.fixture
def clock():
    """Time stands still at 9:00 on a Monday in New York unless a test moves it."""
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def at(days: int, hour: int) -> datetime:
    return (MONDAY + timedelta(days=days)).replace(hour=hour)


def recover(clock) -> dict[str, int]:
    """Run the recovery job as its schedule would: once the retry delay has passed."""
    clock.shift(timedelta(seconds=settings.PAYMENTS_RETRY_AFTER_SECONDS + 1))
    return tasks.movement_recover_sweep()


def book(customer, service, *, days: int = 5) -> Booking:
    return bookings.booking_request(
        customer=customer, service_id=service.pk, starts_at=at(days, 10), address="12 Elm St, Brooklyn, NY"
    )


def pay(customer, booking: Booking, payment_method: str = "pm_card_visa") -> Booking:
    return bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method=payment_method).booking


def complete(clock, customer, booking: Booking) -> Booking:
    """The work is done: the customer confirms it just after it ended (release, then payout)."""
    booking.refresh_from_db()
    clock.move_to(booking.ends_at + timedelta(minutes=5))
    return bookings.booking_confirm_completion(customer=customer, booking_id=booking.pk)


def operations_for(movement: Movement) -> list[LocalGatewayOperation]:
    return list(LocalGatewayOperation.objects.filter(idempotency_key=movement.idempotency_key))


def postings_for(movement: Movement) -> list[LedgerEntry]:
    """The posting that books the movement as done (capture, refund_paid, payout, reversal)."""
    return list(LedgerEntry.objects.filter(movement=movement, kind=EXECUTED_ENTRY[movement.kind]))


def only(kind: str, booking: Booking) -> Movement:
    return Movement.objects.get(kind=kind, booking=booking)


# --- Bring one movement to its gateway call, with the gateway (or the process) failing there ----


def start_movement(name: str, *, clock, customer, service, admin_user) -> tuple[Booking, Movement]:
    """Run the flow that makes the named movement; the gateway faults set by the caller hit it."""
    booking = book(customer, service)
    if name == "charge":
        with contextlib.suppress(PaymentProcessing):  # what the customer is told when the gateway did not answer
            pay(customer, booking)
        return booking, only(MovementKind.CHARGE, booking)
    with local_gateway_faults():  # the setup runs without the caller's faults
        pay(customer, booking)
        if name == "reversal":
            complete(clock, customer, booking)
    if name == "refund by cancellation":
        bookings.booking_cancel(user=customer, booking_id=booking.pk, reason="Moving abroad")  # 5 days: all back
        return booking, only(MovementKind.REFUND, booking)
    if name == "refund by an admin":
        payments.escrow_refund_by_admin(admin=admin_user, booking_id=booking.pk, amount=usd(10000), reason="Late")
        return booking, only(MovementKind.REFUND, booking)
    if name == "transfer":
        complete(clock, customer, booking)
        return booking, only(MovementKind.TRANSFER, booking)
    payments.escrow_refund_by_admin(admin=admin_user, booking_id=booking.pk, amount=usd(10000), reason="Damage")
    return booking, only(MovementKind.REVERSAL, booking)


def movement_kind(name: str) -> str:
    return {"refund by cancellation": MovementKind.REFUND, "refund by an admin": MovementKind.REFUND}.get(name, name)


def fault_plan(name: str, fault: str) -> dict[str, list[str]]:
    return {movement_kind(name): [fault]}


# Where each flow ends once its movement is done: (booking status, payment status, money totals).
SETTLED = {
    "charge": (BookingStatus.CONFIRMED, TransactionStatus.HELD, {"captured": 30000, "escrow_held": 30000}),
    "refund by cancellation": (
        BookingStatus.CANCELLED,
        TransactionStatus.REFUNDED,
        {"captured": 30000, "refunded": 30000, "refund_paid": 30000},
    ),
    "refund by an admin": (
        BookingStatus.CONFIRMED,
        TransactionStatus.HELD,
        {"captured": 30000, "refunded": 10000, "refund_paid": 10000, "escrow_held": 20000},
    ),
    "transfer": (
        BookingStatus.COMPLETED,
        TransactionStatus.RELEASED,
        {"captured": 30000, "released": 30000, "commission": 4500, "paid_out": 25500},
    ),
    # $100 of $300 back after the payout: the fee of $200 is $30, the organizer keeps $170,
    # so $15 of fee and $85 of the $255 transfer come back.
    "reversal": (
        BookingStatus.COMPLETED,
        TransactionStatus.RELEASED,
        {
            "captured": 30000,
            "released": 30000,
            "refunded": 10000,
            "refund_paid": 10000,
            "commission": 3000,
            "paid_out": 25500,
            "reversed": 8500,
        },
    ),
}
ZERO_TOTALS = dict.fromkeys(
    [
        "captured",
        "released",
        "refunded",
        "escrow_held",
        "commission",
        "charged",
        "refund_paid",
        "paid_out",
        "reversed",
        "refunds_owed",
        "vendor_owed",
        "vendor_debt",
        "pending",
    ],
    0,
)


def settled_totals(name: str) -> dict[str, int]:
    totals = {**ZERO_TOTALS, **SETTLED[name][2]}
    totals["charged"] = totals["captured"]
    return totals


@pytest.mark.parametrize("fault", TRANSIENT_FAULTS)
@pytest.mark.parametrize("name", MOVEMENTS)
def test_a_movement_the_gateway_fails_is_left_pending_then_recovered_exactly_once(
    name, fault, clock, customer, service, admin_user
):
    with local_gateway_faults(**fault_plan(name, fault)) as faults_left:
        booking, movement = start_movement(name, clock=clock, customer=customer, service=service, admin_user=admin_user)
        assert faults_left == {movement.kind: []}, "the fault hit the movement"

    # Left pending, nothing booked as done; after a timeout the gateway did act, once.
    movement.refresh_from_db()
    assert (movement.state, movement.attempts) == (MovementState.PENDING, 1)
    assert len(operations_for(movement)) == (1 if fault == "timeout" else 0)
    assert postings_for(movement) == []
    pending_totals = assert_money_invariants()
    assert pending_totals["pending"] == 1

    first = recover(clock)
    second = recover(clock)

    assert (first, second) == ({"succeeded": 1}, {})
    movement.refresh_from_db()
    assert (movement.state, movement.attempts) == (MovementState.SUCCEEDED, 2)
    [operation] = operations_for(movement)
    [posting] = postings_for(movement)
    assert movement.gateway_reference == posting.gateway_reference == operation.reference
    assert operation.amount_minor == movement.amount_minor
    assert Movement.objects.filter(booking=booking, kind=movement.kind).count() == 1
    booking.refresh_from_db()
    status, payment_status, _ = SETTLED[name]
    assert (booking.status, Transaction.objects.get(booking=booking).status) == (status, payment_status)
    assert assert_money_invariants() == settled_totals(name)


def test_the_recovery_job_leaves_a_movement_alone_until_the_retry_delay_has_passed(clock, customer, service):
    booking = book(customer, service)
    with local_gateway_faults(charge=["error"]), pytest.raises(PaymentProcessing):
        pay(customer, booking)

    clock.shift(timedelta(seconds=settings.PAYMENTS_RETRY_AFTER_SECONDS - 1))
    assert tasks.movement_recover_sweep() == {}  # it may still be in flight in its own worker
    assert only(MovementKind.CHARGE, booking).state == MovementState.PENDING

    assert recover(clock) == {"succeeded": 1}


def test_a_movement_that_fails_again_stays_pending_for_the_next_run(clock, customer, service):
    booking = book(customer, service)
    with local_gateway_faults(charge=["timeout", "error", "timeout"]) as faults_left:
        with pytest.raises(PaymentProcessing):
            pay(customer, booking)
        assert recover(clock) == {"pending": 1}
        assert recover(clock) == {"pending": 1}
        assert faults_left == {"charge": []}

    assert recover(clock) == {"succeeded": 1}

    charge = only(MovementKind.CHARGE, booking)
    assert (charge.state, charge.attempts) == (MovementState.SUCCEEDED, 4)
    assert len(operations_for(charge)) == 1
    assert assert_money_invariants() == settled_totals("charge")


# --- A process killed between the steps --------------------------------------------------------


# The movements a kill leaves pending: a refund after the payout queues the reversal before the
# refund itself, so a process killed at the reversal never paid the refund either.
LEFT_PENDING_BY_KILL = {"reversal": 2}


def killed_once(function, *, kind: str, calls: list[str]):
    """``function`` (taking movements first: a movement, its id, or a list of ids or of (movement,
    answer) pairs), except that its first call that involves a movement of ``kind`` kills the
    process instead of running."""

    def kinds(first) -> set[str]:
        found = set()
        for item in first if isinstance(first, list) else [first]:
            movement = item[0] if isinstance(item, tuple) else item
            if not isinstance(movement, Movement):
                movement = Movement.objects.get(pk=movement)
            found.add(movement.kind)
        return found

    def dying(first, *args, **kwargs):
        if kind in kinds(first) and not calls:
            calls.append(f"{function.__name__}({kind})")
            raise ProcessKilled(function.__name__)
        return function(first, *args, **kwargs)

    return dying


@pytest.mark.parametrize("name", MOVEMENTS)
def test_killed_after_the_intent_is_committed_but_before_the_gateway_call(
    name, clock, customer, service, admin_user, monkeypatch
):
    kind = movement_kind(name)
    calls: list[str] = []
    with monkeypatch.context() as patch:
        patch.setattr(
            payments, "movement_execute_many", killed_once(payments.movement_execute_many, kind=kind, calls=calls)
        )
        with pytest.raises(ProcessKilled):
            start_movement(name, clock=clock, customer=customer, service=service, admin_user=admin_user)
    assert calls == [f"movement_execute_many({kind})"]

    [movement] = Movement.objects.filter(kind=kind)
    assert (movement.state, movement.attempts) == (MovementState.PENDING, 0)
    assert operations_for(movement) == []
    assert postings_for(movement) == []
    left_pending = LEFT_PENDING_BY_KILL.get(name, 1)
    assert assert_money_invariants()["pending"] == left_pending

    assert recover(clock) == {"succeeded": left_pending}
    assert recover(clock) == {}

    [movement] = Movement.objects.filter(kind=kind)
    assert movement.state == MovementState.SUCCEEDED
    assert len(operations_for(movement)) == 1
    assert len(postings_for(movement)) == 1
    assert assert_money_invariants() == settled_totals(name)


@pytest.mark.parametrize("name", MOVEMENTS)
def test_killed_after_the_gateway_call_but_before_its_answer_is_applied(
    name, clock, customer, service, admin_user, monkeypatch
):
    kind = movement_kind(name)
    calls: list[str] = []
    with monkeypatch.context() as patch:
        patch.setattr(payments, "_apply_many", killed_once(payments._apply_many, kind=kind, calls=calls))
        with pytest.raises(ProcessKilled):
            start_movement(name, clock=clock, customer=customer, service=service, admin_user=admin_user)
    assert calls == [f"_apply_many({kind})"]

    [movement] = Movement.objects.filter(kind=kind)
    [operation] = operations_for(movement)  # the gateway acted; the answer died with the process
    assert (movement.state, movement.attempts) == (MovementState.PENDING, 1)
    assert postings_for(movement) == []
    left_pending = LEFT_PENDING_BY_KILL.get(name, 1)
    assert assert_money_invariants()["pending"] == left_pending

    assert recover(clock) == {"succeeded": left_pending}
    assert recover(clock) == {}

    movement.refresh_from_db()
    assert movement.attempts == 2  # called again with the same key: the gateway answered with the first result
    assert operations_for(movement) == [operation]
    [posting] = postings_for(movement)
    assert posting.gateway_reference == movement.gateway_reference == operation.reference
    assert assert_money_invariants() == settled_totals(name)


def test_a_payout_task_killed_before_and_after_the_gateway_call_then_rerun_makes_exactly_one_transfer(
    clock, customer, service, monkeypatch
):
    booking = book(customer, service)
    pay(customer, booking)

    # Killed before the call: the release committed the payout, the transfer never started.
    calls: list[str] = []
    with monkeypatch.context() as patch:
        patch.setattr(
            payments,
            "movement_execute_many",
            killed_once(payments.movement_execute_many, kind="transfer", calls=calls),
        )
        with pytest.raises(ProcessKilled):
            complete(clock, customer, booking)
    payout = Payout.objects.get(booking=booking)
    assert (payout.state, payout.attempts, operations_for(payout)) == (MovementState.PENDING, 0, [])

    # The job runs again and is killed after the gateway transferred, before the answer is booked.
    calls.clear()
    with monkeypatch.context() as patch:
        patch.setattr(payments, "_apply_many", killed_once(payments._apply_many, kind="transfer", calls=calls))
        with pytest.raises(ProcessKilled):
            tasks.payouts_execute([payout.pk])
    [transfer] = operations_for(payout)
    payout.refresh_from_db()
    assert (payout.state, payout.attempts, postings_for(payout)) == (MovementState.PENDING, 1, [])

    # The job runs again, twice, and so does the recovery sweep.
    assert tasks.payouts_execute([payout.pk]) == {MovementState.SUCCEEDED: 1}
    assert tasks.payouts_execute([payout.pk]) == {MovementState.SUCCEEDED: 1}
    assert recover(clock) == {}

    assert LocalGatewayOperation.objects.filter(kind=LocalGatewayOperation.Kind.TRANSFER).count() == 1
    assert operations_for(payout) == [transfer]
    assert transfer.amount_minor == 25500
    [posting] = postings_for(payout)
    assert posting.gateway_reference == transfer.reference
    assert vendor_payable(service.vendor) == 0
    assert assert_money_invariants() == settled_totals("transfer")


# --- Refusals for good ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payment_method", "faults"),
    [("pm_card_visa", {"charge": ["decline"]}), ("pm_card_chargeDeclined", {})],
    ids=["the gateway declines", "a card that is always declined"],
)
def test_a_declined_charge_leaves_the_booking_unpaid_and_payable_with_another_card(
    payment_method, faults, clock, customer, service
):
    booking = book(customer, service)

    with local_gateway_faults(**faults), pytest.raises(CardDeclined) as declined:
        pay(customer, booking, payment_method)

    assert (declined.value.code, declined.value.status) == ("card_declined", 402)
    booking.refresh_from_db()
    assert (booking.status, booking.paid_at, payment_of(booking)) == (BookingStatus.REQUESTED, None, None)
    failed = only(MovementKind.CHARGE, booking)
    assert (failed.state, failed.failure_code) == (MovementState.FAILED, "card_declined")
    assert LocalGatewayOperation.objects.count() == 0
    assert LedgerEntry.objects.count() == 0
    assert recover(clock) == {}  # a refusal is not retried

    pay(customer, booking, "pm_card_mastercard")

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    charges = Movement.objects.filter(booking=booking, kind=MovementKind.CHARGE).order_by("id")
    assert [(c.idempotency_key.split(":", 1)[1], c.state) for c in charges] == [
        ("charge:1", MovementState.FAILED),
        ("charge:2", MovementState.SUCCEEDED),
    ]
    assert LocalGatewayOperation.objects.get().payment_method == "pm_card_mastercard"
    assert assert_money_invariants() == settled_totals("charge")


def test_a_declined_payout_fails_and_stays_owed_to_the_organizer(clock, customer, service, admin_user):
    booking = book(customer, service)
    pay(customer, booking)

    with local_gateway_faults(transfer=["decline"]):
        complete(clock, customer, booking)

    payout = Payout.objects.get(booking=booking)
    assert (payout.state, payout.failure_code, payout.amount_minor) == (
        MovementState.FAILED,
        "transfer_declined",
        25500,
    )
    assert vendor_payable(service.vendor) == 25500
    assert LocalGatewayOperation.objects.filter(kind=LocalGatewayOperation.Kind.TRANSFER).count() == 0
    assert recover(clock) == {}  # a refusal waits for an admin, it is not retried
    before = money_snapshot()
    with pytest.raises(PayoutFailed):
        payments.escrow_refund_by_admin(admin=admin_user, booking_id=booking.pk, amount=usd(100), reason="Scratch")
    assert money_snapshot() == before
    assert assert_money_invariants() == {
        **settled_totals("transfer"),
        "paid_out": 0,
        "vendor_owed": 25500,
    }


def test_a_declined_reversal_becomes_debt_netted_against_the_next_payout(clock, customer, service, admin_user):
    vendor = service.vendor
    first = book(customer, service, days=2)
    pay(customer, first)
    complete(clock, customer, first)  # $255.00 paid out

    with local_gateway_faults(reversal=["decline"]):
        payments.escrow_refund_by_admin(admin=admin_user, booking_id=first.pk, amount=usd(10000), reason="Damage")

    reversal = only(MovementKind.REVERSAL, first)
    assert (reversal.state, reversal.failure_code, reversal.amount_minor) == (
        MovementState.FAILED,
        "reversal_declined",
        8500,
    )
    assert only(MovementKind.REFUND, first).state == MovementState.SUCCEEDED  # the customer got their $100
    assert (vendor_debt(vendor), vendor_payable(vendor)) == (8500, 0)
    assert assert_money_invariants()["vendor_debt"] == 8500

    second = book(customer, service, days=5)
    pay(customer, second)
    complete(clock, customer, second)

    payout = Payout.objects.get(booking=second)
    assert (payout.state, payout.amount_minor, payout.debt_netted.minor) == (MovementState.SUCCEEDED, 17000, 8500)
    assert operations_for(payout)[0].amount_minor == 17000
    assert (vendor_debt(vendor), vendor_payable(vendor)) == (0, 0)
    assert assert_money_invariants() == {
        **ZERO_TOTALS,
        "captured": 60000,
        "charged": 60000,
        "released": 60000,
        "refunded": 10000,
        "refund_paid": 10000,
        "commission": 3000 + 4500,
        "paid_out": 25500 + 17000,
    }


def test_a_debt_larger_than_the_next_share_is_netted_over_several_payouts(clock, customer, service, admin_user):
    vendor = service.vendor
    small = ServiceFactory(vendor=vendor, category=service.category, base_price_minor=5000)  # share $42.50
    first = book(customer, service, days=2)
    pay(customer, first)
    complete(clock, customer, first)
    with local_gateway_faults(reversal=["decline"]):
        payments.escrow_refund_by_admin(admin=admin_user, booking_id=first.pk, amount=usd(10000), reason="Damage")
    assert vendor_debt(vendor) == 8500

    second = book(customer, small, days=5)
    pay(customer, second)
    complete(clock, customer, second)

    payout = Payout.objects.get(booking=second)
    assert (payout.state, payout.amount_minor, payout.debt_netted.minor) == (MovementState.SUCCEEDED, 0, 4250)
    assert operations_for(payout) == []  # nothing to transfer: no gateway call
    assert vendor_debt(vendor) == 4250

    third = book(customer, service, days=8)
    pay(customer, third)
    complete(clock, customer, third)

    payout = Payout.objects.get(booking=third)
    assert (payout.amount_minor, payout.debt_netted.minor) == (25500 - 4250, 4250)
    assert (vendor_debt(vendor), vendor_payable(vendor)) == (0, 0)
    assert_money_invariants()


def test_paying_again_while_a_charge_is_pending_finishes_that_charge(clock, customer, service):
    booking = book(customer, service)
    with local_gateway_faults(charge=["timeout"]), pytest.raises(PaymentProcessing):
        pay(customer, booking)
    pending = only(MovementKind.CHARGE, booking)
    with pytest.raises(PaymentProcessing):  # at once: the first attempt may still be on its way
        pay(customer, booking, "pm_card_mastercard")

    clock.shift(timedelta(seconds=settings.PAYMENTS_RETRY_AFTER_SECONDS + 1))
    pay(customer, booking, "pm_card_mastercard")  # later, with another card: the first charge is finished

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert list(Movement.objects.filter(kind=MovementKind.CHARGE)) == [pending]
    pending.refresh_from_db()
    assert (pending.state, pending.attempts, pending.payment_method) == (MovementState.SUCCEEDED, 2, "pm_card_visa")
    [operation] = LocalGatewayOperation.objects.all()
    assert operation.idempotency_key == pending.idempotency_key
    assert recover(clock) == {}
    assert assert_money_invariants() == settled_totals("charge")


def test_the_expiry_sweep_does_not_expire_a_booking_whose_charge_is_pending(clock, customer, service):
    booking = book(customer, service)
    with local_gateway_faults(charge=["timeout"]), pytest.raises(PaymentProcessing):
        pay(customer, booking)

    clock.shift(timedelta(minutes=settings.BOOKING_PAYMENT_WINDOW_MINUTES + 1))  # the payment window is over
    assert expire_stale_requests() == 0

    booking.refresh_from_db()
    assert (booking.status, booking.closed_at) == (BookingStatus.REQUESTED, None)
    assert recover(clock) == {"succeeded": 1}
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert expire_stale_requests() == 0
    assert assert_money_invariants() == settled_totals("charge")


def test_the_expiry_sweep_does_expire_a_booking_whose_charge_was_declined(clock, customer, service):
    booking = book(customer, service)
    with local_gateway_faults(charge=["decline"]), pytest.raises(CardDeclined):
        pay(customer, booking)

    clock.shift(timedelta(minutes=settings.BOOKING_PAYMENT_WINDOW_MINUTES + 1))
    assert expire_stale_requests() == 1

    booking.refresh_from_db()
    assert booking.status == BookingStatus.EXPIRED
    assert assert_money_invariants() == ZERO_TOTALS


# --- The same movement finished in several places at once (real threads) -------------------------

racing = pytest.mark.django_db(transaction=True, serialized_rollback=True)
# What a payment sent while another is on its way, or already through, is told.
PAID_OR_ON_ITS_WAY = {"payment_processing", "already_paid", "invalid_transition"}


@racing
def test_one_booking_paid_four_times_at_once_is_charged_once(customer, service):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    results = run_at_once(4, lambda i: pay(customer, booking))

    paid = [result for result in results if isinstance(result, Booking)]
    refused = [getattr(result, "code", result) for result in results if not isinstance(result, Booking)]
    assert len(paid) >= 1
    assert set(refused) <= PAID_OR_ON_ITS_WAY, refused
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    [charge] = Movement.objects.filter(kind=MovementKind.CHARGE)
    assert charge.state == MovementState.SUCCEEDED
    assert len(operations_for(charge)) == 1
    assert len(postings_for(charge)) == 1
    assert assert_money_invariants() == settled_totals("charge")


@racing
def test_a_pending_payout_finished_by_two_jobs_and_two_sweeps_at_once_is_transferred_once(customer, service):
    with local_gateway_faults(transfer=["error"]):
        booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    payout = Payout.objects.get(booking=booking)
    assert payout.state == MovementState.PENDING

    def finish(i: int):
        return tasks.payouts_execute([payout.pk]) if i % 2 else tasks.movement_recover_sweep()

    results = run_at_once(4, finish)

    assert not [result for result in results if isinstance(result, BaseException)], results
    payout.refresh_from_db()
    assert payout.state == MovementState.SUCCEEDED
    [transfer] = operations_for(payout)
    [posting] = postings_for(payout)
    assert (transfer.amount_minor, posting.gateway_reference) == (25500, transfer.reference)
    assert assert_money_invariants() == settled_totals("transfer")
