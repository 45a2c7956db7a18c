"""Reads for bookings, always scoped to what the user may see, and the free slots left between them."""

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.accounts.permissions import Perm
from marketplace.accounts.policy import has_permission
from marketplace.availability.calendars import calendar_busy_ranges_by_vendor
from marketplace.availability.limits import booking_rules
from marketplace.availability.schedule import Job, Schedule
from marketplace.availability.selectors import open_windows_by_vendor
from marketplace.catalog.models import Service
from marketplace.core.audit import audit_log_for, audit_log_for_many
from marketplace.core.db import value_rows
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.models import AuditLogEntry
from marketplace.core.money import Money
from marketplace.core.periods import site_zone
from marketplace.core.validation import validate_time_zone
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


# The longest run of days one call may ask slots for (the slots API refuses more).
SLOT_WINDOW_MAX_DAYS = 62


def vendor_schedule(
    *, vendor: Vendor, first_day: date, last_day: date, now: datetime | None = None, moving: Booking | None = None
) -> Schedule:
    """The organizer's bookable time over their local days first_day..last_day (``availability.schedule``).

    Reads their open windows, the time their active bookings hold and the busy times of their
    own calendars: four queries, however many days. Days before their today or past their
    horizon have no windows. ``moving``: a booking being moved, whose own time does not count.
    """
    return vendor_schedules([vendor], first_day=first_day, last_day=last_day, now=now, moving=moving)[vendor.pk]


def vendor_schedules(
    vendors: list[Vendor],
    *,
    first_day: date,
    last_day: date,
    now: datetime | None = None,
    moving: Booking | None = None,
) -> dict[int, Schedule]:
    """``vendor_schedule`` of each organizer (by id), each over their own local days first_day..last_day:
    the same four queries for all of them (a search asks about a page of organizers at once)."""
    now = now or timezone.now()
    rules = {vendor.pk: booking_rules(vendor) for vendor in vendors}
    days: dict[int, tuple[str, date, date]] = {}
    spans: dict[int, tuple[datetime, datetime]] = {}
    for pk, own in rules.items():
        first, last = max(first_day, own.today(now)), min(last_day, own.last_day(now))
        if first <= last:
            days[pk] = (own.time_zone, first, last)
            # Whole local days (for the daily cap) and every window with its buffers.
            buffers = own.buffer_after + own.buffer_before
            spans[pk] = (
                datetime.combine(first, time.min, tzinfo=own.zone) - buffers,
                datetime.combine(last + timedelta(days=1), time.min, tzinfo=own.zone) + buffers,
            )
    windows = open_windows_by_vendor(days)
    jobs: dict[int, list[Job]] = {pk: [] for pk in spans}
    if spans:
        start, end = min(s for s, _ in spans.values()), max(e for _, e in spans.values())
        taken = Booking.objects.filter(
            vendor_id__in=list(spans), status__in=ACTIVE_STATUSES, busy_from__lt=end, busy_until__gt=start
        )
        if moving is not None:
            taken = taken.exclude(pk=moving.pk)
        for vendor_id, *job in value_rows(
            taken.order_by().values_list("vendor_id", "starts_at", "busy_from", "busy_until")
        ):
            own_start, own_end = spans[vendor_id]
            if job[1] < own_end and job[2] > own_start:
                jobs[vendor_id].append(Job(*job))
    busy = calendar_busy_ranges_by_vendor(spans)
    return {
        pk: Schedule(rules=own, windows=windows.get(pk, []), jobs=jobs.get(pk, []), busy=busy.get(pk, []), now=now)
        for pk, own in rules.items()
    }


def schedule_for_start(
    *, vendor: Vendor, starts_at: datetime, now: datetime | None = None, moving: Booking | None = None
) -> Schedule:
    """The organizer's schedule on the local day of ``starts_at``: what a booking or a move to it must pass.

    A time outside the bookable range is looked up on the nearest bookable day: the
    schedule refuses it as past or too far ahead all the same, and a year like 1 or 9999
    never reaches the time-zone arithmetic.
    """
    now = now or timezone.now()
    rules = booking_rules(vendor)
    day = min(max(starts_at, now), rules.latest_start(now)).astimezone(rules.zone).date()
    return vendor_schedule(vendor=vendor, first_day=day, last_day=day, now=now, moving=moving)


@dataclass(frozen=True)
class ServiceSlots:
    time_zone: str  # the zone the days were read in and the slots are given in
    organizer_time_zone: str  # the organizer's: their hours are in it
    duration_minutes: int
    first_day: date
    last_day: date
    slots: list[datetime]  # aware, in time_zone


def service_slots(
    *,
    service: Service,
    first_day: date | None = None,
    last_day: date | None = None,
    duration_minutes: int | None = None,
    time_zone: str | None = None,
    moving: Booking | None = None,
) -> ServiceSlots:
    """Bookable start times of a service on the dates first_day..last_day of ``time_zone``.

    ``time_zone`` (an IANA name; default the organizer's) is where the dates are read and
    the slots given: a customer in another zone sees their own days. The slots come from the
    organizer's schedule (``vendor_schedule``): their hours and rules, minus their bookings with
    buffers and the busy times of their calendars. Default dates: today and the 6 days after;
    at most SLOT_WINDOW_MAX_DAYS days. An hourly service may be asked for a longer booking (one
    of ``service.booking_lengths()``); other services always use their set length. Every face
    that shows slots calls this, and booking accepts each start it gives.

    ``moving``: a booking of this service being moved. A move keeps its length, so the slots
    fit the booking's own length (``duration_minutes`` is not read), and its own time does not
    count as busy: it may move by less than its length. Its current start may be among them.
    """
    vendor = service.vendor
    if moving is not None:
        duration = moving.duration_minutes
    else:
        duration = service.booking_length(duration_minutes)
    zone = ZoneInfo(validate_time_zone(time_zone or vendor.time_zone, field="tz"))
    now = timezone.now()
    first_day = first_day or now.astimezone(zone).date()
    last_day = last_day or first_day + timedelta(days=6)
    if last_day < first_day:
        raise ValidationFailed("The last day (to) cannot be before the first (from).", field="to")
    if (last_day - first_day).days >= SLOT_WINDOW_MAX_DAYS:
        raise ValidationFailed(f"Ask for at most {SLOT_WINDOW_MAX_DAYS} days of slots at a time.", field="to")
    found = ServiceSlots(
        time_zone=zone.key,
        organizer_time_zone=vendor.time_zone,
        duration_minutes=duration,
        first_day=first_day,
        last_day=last_day,
        slots=[],
    )
    rules = booking_rules(vendor)
    # Nothing is bookable before today or past the horizon; answering early also keeps
    # dates like 0001-01-01 or 9999-12-31 from overflowing the date arithmetic below.
    if first_day > rules.last_day(now) + timedelta(days=1) or last_day < rules.today(now) - timedelta(days=1):
        return found
    begin = datetime.combine(first_day, time.min, tzinfo=zone)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)
    # The organizer's local days that overlap the asked ones (a day or so either side in another zone).
    organizer_days = (begin.astimezone(rules.zone).date(), end.astimezone(rules.zone).date())
    schedule = vendor_schedule(
        vendor=vendor, first_day=organizer_days[0], last_day=organizer_days[1], now=now, moving=moving
    )
    starts = schedule.free_starts(timedelta(minutes=duration))
    lo, hi = bisect_left(starts, begin), bisect_left(starts, end)
    return replace(found, slots=[start.astimezone(zone) for start in starts[lo:hi]])


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
