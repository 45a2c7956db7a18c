"""Organizers' external calendars: adding, removing and reading them, and the busy times they give.

A calendar is added by its secret iCal address (``external_calendar_add``: http(s) only, not
a private network, checked before anything is stored) and read at once, then every
``refresh_minutes`` by the ``external_calendars_refresh_due`` job. Each good read replaces the
calendar's busy times in one transaction; a failed read records its reason and keeps the
busy times of the last good read, which go on blocking (``calendar_busy_ranges_by_vendor``, asked by
``bookings.selectors.service_slots`` and ``bookings.services.booking_request``).
Fetching rules: ``calendar_fetch``; parse rules: ``calendar_parse``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from marketplace.core.audit import audit_log
from marketplace.core.db import unit_of_work, value_rows
from marketplace.core.errors import ValidationFailed
from marketplace.core.jobs import enqueue
from marketplace.core.validation import require_text
from marketplace.vendors.models import Vendor

from .calendar_fetch import CalendarFetchFailed, calendar_fetch, check_address
from .calendar_parse import CalendarUnreadable, busy_ranges_from_ics
from .errors import CalendarAddressRefused, CalendarNotFound
from .limits import MAX_HORIZON_DAYS
from .models import BusyTime, ExternalCalendar

logger = logging.getLogger(__name__)

NAME_MAX_LENGTH = 80
URL_MAX_LENGTH = 2000
MAX_CALENDARS_PER_VENDOR = 10
# A file unchanged for this long is read in full again anyway (no If-None-Match), so
# repeating events that come into the booking horizon are added.
REPARSE_AFTER = timedelta(days=1)
# How many due calendars one run of the job queues (the rest wait for the next run).
REFRESH_BATCH = 200
REFRESH_JOB = "marketplace.availability.tasks.external_calendar_refresh"


# --- How a calendar is shown ---------------------------------------------------------------


def mask_url(url: str) -> str:
    """The address as shown back: its scheme and host only (the path is the secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}/…"


@dataclass(frozen=True)
class CalendarState:
    code: str  # "pending" (never read), "ok" (the last read was good), "error" (it failed)
    sentence: str


def calendar_state(calendar: ExternalCalendar) -> CalendarState:
    """Where a calendar stands, in the organizer's words (their time zone)."""
    zone = calendar.vendor.time_zone

    def when(at: datetime | None) -> str:
        return f"{at.astimezone(ZoneInfo(zone)):%d %b %Y %H:%M} ({zone})" if at else "never"

    if calendar.last_fetched_at is None:
        return CalendarState("pending", "Not read yet: it is read within a few minutes.")
    if calendar.last_error:
        kept = (
            " The busy times from that read keep blocking your slots."
            if calendar.last_good_at
            else " Nothing from it blocks your slots yet."
        )
        return CalendarState(
            "error",
            f"Could not be read at {when(calendar.last_fetched_at)}: {calendar.last_error} "
            f"Last good read: {when(calendar.last_good_at)}.{kept}",
        )
    return CalendarState("ok", f"Read at {when(calendar.last_good_at)}; its busy times block your slots.")


# --- Reads ------------------------------------------------------------------------------


def external_calendar_list_for_vendor(*, vendor: Vendor) -> QuerySet[ExternalCalendar]:
    return ExternalCalendar.objects.filter(vendor=vendor).select_related("vendor").order_by("name", "id")


def external_calendar_get(*, vendor: Vendor, calendar_id: int) -> ExternalCalendar:
    """One of the organizer's calendars; another organizer's is not found."""
    calendar = external_calendar_list_for_vendor(vendor=vendor).filter(pk=calendar_id).first()
    if calendar is None:
        raise CalendarNotFound("Calendar not found.")
    return calendar


def calendar_busy_ranges_by_vendor(
    spans: dict[int, tuple[datetime, datetime]],
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Each organizer's busy [start, end) ranges from their external calendars that overlap their own
    [start, end), for ``{vendor_id: (start, end)}``: one query however many organizers."""
    found: dict[int, list[tuple[datetime, datetime]]] = {pk: [] for pk in spans}
    if not spans:
        return found
    start = min(start for start, _ in spans.values())
    end = max(end for _, end in spans.values())
    rows = value_rows(
        BusyTime.objects.filter(vendor_id__in=list(spans), starts_at__lt=end, ends_at__gt=start)
        .order_by("starts_at")
        .values_list("vendor_id", "starts_at", "ends_at")
    )
    for vendor_id, starts_at, ends_at in rows:
        own_start, own_end = spans[vendor_id]
        if starts_at < own_end and ends_at > own_start:
            found[vendor_id].append((starts_at, ends_at))
    return found


# --- Writes -----------------------------------------------------------------------------


def _digest(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def external_calendar_add(*, vendor: Vendor, name: str, url: str, actor=None) -> ExternalCalendar:
    """Add a calendar by its secret address and read it now.

    The address is http(s) (webcal:// is read as https://) and resolves to the public
    internet (``calendar_fetch.check_address``), at most ``MAX_CALENDARS_PER_VENDOR`` per
    organizer, each once. A refusal stores nothing.
    """
    name = require_text(name, field="name", label="The calendar's name", max_length=NAME_MAX_LENGTH)
    url = (url or "").strip()
    if not url:
        raise ValidationFailed("Paste the calendar's secret iCal address.", field="url")
    if len(url) > URL_MAX_LENGTH:
        raise ValidationFailed(f"The address is longer than {URL_MAX_LENGTH} characters.", field="url")
    try:
        url = check_address(url)
    except CalendarFetchFailed as error:
        raise CalendarAddressRefused(error.reason, field="url") from None
    now = timezone.now()
    with unit_of_work():
        Vendor.objects.select_for_update().filter(pk=vendor.pk).first()
        calendars = ExternalCalendar.objects.filter(vendor=vendor)
        if calendars.count() >= MAX_CALENDARS_PER_VENDOR:
            raise ValidationFailed(f"You can add at most {MAX_CALENDARS_PER_VENDOR} calendars.", field="url")
        if calendars.filter(url_digest=_digest(url)).exists():
            raise ValidationFailed("You have already added this calendar.", field="url")
        calendar = ExternalCalendar.objects.create(
            vendor=vendor,
            name=name,
            url=url,
            url_digest=_digest(url),
            refresh_minutes=settings.CALENDAR_REFRESH_MINUTES,
            next_fetch_at=now + timedelta(minutes=settings.CALENDAR_REFRESH_MINUTES),
        )
        audit_log(
            actor=actor or vendor.user,
            action="calendar.added",
            target=vendor,
            data={"calendar": calendar.pk, "name": name, "address": mask_url(url)},
        )
        enqueue(REFRESH_JOB, calendar_id=calendar.pk)
    return calendar


def external_calendar_remove(*, vendor: Vendor, calendar_id: int, actor=None) -> None:
    """Remove a calendar; its busy times stop blocking at once."""
    with unit_of_work():
        calendar = ExternalCalendar.objects.select_for_update().filter(vendor=vendor, pk=calendar_id).first()
        if calendar is None:
            raise CalendarNotFound("Calendar not found.")
        audit_log(
            actor=actor or vendor.user,
            action="calendar.removed",
            target=vendor,
            data={"calendar": calendar.pk, "name": calendar.name, "address": mask_url(calendar.url)},
        )
        calendar.delete()


def external_calendar_refresh_request(*, vendor: Vendor, calendar_id: int) -> ExternalCalendar:
    """The organizer's "refresh now": the calendar is read again by a job, at once."""
    calendar = external_calendar_get(vendor=vendor, calendar_id=calendar_id)
    enqueue(REFRESH_JOB, calendar_id=calendar.pk)
    return calendar


def external_calendar_refresh(*, calendar_id: int, now: datetime | None = None) -> str:
    """Read one calendar and keep what it says: "updated", "unchanged", "failed" or "gone".

    The network is asked with no transaction open. A good read replaces the busy times in one
    transaction; a failed one records the reason and leaves them. Safe to run twice.
    """
    calendar = ExternalCalendar.objects.select_related("vendor").filter(pk=calendar_id).first()
    if calendar is None:
        return "gone"
    now = now or timezone.now()
    recent = calendar.parsed_at is not None and calendar.parsed_at > now - REPARSE_AFTER
    fields = {
        "last_fetched_at": now,
        "next_fetch_at": now + timedelta(minutes=calendar.refresh_minutes),
    }
    try:
        result = calendar_fetch(
            calendar.url,
            etag=calendar.etag if recent else "",
            last_modified=calendar.last_modified if recent else "",
        )
        ranges = None
        if not result.not_modified:
            ranges = busy_ranges_from_ics(
                result.body,
                time_zone=calendar.vendor.time_zone,
                start=now - timedelta(days=1),
                end=now + timedelta(days=MAX_HORIZON_DAYS + 2),  # the longest horizon an organizer may set
            )
    except (CalendarFetchFailed, CalendarUnreadable) as error:
        return _refresh_failed(calendar_id, fields, error.reason)
    except CalendarAddressRefused as error:
        return _refresh_failed(calendar_id, fields, error.message)
    fields.update(last_good_at=now, last_error="")
    with transaction.atomic():
        if not ExternalCalendar.objects.select_for_update().filter(pk=calendar_id).exists():
            return "gone"
        if ranges is not None:
            fields.update(parsed_at=now, etag=result.etag, last_modified=result.last_modified)
            BusyTime.objects.filter(calendar_id=calendar_id).delete()
            BusyTime.objects.bulk_create(
                BusyTime(calendar_id=calendar_id, vendor_id=calendar.vendor_id, starts_at=start, ends_at=end)
                for start, end in ranges
            )
        ExternalCalendar.objects.filter(pk=calendar_id).update(**fields)
    return "unchanged" if ranges is None else "updated"


def _refresh_failed(calendar_id: int, fields: dict, reason: str) -> str:
    logger.info("calendar.read_failed", extra={"calendar": calendar_id, "reason": reason})
    ExternalCalendar.objects.filter(pk=calendar_id).update(**fields, last_error=reason[:500])
    return "failed"


def external_calendars_refresh_due(*, now: datetime | None = None) -> int:
    """Queue a read of every calendar that is due (at most ``REFRESH_BATCH`` per run); how many were queued.

    Each is claimed by moving its ``next_fetch_at`` on before it is queued, so a second run
    (or a second worker) does not queue it again.
    """
    now = now or timezone.now()
    queued = 0
    with transaction.atomic():
        due = list(
            ExternalCalendar.objects.select_for_update(skip_locked=True)
            .filter(next_fetch_at__lte=now)
            .order_by("next_fetch_at")
            .values_list("pk", "refresh_minutes")[:REFRESH_BATCH]
        )
        for calendar_id, minutes in due:
            ExternalCalendar.objects.filter(pk=calendar_id).update(next_fetch_at=now + timedelta(minutes=minutes))
    for calendar_id, _ in due:
        enqueue(REFRESH_JOB, calendar_id=calendar_id)
        queued += 1
    return queued
