"""Which times an organizer's calendar file says they are busy: the parse rules, in one place.

- The file must be an iCalendar file: a web page (a provider's sign-in page, served when the
  address is not the secret one) and a file cut off before ``END:VCALENDAR`` are refused with
  the reason, as is anything ``icalendar`` cannot read.
- Repeating events are expanded by ``recurring_ical_events`` (RRULE, RDATE, EXDATE and
  RECURRENCE-ID overrides; Google's X-WR-TIMEZONE) over the window asked for.
- An event does not block when it is cancelled (STATUS:CANCELLED), transparent
  (TRANSP:TRANSPARENT, "show as free") or Outlook's "free" (X-MICROSOFT-CDO-BUSYSTATUS:FREE).
  Everything else blocks: busy, tentative (STATUS:TENTATIVE, busy status TENTATIVE),
  out of office (OOF) and working elsewhere, since offering a slot the organizer may not
  keep is worse than hiding one they could. The marketplace's own events (UID
  ``…@tidynest``: a booking's .ics added to their calendar) never block: the booking does,
  while it stands (``core.ical``).
- An all-day event blocks the organizer's whole local days (their IANA zone), from its
  start date to the day before its end date. A time without a zone ("floating") is in the
  calendar's own zone when it names one (Google's X-WR-TIMEZONE), else the organizer's local
  time; a TZID is honoured; UTC is UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from marketplace.core.ical import is_marketplace_event

UTC = ZoneInfo("UTC")
# More busy ranges than this in the window is not an organizer's diary (a feed of every
# minute, or a mistake); it is refused rather than stored.
MAX_BUSY_RANGES = 5000

WEB_PAGE = (
    "The address gave a web page (perhaps a sign-in page) instead of a calendar: use the calendar's "
    "secret address in iCal format (it ends in .ics)."
)
NOT_ICALENDAR = "The address did not give an iCalendar file (it should begin with BEGIN:VCALENDAR)."
TIME_PROPERTIES = {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"}
CUT_OFF = "The calendar file is cut off before its end (no END:VCALENDAR): the download was incomplete."


class CalendarUnreadable(Exception):
    """The file gives no busy times; ``reason`` says why in the organizer's words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _check_shape(data: bytes) -> None:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")) or (
        head.startswith(b"<") and b"<html" in data[:4096].lower()
    ):
        raise CalendarUnreadable(WEB_PAGE)
    if not head.startswith(b"begin:vcalendar"):
        raise CalendarUnreadable(NOT_ICALENDAR)
    if not data.rstrip().lower().endswith(b"end:vcalendar"):
        raise CalendarUnreadable(CUT_OFF)


def _blocks(event) -> bool:
    if is_marketplace_event(event.get("UID")):
        return False  # our own booking, copied into their calendar: the booking itself blocks
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return False
    if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
        return False
    return str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper() != "FREE"


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    """A start or end in UTC: a date is the start of that local day, a floating time is local."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time.min, tzinfo=zone).astimezone(UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=zone).astimezone(UTC)
    return value.astimezone(UTC)


def _range(event, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    start = event.get("DTSTART")
    if start is None:
        return None
    start = start.dt
    end_prop = event.get("DTEND")
    if end_prop is not None:
        end = end_prop.dt
    elif event.get("DURATION") is not None:
        end = start + event["DURATION"].dt
    elif isinstance(start, datetime):
        return None  # a moment, not a span of time (RFC 5545: it ends when it starts)
    else:
        end = start + timedelta(days=1)  # an all-day event without an end lasts its day
    begins, ends = _instant(start, zone), _instant(end, zone)
    return (begins, ends) if ends > begins else None


def _merge(ranges: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def busy_ranges_from_ics(
    data: bytes, *, time_zone: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The busy [start, end) ranges (UTC, merged, clipped to the window) of a calendar file.

    ``CalendarUnreadable`` when the file is not a whole iCalendar file.
    """
    _check_shape(data)
    zone = ZoneInfo(time_zone)
    try:
        calendar = icalendar.Calendar.from_ical(data)
        # icalendar keeps a property it cannot read as an error on its component; a broken
        # time or repeat rule would silently drop a busy time, so the file is refused.
        for component in calendar.walk():
            for name, problem in component.errors:
                if name in TIME_PROPERTIES:
                    raise CalendarUnreadable(f"The calendar file is not valid iCalendar ({name}: {problem[:150]}).")
        # Dates around the window, so floating and all-day events at its edges are found;
        # the exact window is applied after each event is in UTC.
        first = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date() + timedelta(days=2)
        events = recurring_ical_events.of(calendar, skip_bad_series=True).between(first, last)
        ranges = []
        for event in events:
            if not _blocks(event):
                continue
            span = _range(event, zone)
            if span is None:
                continue
            begins, ends = max(span[0], start), min(span[1], end)
            if ends > begins:
                ranges.append((begins, ends))
    except CalendarUnreadable:
        raise
    except Exception as error:
        detail = " ".join(str(error).split())[:200]
        raise CalendarUnreadable(
            f"The calendar file is not valid iCalendar ({detail or type(error).__name__})."
        ) from None
    ranges = _merge(ranges)
    if len(ranges) > MAX_BUSY_RANGES:
        raise CalendarUnreadable(
            f"The calendar has more than {MAX_BUSY_RANGES} separate busy times in the coming months; "
            "add a calendar with only your appointments."
        )
    return ranges
