"""The slot benchmark's data (bench/slots.py): what it times is only as good as the organizer it builds.

Built here on either database: 200 active bookings that never overlap, cancelled ones beside
them, and three calendars whose busy times come from repeating and one-off events, the
cancelled and "free" ones left out; and the slots it offers are the ones booking accepts.
"""

from datetime import timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bench.slots import BOOKINGS, CANCELLED, DAYS, calendar_files, make_bookings, make_calendars, make_organizer
from marketplace.availability.models import BusyTime
from marketplace.bookings.models import ACTIVE_STATUSES, Booking
from marketplace.bookings.selectors import schedule_for_start, service_slots

pytestmark = pytest.mark.django_db


def test_the_calendars_hold_repeating_and_one_off_busy_times_and_skip_the_ones_that_do_not_block():
    files = calendar_files(timezone.now())

    assert set(files) == {"Work (Google)", "Family (Apple)", "Appointments (Outlook)"}
    assert b"RRULE:FREQ=DAILY" in files["Work (Google)"] and b"EXDATE" in files["Work (Google)"]
    assert b"STATUS:CANCELLED" in files["Family (Apple)"] and b"TRANSP:TRANSPARENT" in files["Family (Apple)"]


def test_the_organizer_has_its_bookings_and_busy_times_and_every_slot_offered_is_bookable():
    now = timezone.now()
    vendor, service, customers = make_organizer()

    made = make_bookings(vendor=vendor, service=service, customers=customers, now=now)
    busy = make_calendars(vendor=vendor, now=now)

    assert made == BOOKINGS + CANCELLED
    active = list(Booking.objects.filter(vendor=vendor, status__in=ACTIVE_STATUSES).order_by("busy_from"))
    assert len(active) == BOOKINGS
    assert all(a.busy_until <= b.busy_from for a, b in pairwise(active))
    assert BusyTime.objects.filter(vendor=vendor).count() == sum(busy.values())
    assert busy["Work (Google)"] > 100  # the daily stand-up, repeated
    today = now.astimezone(ZoneInfo(vendor.time_zone)).date()
    slots = service_slots(service=service, first_day=today, last_day=today + timedelta(days=DAYS - 1)).slots
    assert slots
    for start in slots[:: max(1, len(slots) // 10)]:
        assert schedule_for_start(vendor=vendor, starts_at=start).refusal(start, timedelta(minutes=120)) is None
