"""Escrow released in batches and payouts transferred in batches: the same money, fewer transactions.

The release job (``tasks.escrow_release_due``) releases everything due, a batch of
PAYMENTS_RELEASE_BATCH_SIZE per transaction, and queues a ``payouts_execute`` job per
PAYMENTS_PAYOUT_BATCH_SIZE payouts; that job calls the gateway once per payout, then
books every answer in one transaction. Here: batches split and chain as they should,
cost the same number of queries whatever their size, net a vendor's debt once across a
batch, survive an escrow that cannot be released and a gateway that fails for some
payouts, and share a backlog between jobs running at once (PostgreSQL).
"""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.core.money import Money
from marketplace.payments import services as payments
from marketplace.payments import tasks
from marketplace.payments.gateways.local import local_gateway_faults
from marketplace.payments.models import (
    LedgerEntry,
    LocalGatewayOperation,
    MovementState,
    Payout,
    Transaction,
    TransactionStatus,
)
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.factories.bookings import completed_booking
from tests.payments.money_checks import assert_money_invariants, vendor_debt
from tests.races import run_at_once

pytestmark = pytest.mark.django_db

SHARE = 25500  # the organizer's share of the $300 test service (15% commission)


@pytest.fixture
def release_jobs_lost(monkeypatch):
    """Completed bookings stay due: the release job their completion queues is dropped (a lost Redis job)."""
    real_enqueue = payments.enqueue

    def enqueue(func, *args, **kwargs):
        if not func.endswith("tasks.escrow_release_due"):
            real_enqueue(func, *args, **kwargs)

    monkeypatch.setattr(payments, "enqueue", enqueue)


def due_bookings(count: int, *, customer, service, first_day: int = 2):
    """``count`` completed bookings on successive past days, each due for release and still held."""
    bookings = [
        completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-(first_day + n)))
        for n in range(count)
    ]
    assert Transaction.objects.filter(booking__in=bookings, status=TransactionStatus.HELD).count() == count
    return bookings


def count_calls(monkeypatch, module, name: str) -> list:
    """Record the keyword arguments of each call of ``module.name``, and still make it."""
    calls: list = []
    real = getattr(module, name)

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


def test_one_job_releases_every_due_escrow_a_batch_per_transaction(
    customer, service, settings, monkeypatch, release_jobs_lost
):
    settings.PAYMENTS_RELEASE_BATCH_SIZE = 3
    settings.PAYMENTS_PAYOUT_BATCH_SIZE = 2
    bookings = due_bookings(7, customer=customer, service=service)
    batches = count_calls(monkeypatch, tasks, "escrow_release_due_service")
    payout_jobs = count_calls(monkeypatch, payments, "movement_execute_many")

    assert tasks.escrow_release_due() == 7

    assert len(batches) == 3  # 3 + 3 + 1 escrows, one transaction each
    assert len(payout_jobs) == 2 + 2 + 1  # 2 + 1, 2 + 1, 1 payouts per job
    assert Transaction.objects.filter(status=TransactionStatus.RELEASED).count() == 7
    payouts = Payout.objects.filter(booking__in=bookings)
    assert sorted(payouts.values_list("state", "amount_minor")) == [(MovementState.SUCCEEDED, SHARE)] * 7
    assert LocalGatewayOperation.objects.filter(kind="transfer").count() == 7
    assert LedgerEntry.objects.filter(kind="release").count() == LedgerEntry.objects.filter(kind="payout").count() == 7
    assert assert_money_invariants()["paid_out"] == 7 * SHARE
    assert tasks.escrow_release_due() == 0


def test_a_job_at_its_batch_limit_queues_another_for_the_rest(
    customer, service, settings, monkeypatch, release_jobs_lost
):
    settings.PAYMENTS_RELEASE_BATCH_SIZE = 2
    monkeypatch.setattr(tasks, "RELEASE_BATCHES_PER_JOB", 1)
    due_bookings(5, customer=customer, service=service)
    queued = []
    real_enqueue = tasks.enqueue
    monkeypatch.setattr(tasks, "enqueue", lambda func, *args: (queued.append(func), real_enqueue(func, *args)))

    assert tasks.escrow_release_due() == 2  # its own batch; the job it queued (run at once here) did the rest

    assert queued == ["marketplace.payments.tasks.escrow_release_due"] * 2  # 2, then 2, then 1 (short: the end)
    assert Transaction.objects.filter(status=TransactionStatus.RELEASED).count() == 5
    assert assert_money_invariants()["paid_out"] == 5 * SHARE


def queries_of(work) -> int:
    with CaptureQueriesContext(connection) as context:
        work()
    return len(context.captured_queries)


@pytest.mark.parametrize("count", [2, 6])
def test_a_batch_costs_the_same_queries_whatever_its_size(
    count, customer, service, settings, monkeypatch, release_jobs_lost
):
    settings.PAYMENTS_PAYOUT_BATCH_SIZE = 100
    due_bookings(count, customer=customer, service=service)
    queued = []
    monkeypatch.setattr(payments, "enqueue", lambda func, *args: queued.append(args[0]))

    release = queries_of(lambda: payments.escrow_release_due(limit=100))
    [payout_ids] = queued
    payout = queries_of(lambda: payments.payouts_execute(payout_ids=payout_ids))

    # The release: claim, release postings and lines, debts, payouts, update, audit.
    assert release <= 10, release
    # The payouts: a gateway call each (the destination account's lookup, its insert in a savepoint of
    # the test's transaction), then the same twelve statements for any number: whether the accounts can
    # receive, read, count the attempt, lock, post, update, read back.
    gateway_calls = 4 * count
    assert payout - gateway_calls <= 12, payout
    assert Payout.objects.filter(state=MovementState.SUCCEEDED).count() == count


def test_a_vendors_debt_is_netted_once_across_the_payouts_of_one_batch(
    customer, service, admin_user, release_jobs_lost
):
    vendor = service.vendor
    [first] = due_bookings(1, customer=customer, service=service, first_day=12)
    tasks.escrow_release_due()
    with local_gateway_faults(reversal=["decline"]):
        payments.escrow_refund_by_admin(
            admin=admin_user, booking_id=first.pk, amount=Money(10000, "USD"), reason="Damage"
        )
    assert vendor_debt(vendor) == 8500  # the organizer's part of the refund, which the reversal could not take back
    small = ServiceFactory(vendor=vendor, category=service.category, base_price_minor=5000)  # a $42.50 share
    cheap = completed_booking(customer=customer, service=small, starts_at=local_slot(days_ahead=-9))
    dear = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-8))

    assert tasks.escrow_release_due() == 2  # one batch

    cheap_payout, dear_payout = Payout.objects.get(booking=cheap), Payout.objects.get(booking=dear)
    assert (cheap_payout.amount_minor, cheap_payout.debt_netted.minor) == (0, 4250)
    assert (dear_payout.amount_minor, dear_payout.debt_netted.minor) == (SHARE - 4250, 4250)
    assert vendor_debt(vendor) == 0
    assert LedgerEntry.objects.filter(kind="debt_netted").count() == 2
    assert_money_invariants()


def test_an_escrow_that_cannot_be_released_does_not_hold_back_its_batch(
    customer, service, monkeypatch, caplog, release_jobs_lost
):
    bookings = due_bookings(3, customer=customer, service=service)
    broken = Transaction.objects.get(booking=bookings[1])
    real_create = payments._payouts_create

    def payouts_create(txns):
        if any(txn.pk == broken.pk for txn in txns):
            raise RuntimeError("a bug that only this escrow meets")
        return real_create(txns)

    monkeypatch.setattr(payments, "_payouts_create", payouts_create)

    with caplog.at_level(logging.ERROR, logger="marketplace.payments.tasks"):
        assert tasks.escrow_release_due() == 2

    statuses = dict(Transaction.objects.values_list("booking_id", "status"))
    assert [statuses[booking.pk] for booking in bookings] == ["released", "held", "released"]
    assert "releasing them one at a time" in caplog.text
    assert f"escrow of booking {bookings[1].pk} could not be released" in caplog.text
    assert_money_invariants()

    monkeypatch.setattr(payments, "_payouts_create", real_create)  # fixed: the next job releases it
    assert tasks.escrow_release_due() == 1
    assert assert_money_invariants()["paid_out"] == 3 * SHARE


def test_a_payout_job_books_what_the_gateway_did_and_leaves_the_rest_to_recovery(
    customer, service, settings, release_jobs_lost
):
    bookings = due_bookings(4, customer=customer, service=service)
    with local_gateway_faults(transfer=["error"] * 4):
        tasks.escrow_release_due()
    payouts = list(Payout.objects.filter(booking__in=bookings).order_by("pk"))  # the order they are called in
    assert {payout.state for payout in payouts} == {MovementState.PENDING}
    payouts[3] = payments.movement_execute(payouts[3].pk)  # one is finished on its own first
    assert payouts[3].state == MovementState.SUCCEEDED

    with local_gateway_faults(transfer=["error", "decline"]) as left:
        outcome = tasks.payouts_execute([payout.pk for payout in payouts])
        assert left == {"transfer": []}  # both faults were met
    assert outcome == {MovementState.PENDING: 1, MovementState.FAILED: 1, MovementState.SUCCEEDED: 2}
    states = [Payout.objects.get(pk=payout.pk) for payout in payouts]
    assert [(p.state, p.failure_code, p.attempts) for p in states] == [
        (MovementState.PENDING, "", 2),  # the gateway was down: the recovery sweep tries again
        (MovementState.FAILED, "transfer_declined", 2),  # refused for good: owed to the organizer, for an admin
        (MovementState.SUCCEEDED, "", 2),
        (MovementState.SUCCEEDED, "", 2),  # already done: not called again
    ]
    assert LocalGatewayOperation.objects.filter(kind="transfer").count() == 2
    totals = assert_money_invariants()
    assert (totals["paid_out"], totals["vendor_owed"], totals["pending"]) == (2 * SHARE, 2 * SHARE, 1)


racing = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.postgres  # SKIP LOCKED and row locks
@racing
def test_release_jobs_running_at_once_share_the_backlog_and_release_each_escrow_once(
    customer, service, settings, release_jobs_lost
):
    settings.PAYMENTS_RELEASE_BATCH_SIZE = 2
    bookings = due_bookings(9, customer=customer, service=service)

    results = run_at_once(3, lambda _: tasks.escrow_release_due())

    assert not [result for result in results if isinstance(result, BaseException)], results
    assert sum(results) == 9
    assert Transaction.objects.filter(status=TransactionStatus.RELEASED).count() == 9
    assert Payout.objects.filter(booking__in=bookings, state=MovementState.SUCCEEDED).count() == 9
    assert LocalGatewayOperation.objects.filter(kind="transfer").count() == 9
    assert assert_money_invariants()["paid_out"] == 9 * SHARE
