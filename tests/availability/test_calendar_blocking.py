"""Busy times from an organizer's own calendar block slots and bookings (a 409 slot_unavailable), and keep
blocking after a read that fails; removing the calendar frees them."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from marketplace.availability.calendars import (
    external_calendar_add,
    external_calendar_refresh,
    external_calendar_remove,
)
from marketplace.bookings.models import Booking
from marketplace.bookings.selectors import service_slots
from tests.factories.calendars import NEW_YORK, calendar_server, local_day, one_event
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

DAY_AHEAD = 4


@pytest.fixture
def server(settings):
    settings.CALENDAR_FETCH_ALLOW_PRIVATE = True
    with calendar_server() as running:
        yield running


def local_slots(service, day) -> list[str]:
    slots = service_slots(service=service, first_day=day, last_day=day).slots
    return [slot.astimezone(NEW_YORK).strftime("%H:%M") for slot in slots]


def expected_slots(vendor, service, busy_from: time, busy_to: time) -> list[str]:
    """Starts 08:00..(20:00 - length) every 30 minutes whose booking and buffer miss [busy_from, busy_to)."""
    day = datetime(2027, 1, 4)  # any date: wall-clock arithmetic only
    length = timedelta(minutes=service.duration_minutes + vendor.buffer_after_minutes)
    starts, at = [], day.replace(hour=8)
    while at + timedelta(minutes=service.duration_minutes) <= day.replace(hour=20):
        if not (at < day.replace(hour=busy_to.hour) and at + length > day.replace(hour=busy_from.hour)):
            starts.append(at.strftime("%H:%M"))
        at += timedelta(minutes=30)
    return starts


def book(api, customer, service, day, at):
    starts_at = datetime.combine(day, at, tzinfo=NEW_YORK)
    return api.as_user(customer).post(
        "bookings", {"service_id": service.pk, "starts_at": starts_at.isoformat(), "address": "1 Main St"}
    )


def test_a_busy_time_in_the_organizer_s_calendar_hides_the_slots_it_overlaps(server, vendor, service):
    day = local_day(DAY_AHEAD)
    free = local_slots(service, day)
    url = server.serve("/cal.ics", one_event(day, time(14), time(15)))

    external_calendar_add(vendor=vendor, name="Work", url=url)

    assert free == expected_slots(vendor, service, time(0), time(0))
    assert local_slots(service, day) == expected_slots(vendor, service, time(14), time(15))
    assert "14:00" not in local_slots(service, day)
    assert "15:00" in local_slots(service, day)


def test_a_booking_over_a_busy_time_is_refused_with_409_and_writes_nothing(api, server, vendor, service, customer):
    day = local_day(DAY_AHEAD)
    external_calendar_add(vendor=vendor, name="Work", url=server.serve("/cal.ics", one_event(day, time(14), time(15))))
    before = data_snapshot()

    response = book(api, customer, service, day, time(12, 30))

    assert response.status_code == 409
    assert response.json() == {
        "detail": "The organizer is busy at that time. Please choose another slot.",
        "code": "slot_unavailable",
    }
    assert changed_tables(before, data_snapshot()) == []
    assert book(api, customer, service, day, time(15)).status_code == 201


def test_the_last_good_busy_times_keep_blocking_after_a_failed_read_and_stop_when_the_calendar_is_removed(
    api, server, vendor, service, customer
):
    day = local_day(DAY_AHEAD)
    url = server.serve("/cal.ics", one_event(day, time(14), time(15)))
    calendar = external_calendar_add(vendor=vendor, name="Work", url=url)
    server.serve("/cal.ics", status=500, body=b"down")

    assert external_calendar_refresh(calendar_id=calendar.pk, now=timezone.now() + timedelta(hours=1)) == "failed"

    assert local_slots(service, day) == expected_slots(vendor, service, time(14), time(15))
    assert book(api, customer, service, day, time(14)).status_code == 409
    assert Booking.objects.count() == 0

    external_calendar_remove(vendor=vendor, calendar_id=calendar.pk)

    assert "14:00" in local_slots(service, day)
    assert book(api, customer, service, day, time(14)).status_code == 201
