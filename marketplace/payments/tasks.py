"""Background jobs for money. Each is safe to run twice."""

import logging

from marketplace.core.errors import Conflict

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
