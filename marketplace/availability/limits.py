"""When a booking may start: the time grid, the notice and the horizon, each defined once.

Opening hours, offered slots and booking requests all read these, so the slots a
customer is shown are exactly the starts that booking accepts.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from marketplace.catalog.limits import SERVICE_DURATION_MIN_MINUTES

# Bookings start on this grid in the organizer's time zone (10:00, 10:15...); opening
# hours begin and end on it, so every offered start is on it too.
START_GRID_MINUTES = 15
# Offered start times are this far apart within an opening window.
SLOT_STEP_MINUTES = 30
# An opening shorter than the shortest service could never be booked.
OPENING_MIN_MINUTES = SERVICE_DURATION_MIN_MINUTES


def on_start_grid(at: time) -> bool:
    """Whether a wall-clock time lies on the start grid (no seconds, a whole quarter hour)."""
    return not (at.second or at.microsecond or at.minute % START_GRID_MINUTES)


def min_notice() -> timedelta:
    """The shortest notice a booking may be made with (``BOOKING_MIN_NOTICE_MINUTES``)."""
    return timedelta(minutes=settings.BOOKING_MIN_NOTICE_MINUTES)


def horizon() -> timedelta:
    """How far ahead a booking may start (``BOOKING_HORIZON_DAYS``)."""
    return timedelta(days=settings.BOOKING_HORIZON_DAYS)


def earliest_bookable_start(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + min_notice()


def latest_bookable_start(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + horizon()


def notice_text() -> str:
    """The minimum notice in words: "2 hours'", "90 minutes'", "1 hour's"."""
    minutes = settings.BOOKING_MIN_NOTICE_MINUTES
    if minutes % 60:
        return f"{minutes} minutes'"
    hours = minutes // 60
    return "1 hour's" if hours == 1 else f"{hours} hours'"


def exception_dates(time_zone: str, now: datetime | None = None) -> tuple[date, date]:
    """The first and last date a dated exception may be set on, in the organizer's own calendar.

    From their today (an earlier day has no slot left to change) to the day the booking
    horizon ends (no booking can start later, so an exception there would change nothing).
    """
    local_now = (now or timezone.now()).astimezone(ZoneInfo(time_zone))
    return local_now.date(), (local_now + horizon()).date()
