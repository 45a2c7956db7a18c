"""Several organizers' schedules read at once (``vendor_schedules``) are each the one read alone.

A search asks a page of organizers whether they are free on a day; it reads them in one batch.
Each organizer keeps their own time zone, buffers, exceptions, bookings and calendar busy times,
and nobody's booking or busy time leaks into another's day.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from marketplace.availability.models import AvailabilityException, BusyTime, ExternalCalendar
from marketplace.bookings.selectors import vendor_schedule, vendor_schedules
from tests.factories import CustomerFactory, ServiceFactory, VendorFactory, with_weekly_hours
from tests.factories.bookings import request_booking

pytestmark = pytest.mark.django_db
LENGTH = timedelta(minutes=60)


def _local_day(zone: str, days: int):
    return timezone.now().astimezone(ZoneInfo(zone)).date() + timedelta(days=days)


def _busy(vendor, starts_at: datetime, ends_at: datetime) -> None:
    calendar = ExternalCalendar.objects.create(
        vendor=vendor,
        name="Personal",
        url="https://calendar.example.com/secret.ics",
        url_digest=f"{vendor.pk:064d}",
        refresh_minutes=30,
        next_fetch_at=timezone.now(),
    )
    BusyTime.objects.create(calendar=calendar, vendor=vendor, starts_at=starts_at, ends_at=ends_at)


@pytest.fixture
def organizers():
    """Three organizers in three zones, each with something of their own on the same local day."""
    new_york = with_weekly_hours(VendorFactory(time_zone="America/New_York", buffer_after_minutes=30))
    los_angeles = with_weekly_hours(VendorFactory(time_zone="America/Los_Angeles"), time(9), time(13))
    london = with_weekly_hours(VendorFactory(time_zone="Europe/London", buffer_before_minutes=15))
    day = _local_day("America/New_York", 3)
    service = ServiceFactory(vendor=new_york, duration_minutes=120)
    request_booking(
        customer=CustomerFactory(),
        service=service,
        starts_at=datetime.combine(day, time(10), tzinfo=ZoneInfo("America/New_York")),
    )
    la = ZoneInfo("America/Los_Angeles")
    _busy(los_angeles, datetime.combine(day, time(10), tzinfo=la), datetime.combine(day, time(11), tzinfo=la))
    AvailabilityException.objects.create(vendor=london, date=day, start_time=time(8), end_time=time(12))
    return [new_york, los_angeles, london], day


def test_each_organizer_in_a_batch_has_the_schedule_they_have_alone(organizers):
    vendors, day = organizers
    now = timezone.now()
    together = vendor_schedules(vendors, first_day=day, last_day=day + timedelta(days=1), now=now)
    assert set(together) == {vendor.pk for vendor in vendors}
    for vendor in vendors:
        alone = vendor_schedule(vendor=vendor, first_day=day, last_day=day + timedelta(days=1), now=now)
        assert together[vendor.pk].free_starts(LENGTH) == alone.free_starts(LENGTH)
        assert together[vendor.pk].free_starts(LENGTH)  # each has time left to compare


def test_what_each_has_shapes_their_own_day_only(organizers):
    (new_york, los_angeles, london), day = organizers
    schedules = vendor_schedules([new_york, los_angeles, london], first_day=day, last_day=day)

    def hours(vendor):
        zone = ZoneInfo(vendor.time_zone)
        return {start.astimezone(zone).time() for start in schedules[vendor.pk].free_starts(LENGTH)}

    # New York's 10:00-12:00 job and its 30 minutes after hold 09:30 (an hour ending at 10:30 would
    # overlap it) to 12:30; Los Angeles's calendar holds 10:00-11:00; London closed 08:00-12:00.
    assert time(10) not in hours(new_york) and time(11) not in hours(new_york) and time(13) in hours(new_york)
    assert time(10) not in hours(los_angeles) and time(9) in hours(los_angeles) and time(11) in hours(los_angeles)
    assert time(13) in hours(london)
    assert not any(time(8) <= at < time(12) for at in hours(london))


def test_a_day_past_an_organizers_horizon_has_no_time_and_reads_nothing(organizers, django_assert_num_queries):
    vendors, _ = organizers
    far = _local_day("America/New_York", 400)
    with django_assert_num_queries(0):
        schedules = vendor_schedules(vendors, first_day=far, last_day=far)
    assert all(schedule.free_starts(LENGTH) == [] for schedule in schedules.values())


def test_a_batch_reads_the_same_four_queries_however_many_organizers(organizers, django_assert_num_queries):
    vendors, day = organizers
    more = [with_weekly_hours(VendorFactory()) for _ in range(5)]
    with django_assert_num_queries(4):  # hours, exceptions, bookings, calendar busy times
        vendor_schedules(vendors + more, first_day=day, last_day=day)
