"""Free start times as the storefront shows them: by local day and part of the day.

The service page lists them to book; a booking page lists them to move the booking
(``move_picker``). Both take the slots from ``bookings.selectors.service_slots``, and every
value is the UTC isoformat the booking and move forms post back.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

from django.utils import dateformat, timezone

from marketplace.bookings.models import Booking
from marketplace.bookings.selectors import service_slots

# How far ahead a booking page offers times to move a booking to.
MOVE_DAYS = 14


def group_slots_by_day(slots, *, zone: ZoneInfo, first_day, days: int) -> list[dict]:
    """Every local day of the window, with its free start times split into parts of the day."""
    by_day: dict = {}
    for slot in slots:
        local = slot.astimezone(zone)
        by_day.setdefault(local.date(), []).append({"value": slot.astimezone(UTC).isoformat(), "local": local})
    result = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        day_slots = by_day.get(day, [])
        periods = [
            ("Morning", [s for s in day_slots if s["local"].hour < 12]),
            ("Afternoon", [s for s in day_slots if 12 <= s["local"].hour < 17]),
            ("Evening", [s for s in day_slots if s["local"].hour >= 17]),
        ]
        result.append(
            {
                "date": day,
                "key": day.isoformat(),
                "count": len(day_slots),
                "periods": [(label, items) for label, items in periods if items],
            }
        )
    return result


def _asked_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:  # anything but a plain date is ignored: the first day with times is shown
        return None


def move_picker(*, booking: Booking, zone: ZoneInfo, day: str | None = None, picked: str = "") -> dict:
    """The times ``booking`` could move to over the next MOVE_DAYS days of ``zone``: a day, then its free times.

    The slots are the service's, for the booking's own length, with the booking's own time
    free (``service_slots(moving=...)``); its current start is left out, since a move there
    changes nothing. The day shown is the one of the ``picked`` time (a form sent back with
    an error), else ``day`` (the GET parameter) when it is in the window, else the first
    day with free times.
    """
    first_day = timezone.now().astimezone(zone).date()
    found = service_slots(
        service=booking.service,
        first_day=first_day,
        last_day=first_day + timedelta(days=MOVE_DAYS - 1),
        time_zone=zone.key,
        moving=booking,
    )
    slots = [slot for slot in found.slots if slot != booking.starts_at]
    days = group_slots_by_day(slots, zone=zone, first_day=first_day, days=MOVE_DAYS)
    by_key = {item["key"]: item for item in days}
    holding_pick = next(
        (item for item in days for _, items in item["periods"] if any(slot["value"] == picked for slot in items)),
        None,
    )
    asked = _asked_day(day)
    chosen = (
        holding_pick
        or (by_key.get(asked.isoformat()) if asked else None)
        or next((item for item in days if item["count"]), days[0])
    )
    return {
        "days": days,
        "day": chosen,
        # What the slot picker partial reads: the chosen day alone, open.
        "slot_days": [chosen],
        "slot_count": chosen["count"],
        "open_day": chosen["key"],
        "selected_slot": picked,
        "any_free": any(item["count"] for item in days),
        "time_zone": zone.key,
        "organizer_time_zone": found.organizer_time_zone,
    }


def local_time_text(moment, zone: str) -> str:
    """A moment as a person in ``zone`` reads it: "Monday, December 7 at 2:00 PM"."""
    return dateformat.format(moment.astimezone(ZoneInfo(zone)), r"l, F j \a\t g:i A")
