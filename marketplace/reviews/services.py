"""Writes for reviews."""

from django.db import IntegrityError, transaction

from marketplace.accounts.models import User
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.core.audit import audit_log
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.payments.errors import BookingNotCompleted
from marketplace.reviews.errors import AlreadyReviewed

from .models import Review


def review_create(*, customer: User, booking_id: int, rating: int, title: str = "", body: str = "") -> Review:
    """The booking's customer reviews it once, after it is completed."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailed("rating must be a whole number from 1 to 5.", field="rating")
    title, body = (title or "").strip(), (body or "").strip()
    if len(title) > 120:
        raise ValidationFailed("The title must be at most 120 characters.", field="title")
    if len(body) > 5000:
        raise ValidationFailed("The review must be at most 5000 characters.", field="body")
    with transaction.atomic():
        booking = Booking.objects.select_for_update().filter(pk=booking_id, customer=customer).first()
        if booking is None:
            raise NotFound("Booking not found.")
        if booking.status != BookingStatus.COMPLETED:
            raise BookingNotCompleted("You can review a booking once it is completed.")
        if Review.objects.filter(booking=booking).exists():
            raise AlreadyReviewed("You have already reviewed this booking.")
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
    return review
