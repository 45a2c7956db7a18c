"""Weekly hours are wall-clock times: 09:00 in New York is 14:00 UTC in winter and 13:00 UTC in summer.

US daylight saving time in 2027 starts on Sunday 14 March and ends on Sunday 7 November.
"""

from datetime import UTC, date, datetime, time

import pytest
import time_machine

from marketplace.availability.selectors import open_windows
from marketplace.bookings.models import Booking
from marketplace.bookings.selectors import service_slots
from tests.factories import ServiceFactory, VendorFactory, with_weekly_hours

pytestmark = pytest.mark.django_db


@pytest.fixture
def nine_to_five(category):
    vendor = with_weekly_hours(VendorFactory(time_zone="America/New_York"), start=time(9), end=time(17))
    return ServiceFactory(vendor=vendor, category=category, duration_minutes=60, base_price_minor=9000)


@pytest.mark.parametrize(
    ("day", "opens", "closes"),
    [
        (date(2027, 3, 13), datetime(2027, 3, 13, 14, 0, tzinfo=UTC), datetime(2027, 3, 13, 22, 0, tzinfo=UTC)),
        (date(2027, 3, 14), datetime(2027, 3, 14, 13, 0, tzinfo=UTC), datetime(2027, 3, 14, 21, 0, tzinfo=UTC)),
        (date(2027, 3, 15), datetime(2027, 3, 15, 13, 0, tzinfo=UTC), datetime(2027, 3, 15, 21, 0, tzinfo=UTC)),
        (date(2027, 11, 6), datetime(2027, 11, 6, 13, 0, tzinfo=UTC), datetime(2027, 11, 6, 21, 0, tzinfo=UTC)),
        (date(2027, 11, 7), datetime(2027, 11, 7, 14, 0, tzinfo=UTC), datetime(2027, 11, 7, 22, 0, tzinfo=UTC)),
        (date(2027, 11, 8), datetime(2027, 11, 8, 14, 0, tzinfo=UTC), datetime(2027, 11, 8, 22, 0, tzinfo=UTC)),
    ],
)
def test_nine_to_five_maps_to_the_right_utc_instants_around_the_changes(nine_to_five, day, opens, closes):
    windows = open_windows(vendor=nine_to_five.vendor, first_day=day, last_day=day)

    assert [(w.start, w.end) for w in windows] == [(opens, closes)]


@pytest.mark.parametrize(
    ("today", "first_day", "first_slots"),
    [
        (
            datetime(2027, 3, 10, 12, 0, tzinfo=UTC),
            date(2027, 3, 13),
            ["2027-03-13T14:00", "2027-03-14T13:00", "2027-03-15T13:00"],
        ),
        (
            datetime(2027, 11, 3, 12, 0, tzinfo=UTC),
            date(2027, 11, 6),
            ["2027-11-06T13:00", "2027-11-07T14:00", "2027-11-08T14:00"],
        ),
    ],
)
def test_each_days_first_slot_is_nine_local(nine_to_five, today, first_day, first_slots):
    with time_machine.travel(today, tick=False):
        found = service_slots(service=nine_to_five, first_day=first_day, days=3)

    firsts = {}
    for slot in found.slots:
        firsts.setdefault(slot.date(), slot)
    assert [s.astimezone(UTC).strftime("%Y-%m-%dT%H:%M") for s in firsts.values()] == first_slots
    # 09:00 to 16:00 every half hour: 15 slots a day, whatever the UTC offset
    assert len(found.slots) == 3 * 15


@pytest.mark.parametrize(
    ("starts_at", "status"),
    [
        ("2027-03-14T09:00:00-04:00", 201),  # 09:00 EDT on the day the clocks go forward
        ("2027-03-14T13:00:00Z", 201),  # the same instant in UTC
        ("2027-03-14T08:45:00-04:00", 409),  # before opening
        ("2027-03-14T14:00:00Z", 201),  # 10:00 EDT
        ("2027-03-14T16:00:00-04:00", 201),  # ends 17:00 exactly
        ("2027-03-14T16:15:00-04:00", 409),  # would end 17:15
        ("2027-03-13T13:00:00Z", 409),  # 08:00 EST the day before
        ("2027-11-07T09:00:00-05:00", 201),  # 09:00 EST on the day the clocks go back
        ("2027-11-07T13:00:00Z", 409),  # 08:00 EST
        ("2027-11-06T13:00:00Z", 201),  # 09:00 EDT the day before
    ],
)
def test_bookings_are_checked_against_local_hours_across_the_change(api, customer, nine_to_five, starts_at, status):
    with time_machine.travel(datetime.fromisoformat(starts_at).replace(day=3, hour=12), tick=False):
        response = api.as_user(customer).post(
            "bookings", {"service_id": nine_to_five.pk, "starts_at": starts_at, "address": "1 Main St"}
        )

    assert response.status_code == status, response.content
    if status == 409:
        assert response.json()["code"] == "outside_availability"
        assert not Booking.objects.exists()
    else:
        assert Booking.objects.get().starts_at == datetime.fromisoformat(starts_at)
