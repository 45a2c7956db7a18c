"""Background jobs for money. Each is safe to run twice, and to be killed at any point."""

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings

from marketplace.core.errors import Conflict
from marketplace.core.jobs import enqueue

from . import webhooks
from .selectors import escrow_list_due_for_release
from .services import escrow_release as escrow_release_service
from .services import escrow_release_due as escrow_release_due_service
from .services import movement_execute, movement_list_to_recover
from .services import payouts_execute as payouts_execute_service

logger = logging.getLogger(__name__)


# A release job stops after this many full batches and queues a fresh job for the rest, so
# it ends well inside the worker's timeout (Q_CLUSTER["timeout"]) whatever the backlog.
RELEASE_BATCHES_PER_JOB = 20


def escrow_release_due() -> int:
    """Release every escrow that is due (needs no approval, no hold), a batch per transaction; returns how many.

    Queued by each release request (a completed booking, a lifted hold) and scheduled as
    a safety net (a job lost with a Redis broker). Several may run at once: each batch
    claims its escrows with SKIP LOCKED, so jobs share a backlog instead of waiting.
    A batch that fails is released again one escrow at a time, so one escrow that
    cannot be released never holds back the others.
    """
    # The usual case when many were queued at once: an earlier job released them all. Ordered
    # (unlike exists()), so PostgreSQL reads the partial index of held payments even when its
    # statistics still say most rows are held, instead of scanning the table.
    if escrow_list_due_for_release().values_list("pk", flat=True).first() is None:
        return 0
    limit = settings.PAYMENTS_RELEASE_BATCH_SIZE
    released = 0
    for _ in range(RELEASE_BATCHES_PER_JOB):
        try:
            batch = escrow_release_due_service(limit=limit)
        except Exception:
            logger.exception("a batch of escrow releases failed; releasing them one at a time")
            return released + _release_one_at_a_time(limit)
        released += len(batch)
        if len(batch) < limit:
            return released
    enqueue("marketplace.payments.tasks.escrow_release_due")  # more is due: a fresh job goes on
    return released


def _release_one_at_a_time(limit: int) -> int:
    released = 0
    for booking_id in list(escrow_list_due_for_release().values_list("booking_id", flat=True)[:limit]):
        try:
            escrow_release_service(booking_id=booking_id)
            released += 1
        except Conflict as error:
            logger.info("escrow of booking %s not released: %s", booking_id, error.message)
        except Exception:
            logger.exception("the escrow of booking %s could not be released; retried by the next job", booking_id)
    return released


def payouts_execute(payout_ids: list[int]) -> dict[str, int]:
    """Transfer payouts to their organizers; returns how many ended in each state.

    Exactly one transfer each however often it runs: a payout already settled is left
    alone, and the gateway answers a repeated idempotency key with its first transfer.
    """
    return dict(Counter(payout.state for payout in payouts_execute_service(payout_ids=payout_ids)))


def movement_recover_sweep() -> dict[str, int]:
    """Finish every money movement a crash, a timeout or a gateway error left pending.

    Each is called again with its own idempotency key, so the gateway either does it
    now or answers with what it already did; then the answer is applied. Returns how
    many movements ended in each state.
    """
    outcome: dict[str, int] = {}
    older_than = timedelta(seconds=settings.PAYMENTS_RETRY_AFTER_SECONDS)
    for movement_id in list(movement_list_to_recover(older_than=older_than).values_list("pk", flat=True)[:500]):
        try:
            state = movement_execute(movement_id).state
        except Exception:
            logger.exception("movement %s could not be recovered; retried on the next run", movement_id)
            state = "error"
        outcome[state] = outcome.get(state, 0) + 1
    return outcome


def stripe_event_apply(event_id: str) -> str:
    """Apply one stored Stripe event (Stripe's id), exactly once however often it runs (see payments.webhooks)."""
    return webhooks.stripe_event_apply(event_id=event_id)


def stripe_events_apply_pending() -> dict[str, int]:
    """Apply every Stripe event stored but not applied for a while: its job was lost, or it failed.

    Scheduled every five minutes (payments migration 0007). An event that keeps failing
    is tried again on each run, its error kept on the event for the back office.
    """
    outcome: dict[str, int] = {}
    older_than = timedelta(seconds=settings.PAYMENTS_RETRY_AFTER_SECONDS)
    for event_id in list(
        webhooks.stripe_event_list_pending(older_than=older_than).values_list("stripe_id", flat=True)[:500]
    ):
        result = webhooks.stripe_event_apply(event_id=event_id)
        outcome[result] = outcome.get(result, 0) + 1
    return outcome
