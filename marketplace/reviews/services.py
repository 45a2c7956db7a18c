"""Writes for reviews."""

from django.db import IntegrityError, transaction

from marketplace.accounts.models import User
from marketplace.bookings.models import Booking
from marketplace.core.audit import audit_log
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.jobs import enqueue
from marketplace.core.validation import clean_text

from .errors import AlreadyReviewed
from .models import Review
from .policy import can_review

TITLE_MAX_LENGTH = 120
BODY_MAX_LENGTH = 5000


def review_create(*, customer: User, booking_id: int, rating: int, title: str = "", body: str = "") -> Review:
    """The booking's customer reviews it once, after it is completed (see ``policy.can_review``)."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailed("rating must be a whole number from 1 to 5.", field="rating")
    title = clean_text(title, field="title", label="The title", max_length=TITLE_MAX_LENGTH)
    body = clean_text(body, field="body", label="The review", max_length=BODY_MAX_LENGTH, multiline=True)
    with transaction.atomic():
        booking = Booking.objects.select_for_update().filter(pk=booking_id, customer=customer).first()
        if booking is None:
            raise NotFound("Booking not found.")
        can_review(booking, user=customer).require()
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    booking=booking,
                    customer=customer,
                    vendor_id=booking.vendor_id,
                    service_id=booking.service_id,
                    rating=rating,
                    title=title,
                    body=body,
                )
        except IntegrityError:
            raise AlreadyReviewed("You have already reviewed this booking.") from None
        audit_log(actor=customer, action="review.created", target=review, data={"rating": rating})
        # Searches filter and sort by the organizer's rating, kept in each service's search entry.
        enqueue("marketplace.catalog.tasks.service_reindex", vendor_id=booking.vendor_id)
    return review
