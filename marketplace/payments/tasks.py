"""Background jobs for money. Each is safe to run twice."""

import logging

from marketplace.core.errors import Conflict

from .models import TransactionStatus
from .selectors import escrow_list_due_for_release
from .services import escrow_release as escrow_release_service

logger = logging.getLogger(__name__)


def escrow_release(booking_id: int) -> str:
    """Release a completed booking's escrow unless its payout waits for an admin; returns the outcome."""
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
