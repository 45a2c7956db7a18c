"""Whether a customer may review a booking: answered once, for the review service and every face."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.bookings.policy import ALLOWED, Verdict
from marketplace.core.errors import NotFound
from marketplace.disputes.policy import dispute_of
from marketplace.payments.errors import BookingNotCompleted

from .errors import AlreadyReviewed, DisputeOpen
from .models import Review


def review_of(booking: Booking) -> Review | None:
    """The booking's review, or None (without raising on the missing reverse row)."""
    try:
        return booking.review
    except Review.DoesNotExist:
        return None


def can_review(booking: Booking, *, user: User) -> Verdict:
    """The booking's customer reviews it once, after it is completed, or refunded by a dispute's decision.

    A disputed booking's review waits until the dispute is decided (or withdrawn).
    """
    if booking.customer_id != user.pk:
        return Verdict(refusal=NotFound("Booking not found."))
    if booking.status == BookingStatus.DISPUTED:
        return Verdict(refusal=DisputeOpen("Reviews wait until the dispute about this booking is resolved."))
    decided_by_dispute = booking.status == BookingStatus.REFUNDED and dispute_of(booking) is not None
    if booking.status != BookingStatus.COMPLETED and not decided_by_dispute:
        return Verdict(refusal=BookingNotCompleted("You can review a booking once it is completed."))
    if review_of(booking) is not None:
        return Verdict(refusal=AlreadyReviewed("You have already reviewed this booking."))
    return ALLOWED
