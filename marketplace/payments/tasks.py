"""Background jobs for money. Each is safe to run twice."""

import logging

from marketplace.bookings.models import BookingStatus
from marketplace.core.errors import Conflict

from .models import Transaction, TransactionStatus
from .services import payout_release

logger = logging.getLogger(__name__)


def release_payout(booking_id: int) -> str:
    """Release a completed booking's payout unless it waits for an admin."""
    try:
        txn = payout_release(booking_id=booking_id, actor=None)
    except Conflict as error:
        logger.info("payout for booking %s not released: %s", booking_id, error.message)
        return error.code
    return txn.status


def release_due_payouts() -> int:
    """The safety net behind release_payout: release every completed booking's payout that
    needs no approval but is still held (e.g. its queued job was lost with a Redis broker)."""
    due = Transaction.objects.filter(
        status=TransactionStatus.HELD, payout_needs_approval=False, booking__status=BookingStatus.COMPLETED
    ).values_list("booking_id", flat=True)
    released = 0
    for booking_id in list(due):
        try:
            if release_payout(booking_id) == TransactionStatus.RELEASED:
                released += 1
        except Exception:
            logger.exception("release_due_payouts failed for booking %s; retried on the next run", booking_id)
    return released
