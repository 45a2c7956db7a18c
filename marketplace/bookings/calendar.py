"""Bookings as iCalendar events (RFC 5545, through ``icalendar``): the one home of every calendar rule.

The organizer's subscribed feed, the customer's .ics download, the .ics attached to booking
emails and the "Add to Google Calendar" link are all built here, so a booking looks the same
everywhere:

- one UID for life, ``<reference>@tidynest``; SEQUENCE is ``Booking.calendar_sequence``, raised
  by the booking services whenever a field a calendar shows changes (``CALENDAR_FIELDS``,
  ``calendar_fields_changed``), so a calendar replaces its copy of the event;
- a confirmed, completed or disputed booking is STATUS:CONFIRMED; a cancelled or declined one
  stays in the feed as STATUS:CANCELLED, so subscribed calendars strike it out rather than
  silently losing it (``FEED_STATUSES``, ``FEED_PAST_DAYS``);
- times are written in UTC (``...Z``): every calendar shows them in its own zone, with no
  VTIMEZONE to get wrong around a daylight saving change;
- the organizer's event names the service and the reference, never the customer (the feed
  goes to Google, Microsoft or Apple); the address is there because the organizer goes there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils import timezone
from icalendar import Calendar, Event, vDuration

from marketplace.core.ical import UID_DOMAIN
from marketplace.vendors.models import Vendor

from .models import Booking, BookingStatus

PRODID = "-//Tidy Nest//Bookings//EN"

# The fields a calendar event shows: changing any of them raises the booking's SEQUENCE.
CALENDAR_FIELDS = frozenset({"starts_at", "ends_at", "status", "address"})

# The event STATUS of each booking status that appears in a calendar. Requests and expired
# requests never held the organizer's time for sure, so they are not in the feed.
EVENT_STATUS = {
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.COMPLETED: "CONFIRMED",
    BookingStatus.DISPUTED: "CONFIRMED",  # disputed after the work started: it did take place
    BookingStatus.REFUNDED: "CONFIRMED",  # refunded by a dispute's decision, after the work started
    BookingStatus.CANCELLED: "CANCELLED",
    BookingStatus.DECLINED: "CANCELLED",
}
FEED_STATUSES = tuple(EVENT_STATUS)
# How far back the feed reaches (by the booking's end); everything ahead is in it.
FEED_PAST_DAYS = 90
# How often subscribed calendars are asked to fetch the feed again (Google decides for itself).
FEED_REFRESH = timedelta(hours=1)

GOOGLE_CALENDAR_URL = "https://calendar.google.com/calendar/render"


def calendar_fields_changed(booking: Booking, fields: Iterable[str]) -> list[str]:
    """The fields to save for a change of ``fields``: with ``calendar_sequence`` raised if a calendar shows one.

    The one place the SEQUENCE rule lives; every booking service saves through it.
    """
    fields = list(fields)
    if CALENDAR_FIELDS.intersection(fields):
        booking.calendar_sequence += 1
        fields.append("calendar_sequence")
    return fields


def booking_uid(booking: Booking) -> str:
    return f"{booking.reference}@{UID_DOMAIN}"


def event_status(booking: Booking) -> str:
    """CONFIRMED or CANCELLED (a booking not yet confirmed, as far as a calendar is concerned, is tentative)."""
    return EVENT_STATUS.get(booking.status, "TENTATIVE")


def offers_calendar_event(booking: Booking, *, now: datetime | None = None) -> bool:
    """Whether the customer is offered the booking for their calendar: confirmed and not over yet.

    The .ics itself is served for any of their bookings: a cancelled one's strikes out a copy.
    """
    return event_status(booking) == "CONFIRMED" and booking.ends_at > (now or timezone.now())


def event_title(booking: Booking, *, audience: str) -> str:
    """The customer's: the service and who does it. The organizer's: the service and the reference, no customer."""
    if audience == "organizer":
        return f"{booking.service.title} ({booking.reference})"
    return f"{booking.service.title} with {booking.vendor.business_name}"


def event_details(booking: Booking, *, audience: str, site_url: str) -> str:
    path = f"/vendor/bookings/{booking.pk}/" if audience == "organizer" else f"/account/bookings/{booking.pk}/"
    return f"Booking {booking.reference}. Details: {site_url.rstrip('/')}{path}"


def booking_event(booking: Booking, *, audience: str, site_url: str) -> Event:
    """The booking as one VEVENT for ``audience`` ("customer" or "organizer")."""
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("sequence", booking.calendar_sequence)
    # The last time the booking changed: the same bytes on every fetch, so the feed's ETag holds.
    event.add("dtstamp", booking.updated_at)
    event.add("last-modified", booking.updated_at)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("summary", event_title(booking, audience=audience))
    event.add("location", booking.address)
    event.add("description", event_details(booking, audience=audience, site_url=site_url))
    event.add("status", event_status(booking))
    event.add("transp", "TRANSPARENT" if event_status(booking) == "CANCELLED" else "OPAQUE")
    return event


def _calendar(name: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def booking_ics(booking: Booking, *, site_url: str, audience: str = "customer") -> bytes:
    """One booking as an .ics file (the customer's download, the booking emails' attachment)."""
    calendar = _calendar()
    calendar.add_component(booking_event(booking, audience=audience, site_url=site_url))
    return calendar.to_ical()


def calendar_feed_bookings(*, vendor: Vendor, now: datetime | None = None) -> QuerySet[Booking]:
    """The organizer's bookings in their feed: ``FEED_STATUSES``, ending at most ``FEED_PAST_DAYS`` ago."""
    since = (now or timezone.now()) - timedelta(days=FEED_PAST_DAYS)
    return (
        Booking.objects.filter(vendor=vendor, status__in=FEED_STATUSES, ends_at__gte=since)
        .select_related("service", "vendor")
        .order_by("starts_at", "id")
    )


def calendar_feed_name(vendor: Vendor) -> str:
    return f"Tidy Nest bookings: {vendor.business_name}"


def vendor_calendar_feed(*, vendor: Vendor, site_url: str, now: datetime | None = None) -> bytes:
    """The organizer's subscribed calendar: every booking of ``calendar_feed_bookings`` as an event."""
    calendar = _calendar(calendar_feed_name(vendor))
    calendar.add("refresh-interval", vDuration(FEED_REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    for booking in calendar_feed_bookings(vendor=vendor, now=now):
        calendar.add_component(booking_event(booking, audience="organizer", site_url=site_url))
    return calendar.to_ical()


def _google_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_link(booking: Booking, *, site_url: str) -> str:
    """The customer's "Add to Google Calendar" address: the same event as their .ics, in UTC, URL-encoded."""
    query = urlencode(
        {
            "action": "TEMPLATE",
            "text": event_title(booking, audience="customer"),
            "dates": f"{_google_time(booking.starts_at)}/{_google_time(booking.ends_at)}",
            "details": event_details(booking, audience="customer", site_url=site_url),
            "location": booking.address,
        }
    )
    return f"{GOOGLE_CALENDAR_URL}?{query}"
