"""Background jobs for money. Each is safe to run twice, and to be killed at any point."""

import logging
from datetime import timedelta

from django.conf import settings

from marketplace.core.errors import Conflict

from .models import TransactionStatus
from .selectors import escrow_list_due_for_release
from .services import escrow_release as escrow_release_service
from .services import movement_execute, movement_list_to_recover
from .services import payout_execute as payout_execute_service

logger = logging.getLogger(__name__)


def escrow_release(booking_id: int) -> str:
    """Release a completed booking's escrow unless its payout waits for an admin or a hold; returns the outcome."""
    try:
        txn = escrow_release_service(booking_id=booking_id)
    except Conflict as error:
        logger.info("escrow of booking %s not released: %s", booking_id, error.message)
        return error.code
    return txn.status


def escrow_release_sweep() -> int:
    """The safety net behind ``escrow_release``: release every escrow that is due and needs no approval
    but is still held (e.g. its queued job was lost with a Redis broker)."""
    released = 0
    for booking_id in list(escrow_list_due_for_release().values_list("booking_id", flat=True)):
        try:
            if escrow_release(booking_id) == TransactionStatus.RELEASED:
                released += 1
        except Exception:
            logger.exception("escrow_release_sweep failed for booking %s; retried on the next run", booking_id)
    return released


def payout_execute(payout_id: int) -> str:
    """Transfer one payout to the organizer; returns its state. Exactly one transfer however often it runs."""
    return payout_execute_service(payout_id=payout_id).state


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
