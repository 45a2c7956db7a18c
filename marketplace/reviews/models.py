from django.conf import settings
from django.db import models
from django.db.models import Q

from marketplace.core.models import TimeStampedModel


class Review(TimeStampedModel):
    """A customer's review of a completed booking: one per booking, rating 1 to 5."""

    booking = models.OneToOneField("bookings.Booking", on_delete=models.PROTECT, related_name="review")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="reviews")
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="reviews")
    rating = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120, blank=True)
    body = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for {self.vendor}"
