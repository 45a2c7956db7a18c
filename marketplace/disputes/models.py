"""A dispute over one booking's work, and the evidence each side gives.

One dispute per booking, ever (a constraint): opened by the customer (the work, the
price, the organizer did not come) or by the organizer (the customer did not let them
work), answered by the other side by a deadline, and decided by staff through the money
service. While it is open the booking's escrow has a dispute hold, so nothing is released.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from marketplace.core import uploads
from marketplace.core.models import TimeStampedModel
from marketplace.core.money import Money


class Side(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    ORGANIZER = "organizer", "Organizer"


class DisputeReason(models.TextChoices):
    # Raised by the customer.
    NOT_DONE = "not_done", "The work was not done"
    POOR_QUALITY = "poor_quality", "The work was not done as agreed"
    DAMAGE = "damage", "Something was damaged or lost"
    OVERCHARGED = "overcharged", "I was charged for more than was done"
    ORGANIZER_NO_SHOW = "organizer_no_show", "The organizer did not come"
    # Raised by the organizer.
    CUSTOMER_NO_SHOW = "customer_no_show", "The customer was not there"
    # Either.
    OTHER = "other", "Something else"


# Which reasons each side may give.
REASONS_FOR = {
    Side.CUSTOMER: (
        DisputeReason.NOT_DONE,
        DisputeReason.POOR_QUALITY,
        DisputeReason.DAMAGE,
        DisputeReason.OVERCHARGED,
        DisputeReason.ORGANIZER_NO_SHOW,
        DisputeReason.OTHER,
    ),
    Side.ORGANIZER: (DisputeReason.CUSTOMER_NO_SHOW, DisputeReason.OTHER),
}


class DisputeStatus(models.TextChoices):
    AWAITING_RESPONSE = "awaiting_response", "Waiting for the other side's answer"
    UNDER_REVIEW = "under_review", "With our support team"  # answered, or the deadline passed
    RESOLVED = "resolved", "Resolved"
    WITHDRAWN = "withdrawn", "Withdrawn"  # the side that opened it took it back: the money goes on as before


OPEN_DISPUTE_STATUSES = (DisputeStatus.AWAITING_RESPONSE, DisputeStatus.UNDER_REVIEW)


class Outcome(models.TextChoices):
    RELEASE = "release", "Paid to the organizer"
    REFUND = "refund", "Refunded to the customer in full"
    SPLIT = "split", "Split between the customer and the organizer"


class Dispute(TimeStampedModel):
    booking = models.OneToOneField("bookings.Booking", on_delete=models.PROTECT, related_name="dispute")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_by_side = models.CharField(max_length=16, choices=Side.choices)
    reason = models.CharField(max_length=32, choices=DisputeReason.choices)
    description = models.TextField()
    status = models.CharField(
        max_length=24, choices=DisputeStatus.choices, default=DisputeStatus.AWAITING_RESPONSE, db_index=True
    )
    # The other side's answer, due by respond_by.
    respond_by = models.DateTimeField()
    response = models.TextField(blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)  # the one reminder before respond_by
    escalated_at = models.DateTimeField(null=True, blank=True)  # sent to staff unanswered, at respond_by
    # Staff's decision, shown to both sides.
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    refunded_minor = models.BigIntegerField(default=0)  # what the decision gave back to the customer
    currency = models.CharField(max_length=3)
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)  # resolved or withdrawn

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(refunded_minor__gte=0), name="dispute_refund_not_negative"),
            models.CheckConstraint(
                condition=Q(status=DisputeStatus.RESOLVED, closed_at__isnull=False) & ~Q(outcome="")
                | ~Q(status=DisputeStatus.RESOLVED) & Q(outcome=""),
                name="dispute_resolved_has_outcome",
            ),
        ]
        indexes = [models.Index(fields=["status", "respond_by"], name="dispute_deadline")]

    def __str__(self) -> str:
        return f"Dispute over {self.booking_id}"

    @property
    def responding_side(self) -> str:
        return Side.ORGANIZER if self.opened_by_side == Side.CUSTOMER else Side.CUSTOMER

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_DISPUTE_STATUSES

    @property
    def refunded(self) -> Money:
        return Money(self.refunded_minor, self.currency)


def private_storage():
    """Where evidence is kept (``STORAGES["private"]``): never under MEDIA_ROOT, which nginx serves to anyone."""
    return uploads.private_storage()


def evidence_path(evidence: "Evidence", filename: str) -> str:
    # Our own name, never the uploader's: the original name is kept in a field and shown escaped.
    return f"disputes/{evidence.dispute_id}/{evidence.side}-{evidence.token}{evidence.extension}"


class Evidence(models.Model):
    """A photo or a PDF one side gave. Stored in the private storage, served only to the two sides and staff."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="evidence")
    side = models.CharField(max_length=16, choices=Side.choices)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=evidence_path, storage=private_storage, max_length=255)
    token = models.CharField(max_length=32, unique=True)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.original_name

    @property
    def extension(self) -> str:
        return uploads.EXTENSIONS[self.content_type]
