"""Reads for bookings, always scoped to what the user may see, and the free slots left between them."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.accounts.permissions import Perm
from marketplace.accounts.policy import has_permission
from marketplace.availability.calendars import calendar_busy_ranges
from marketplace.availability.limits import horizon
from marketplace.availability.selectors import slot_list
from marketplace.catalog.models import PricingModel, Service
from marketplace.core.audit import audit_log_for, audit_log_for_many
from marketplace.core.errors import NotFound
from marketplace.core.models import AuditLogEntry
from marketplace.core.money import Money
from marketplace.core.periods import site_zone
from marketplace.payments.models import Payout
from marketplace.vendors.models import Vendor

from .models import ACTIVE_STATUSES, Booking, BookingStatus, CancelledBy
from .policy import SUSPENSION_STATUSES

_RELATED = ("service__category", "vendor__user", "customer", "transaction", "review")


def booking_list_for_user(*, user: User, status: str | None = None) -> QuerySet[Booking]:
    """A customer's own bookings; an organizer's bookings with them; everything for staff who manage bookings."""
    bookings = Booking.objects.select_related(*_RELATED)
    if has_permission(user, Perm.MANAGE_BOOKINGS):
        pass
    elif user.is_vendor:
        bookings = bookings.filter(vendor__user=user)
    else:
        bookings = bookings.filter(customer=user)
    if status:
        bookings = bookings.filter(status=status)
    return bookings.order_by("-starts_at", "-id")


def booking_get_for_user(*, user: User, booking_id: int) -> Booking:
    """One booking the user may see. Others' bookings are reported as not found."""
    booking = booking_list_for_user(user=user).filter(pk=booking_id).first()
    if booking is None:
        raise NotFound("Booking not found.")
    return booking


def busy_ranges_for_vendor(*, vendor_id: int, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    return list(
        Booking.objects.filter(
            vendor_id=vendor_id, status__in=ACTIVE_STATUSES, starts_at__lt=end, busy_until__gt=start
        ).values_list("starts_at", "busy_until")
    )


@dataclass(frozen=True)
class ServiceSlots:
    time_zone: str  # the vendor's: days and times are meant to be shown in it
    duration_minutes: int
    slots: list[datetime]  # aware, UTC


def service_slots(
    *, service: Service, first_day: date | None = None, days: int = 7, duration_minutes: int | None = None
) -> ServiceSlots:
    """Free start times for a service over ``days`` local dates: the vendor's hours minus their bookings
    and the busy times of their external calendars.

    An hourly service may be asked for a longer booking (one of ``service.booking_lengths()``);
    other services always use their set length. Every face that shows slots calls this,
    so the storefront and the API offer the same times, and booking accepts each of them.
    """
    vendor = service.vendor
    requested = duration_minutes if service.pricing_model == PricingModel.HOURLY else None
    duration = service.booking_length(requested)
    zone = ZoneInfo(vendor.time_zone)
    today = timezone.now().astimezone(zone).date()
    first_day = first_day or today
    # Nothing is bookable before today or past the horizon; answering early also keeps
    # dates like 0001-01-01 or 9999-12-31 from overflowing the date arithmetic below.
    last_bookable_day = today + horizon() + timedelta(days=1)
    if first_day > last_bookable_day or first_day + timedelta(days=days) < today:
        return ServiceSlots(time_zone=vendor.time_zone, duration_minutes=duration, slots=[])
    window_start = datetime.combine(first_day, time.min, tzinfo=zone)
    busy_from, busy_to = window_start - timedelta(days=1), window_start + timedelta(days=days + 1)
    # Their bookings and the busy times of their own calendars (availability.calendars).
    busy = busy_ranges_for_vendor(vendor_id=vendor.pk, start=busy_from, end=busy_to)
    busy += calendar_busy_ranges(vendor_id=vendor.pk, start=busy_from, end=busy_to)
    slots = slot_list(vendor=vendor, duration_minutes=duration, first_day=first_day, days=days, busy=busy)
    return ServiceSlots(time_zone=vendor.time_zone, duration_minutes=duration, slots=slots)


# --- Cancellations counted against an organizer ------------------------------------------

# "Recently" for an organizer's cancellations: the last 12 months.
RECENT_CANCELLATIONS_DAYS = 365


@dataclass(frozen=True)
class OrganizerCancellations:
    recent: int  # in the last RECENT_CANCELLATIONS_DAYS days, by when the booking was cancelled
    total: int


def booking_cancellations_by_organizer(*, vendor: Vendor, now: datetime | None = None) -> OrganizerCancellations:
    """How many of the vendor's bookings the organizer called off: the cancellations counted against them.

    Only the organizer's own cancellations count; the customer's and an admin's do not.
    """
    since = (now or timezone.now()) - timedelta(days=RECENT_CANCELLATIONS_DAYS)
    counts = Booking.objects.filter(
        vendor=vendor, status=BookingStatus.CANCELLED, cancelled_by=CancelledBy.ORGANIZER
    ).aggregate(total=Count("pk"), recent=Count("pk", filter=Q(closed_at__gte=since)))
    return OrganizerCancellations(recent=counts["recent"], total=counts["total"])


@dataclass(frozen=True)
class SuspensionPreview:
    """What suspending the organizer now would do to their bookings (``policy.SUSPENSION_RULE``)."""

    cancelled: int  # confirmed bookings not started yet: cancelled, refunded in full
    refunds: list[Money]  # what those customers get back, one total per currency
    declined: int  # open requests: declined, any payment or card hold given back

    @property
    def refund_total_text(self) -> str:
        return " + ".join(str(total) for total in self.refunds) or "nothing"

    @property
    def sentence(self) -> str:
        """The preview in the words of the back office's Suspend form."""
        bookings = f"{self.cancelled} confirmed booking{'' if self.cancelled == 1 else 's'}"
        requests = f"{self.declined} open request{'' if self.declined == 1 else 's'}"
        return (
            f"Suspending now cancels {bookings} that {'has' if self.cancelled == 1 else 'have'} not started yet, "
            f"refunding {self.refund_total_text} in full to the customers, and declines {requests}."
        )


def booking_ids_for_suspension(*, vendor_id: int, after_booking_id: int = 0, now: datetime | None = None) -> list[int]:
    """The organizer's bookings SUSPENSION_RULE may change, by id (``policy.suspension_step`` decides each)."""
    now = now or timezone.now()
    return list(
        Booking.objects.filter(vendor_id=vendor_id, status__in=SUSPENSION_STATUSES, pk__gt=after_booking_id)
        .filter(Q(status=BookingStatus.REQUESTED) | Q(starts_at__gt=now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def suspension_preview(*, vendor: Vendor, now: datetime | None = None) -> SuspensionPreview:
    """How many bookings suspending the organizer now cancels and declines, and what the refunds come to.

    The refund of a cancelled booking is what is left of its payment (all of it, unless our
    team refunded a part before), as ``booking_close_for_suspension`` refunds it.
    """
    now = now or timezone.now()
    confirmed = Booking.objects.filter(vendor=vendor, status=BookingStatus.CONFIRMED, starts_at__gt=now)
    rows = (
        confirmed.order_by()
        .values("currency")
        .annotate(
            count=Count("pk"),
            left=Sum(
                Coalesce(F("transaction__amount_minor") - F("transaction__refunded_minor"), Value(0)),
            ),
        )
        .order_by("currency")
    )
    rows = list(rows)
    return SuspensionPreview(
        cancelled=sum(row["count"] for row in rows),
        refunds=[Money(row["left"] or 0, row["currency"]) for row in rows],
        declined=Booking.objects.filter(vendor=vendor, status=BookingStatus.REQUESTED).count(),
    )


# --- Back office (platform admins) -----------------------------------------------------


def booking_list_for_backoffice() -> QuerySet[Booking]:
    """Every booking with what a listing shows, latest appointment first."""
    return Booking.objects.select_related(*_RELATED).order_by("-starts_at", "-id")


def booking_audit_trail(*, booking: Booking) -> QuerySet[AuditLogEntry]:
    """Everything logged about a booking, its payment and its payout, oldest first."""
    entries = audit_log_for(booking)
    payment = getattr(booking, "transaction", None)
    if payment is not None:
        entries = entries | audit_log_for(payment)
        payouts = Payout.objects.filter(transaction=payment).values_list("pk", flat=True)
        entries = entries | audit_log_for_many(Payout, [str(pk) for pk in payouts])
    return entries.select_related("actor").order_by("created_at", "id")


def booking_counts_by_day(*, since: datetime, until: datetime) -> dict[date, int]:
    """Bookings made (created, whatever became of them since) in [since, until), per local day of the
    site's time zone, counted in the database in one query. Days without a booking are absent."""
    rows = (
        Booking.objects.filter(created_at__gte=since, created_at__lt=until)
        .annotate(day=TruncDate("created_at", tzinfo=site_zone()))
        .order_by()
        .values("day")
        .annotate(count=Count("id"))
        .values_list("day", "count")
    )
    return dict(rows)


BOOKING_EXPORT_COLUMNS = (
    "reference",
    "created_at",
    "starts_at",
    "status",
    "customer__email",
    "vendor__business_name",
    "service__title",
    "currency",
    "price_minor",
)


def booking_rows_for_export(*, booked_from: datetime, booked_to: datetime) -> Iterator[tuple]:
    """Every booking made in [booked_from, booked_to), oldest first, as ``BOOKING_EXPORT_COLUMNS`` tuples.

    One query read in chunks (a server-side cursor on PostgreSQL): a year of bookings
    streams out without being held in memory.
    """
    return (
        Booking.objects.filter(created_at__gte=booked_from, created_at__lt=booked_to)
        .order_by("created_at", "id")
        .values_list(*BOOKING_EXPORT_COLUMNS)
        .iterator(chunk_size=2000)
    )
