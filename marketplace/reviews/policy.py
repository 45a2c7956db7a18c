"""Whether a customer may review a booking: answered once, for the review service and every face."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.bookings.policy import ALLOWED, Verdict
from marketplace.core.errors import NotFound
from marketplace.payments.errors import BookingNotCompleted

from .errors import AlreadyReviewed
from .models import Review


def review_of(booking: Booking) -> Review | None:
    """The booking's review, or None (without raising on the missing reverse row)."""
    try:
        return booking.review
    except Review.DoesNotExist:
        return None


def can_review(booking: Booking, *, user: User) -> Verdict:
    """The booking's customer reviews it once, after it is completed."""
    if booking.customer_id != user.pk:
        return Verdict(refusal=NotFound("Booking not found."))
    if booking.status != BookingStatus.COMPLETED:
        return Verdict(refusal=BookingNotCompleted("You can review a booking once it is completed."))
    if review_of(booking) is not None:
        return Verdict(refusal=AlreadyReviewed("You have already reviewed this booking."))
    return ALLOWED
