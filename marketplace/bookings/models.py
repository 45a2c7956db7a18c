import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from marketplace.core.models import TimeStampedModel
from marketplace.core.money import Money


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"  # waiting for payment and, unless instant, the vendor's answer
    CONFIRMED = "confirmed", "Confirmed"  # paid and accepted; the work is scheduled
    COMPLETED = "completed", "Completed"  # the customer confirmed the work, or the release timer did
    DECLINED = "declined", "Declined"  # the vendor said no; any payment was refunded in full
    EXPIRED = "expired", "Expired"  # not paid, or not answered, in time; any payment was refunded
    CANCELLED = "cancelled", "Cancelled"  # called off before it started; any payment was refunded
    DISPUTED = "disputed", "Disputed"  # a dispute is open (marketplace.disputes); escrow is frozen
    REFUNDED = "refunded", "Refunded"  # a dispute ended in the customer's favour


class CancelledBy(models.TextChoices):
    CUSTOMER = "customer", "The customer"
    ORGANIZER = "organizer", "The organizer"
    ADMIN = "admin", "An admin"


# Statuses in which the booking holds the vendor's time (the no-overlap rule applies).
ACTIVE_STATUSES = (
    BookingStatus.REQUESTED,
    BookingStatus.CONFIRMED,
    BookingStatus.COMPLETED,
    BookingStatus.DISPUTED,
)

# Every allowed move. A transition not listed here raises InvalidTransition.
BOOKING_TRANSITIONS: dict[str, frozenset[str]] = {
    BookingStatus.REQUESTED: frozenset(
        {BookingStatus.CONFIRMED, BookingStatus.DECLINED, BookingStatus.EXPIRED, BookingStatus.CANCELLED}
    ),
    BookingStatus.CONFIRMED: frozenset({BookingStatus.COMPLETED, BookingStatus.CANCELLED, BookingStatus.DISPUTED}),
    BookingStatus.DISPUTED: frozenset({BookingStatus.COMPLETED, BookingStatus.REFUNDED}),
    # Completed but not yet paid out (the release is due, or waits for an approval): still disputable.
    BookingStatus.COMPLETED: frozenset({BookingStatus.DISPUTED}),
    BookingStatus.DECLINED: frozenset(),
    BookingStatus.EXPIRED: frozenset(),
    BookingStatus.CANCELLED: frozenset(),
    BookingStatus.REFUNDED: frozenset(),
}


def new_booking_reference() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "BK-" + "".join(secrets.choice(alphabet) for _ in range(8))


class Booking(TimeStampedModel):
    """A customer's booking of one service, for one time window, with one vendor.

    ``busy_from`` is the start less the organizer's buffer before a job and ``busy_until`` the
    end plus their buffer after: the window [busy_from, busy_until) is what may not overlap
    another active booking of the vendor (so two jobs in a row are the first's buffer after
    plus the second's buffer before apart). On
    PostgreSQL an exclusion constraint enforces it (migration 0003); on SQLite the
    booking service checks it inside an IMMEDIATE transaction.
    """

    reference = models.CharField(max_length=16, unique=True, default=new_booking_reference, editable=False)
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="bookings")
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(
        max_length=16, choices=BookingStatus.choices, default=BookingStatus.REQUESTED, db_index=True
    )

    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # The start less the organizer's buffer before a job, and the end plus their buffer after.
    busy_from = models.DateTimeField()
    busy_until = models.DateTimeField()

    # None only while a quote request waits for the vendor's price.
    price_minor = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3)

    address = models.CharField(max_length=255)
    customer_note = models.TextField(blank=True)
    vendor_note = models.TextField(blank=True)

    quoted_at = models.DateTimeField(null=True, blank=True)
    # When the organizer first answered a request that waited for them (quoted, accepted or
    # declined it): their response time (``organizer_figures_refresh``).
    answered_at = models.DateTimeField(null=True, blank=True)
    # When the booking workflow took the captured payment into account (booking_payment_settled).
    paid_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When it was declined, expired or cancelled.")
    close_reason = models.TextField(blank=True)
    # Who called it off, when cancelled: an organizer's cancellations count against them.
    cancelled_by = models.CharField(max_length=16, choices=CancelledBy.choices, blank=True)
    # The service's cancellation policy as it stood when the booking was made
    # (marketplace.catalog.cancellation): later edits never change a booking's terms.
    cancellation_terms = models.JSONField(default=dict, blank=True)
    # The iCalendar SEQUENCE of the booking's event: raised by the booking services each time
    # a field calendars show changes (bookings.calendar.CALENDAR_FIELDS), so a subscribed
    # calendar replaces its copy instead of keeping the old one.
    calendar_sequence = models.PositiveIntegerField(default=0, editable=False)
    # A new start the organizer proposed, waiting for the customer's answer (bookings.services
    # booking_reschedule_propose); cleared when the customer accepts or declines, or the booking moves.
    proposed_starts_at = models.DateTimeField(null=True, blank=True)
    proposal_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["vendor", "starts_at"]),
            models.Index(fields=["customer", "-starts_at"]),
            models.Index(fields=["status", "ends_at"]),
            # Bookings made in a period (the back office's dashboard and its "booked on" filter, exports).
            models.Index(fields=["created_at"], name="booking_created_at"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after_start"),
            models.CheckConstraint(condition=Q(busy_until__gte=F("ends_at")), name="booking_busy_until_after_end"),
            models.CheckConstraint(condition=Q(busy_from__lte=F("starts_at")), name="booking_busy_from_before_start"),
            models.CheckConstraint(
                condition=Q(price_minor__isnull=True) | Q(price_minor__gte=0), name="booking_price_non_negative"
            ),
            models.CheckConstraint(condition=Q(status__in=BookingStatus.values), name="booking_status_valid"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def price(self) -> Money | None:
        return None if self.price_minor is None else Money(self.price_minor, self.currency)

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    def can_transition_to(self, status: str) -> bool:
        return status in BOOKING_TRANSITIONS[self.status]
