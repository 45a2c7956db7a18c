"""Weekly hours are wall-clock times: 09:00 in New York is 14:00 UTC in winter and 13:00 UTC in summer.

US daylight saving time in 2027 starts on Sunday 14 March and ends on Sunday 7 November.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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
        found = service_slots(service=nine_to_five, first_day=first_day, last_day=first_day + timedelta(days=2))

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


@pytest.fixture
def night_owl(category):
    """Open 00:00-04:00 every night: the hours the clocks jump through (02:00 in New York)."""
    vendor = with_weekly_hours(VendorFactory(time_zone="America/New_York"), start=time(0), end=time(4))
    return ServiceFactory(vendor=vendor, category=category, duration_minutes=60, base_price_minor=9000)


def _night_slots(service, day: date, *, tz: str | None = None) -> list[str]:
    with time_machine.travel(
        datetime(2027, 3, 1, 12, tzinfo=UTC) if day.month == 3 else datetime(2027, 11, 1, 12, tzinfo=UTC), tick=False
    ):
        found = service_slots(service=service, first_day=day, last_day=day, time_zone=tz)
    return [slot.isoformat() for slot in found.slots]


def test_on_the_spring_forward_night_the_missing_hour_offers_nothing(night_owl):
    # 00:00-04:00 local holds only three real hours: 02:00-03:00 does not exist that night
    assert _night_slots(night_owl, date(2027, 3, 14)) == [
        "2027-03-14T00:00:00-05:00",
        "2027-03-14T00:30:00-05:00",
        "2027-03-14T01:00:00-05:00",
        "2027-03-14T01:30:00-05:00",  # 01:30 EST + 1 hour = 03:30 EDT
        "2027-03-14T03:00:00-04:00",  # 03:00 EDT, the next half hour of real time
    ]


def test_on_the_fall_back_night_the_repeated_hour_is_offered_twice(night_owl):
    # 00:00-04:00 local holds five real hours: 01:00-02:00 happens once in EDT and again in EST
    assert _night_slots(night_owl, date(2027, 11, 7)) == [
        "2027-11-07T00:00:00-04:00",
        "2027-11-07T00:30:00-04:00",
        "2027-11-07T01:00:00-04:00",
        "2027-11-07T01:30:00-04:00",
        "2027-11-07T01:00:00-05:00",
        "2027-11-07T01:30:00-05:00",
        "2027-11-07T02:00:00-05:00",
        "2027-11-07T02:30:00-05:00",
        "2027-11-07T03:00:00-05:00",
    ]


def test_both_1_30s_of_the_fall_back_night_can_be_booked(api, customer, other_customer, night_owl):
    with time_machine.travel(datetime(2027, 11, 1, 12, tzinfo=UTC), tick=False):
        for who, start in ((customer, "2027-11-07T01:30:00-04:00"), (other_customer, "2027-11-07T01:30:00-05:00")):
            response = api.as_user(who).post(
                "bookings", {"service_id": night_owl.pk, "starts_at": start, "address": "1 Main St"}
            )
            assert response.status_code == 201, response.content

    assert Booking.objects.count() == 2


def test_a_customer_in_another_zone_sees_the_same_instants_on_their_own_days(nine_to_five):
    day = date(2027, 3, 14)
    with time_machine.travel(datetime(2027, 3, 10, 12, tzinfo=UTC), tick=False):
        organizer = service_slots(service=nine_to_five, first_day=day, last_day=day)
        paris = service_slots(service=nine_to_five, first_day=day, last_day=day, time_zone="Europe/Paris")

    assert paris.time_zone == "Europe/Paris" and paris.organizer_time_zone == "America/New_York"
    # 09:00 EDT is 14:00 in Paris (still on winter time until 28 March): the offsets differ by 5 hours that week
    assert paris.slots[0].isoformat() == "2027-03-14T14:00:00+01:00"
    # Paris's 14 March ends at 19:00 New York time: anything later would be on Paris's 15 March
    assert [s.astimezone(ZoneInfo("America/New_York")) for s in paris.slots] == [
        s for s in organizer.slots if s.astimezone(ZoneInfo("Europe/Paris")).date() == day
    ]
    assert len(paris.slots) == len(organizer.slots)  # 09:00-16:00 EDT is all within Paris's 14 March
