"""Dated exceptions to the weekly hours: a closed day, a blocked window, extra hours."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from marketplace.availability.models import AvailabilityException
from marketplace.availability.selectors import exception_list_upcoming, open_windows
from marketplace.availability.services import availability_exception_add
from tests.factories import ServiceFactory, VendorFactory, with_weekly_hours
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
TUESDAY = date(2027, 6, 15)
TODAY = datetime(2027, 6, 10, 12, 0, tzinfo=NEW_YORK)


@pytest.fixture
def organizer(category):
    vendor = VendorFactory()
    with_weekly_hours(vendor, start=time(9), end=time(17))
    vendor.availability_rules.filter(weekday=6).delete()  # closed on Sundays
    return vendor


@pytest.fixture
def two_hour_service(organizer, category):
    return ServiceFactory(vendor=organizer, category=category, duration_minutes=120, base_price_minor=15000)


def _local_windows(vendor, day):
    return [
        (w.start.astimezone(NEW_YORK).strftime("%H:%M"), w.end.astimezone(NEW_YORK).strftime("%H:%M"))
        for w in open_windows(vendor=vendor, first_day=day, last_day=day)
    ]


def _book(api, customer, service, day, at):
    starts_at = datetime.combine(day, at, tzinfo=NEW_YORK)
    with time_machine.travel(TODAY, tick=False):
        return api.as_user(customer).post(
            "bookings", {"service_id": service.pk, "starts_at": starts_at.isoformat(), "address": "1 Main St"}
        )


def test_a_closed_day_has_no_hours_and_takes_no_bookings(api, customer, organizer, two_hour_service):
    AvailabilityException.objects.create(vendor=organizer, date=TUESDAY, note="Holiday")

    assert _local_windows(organizer, TUESDAY) == []
    response = _book(api, customer, two_hour_service, TUESDAY, time(10))
    assert response.status_code == 409
    assert response.json() == {"detail": "The organizer is not available at that time.", "code": "outside_availability"}


def test_a_blocked_window_splits_the_day(api, customer, organizer, two_hour_service):
    AvailabilityException.objects.create(vendor=organizer, date=TUESDAY, start_time=time(12), end_time=time(14))

    assert _local_windows(organizer, TUESDAY) == [("09:00", "12:00"), ("14:00", "17:00")]
    assert _book(api, customer, two_hour_service, TUESDAY, time(11)).status_code == 409  # 11-13 crosses the block
    assert _book(api, customer, two_hour_service, TUESDAY, time(10)).status_code == 201  # 10-12 fits
    assert _book(api, customer, two_hour_service, TUESDAY, time(14)).status_code == 201  # 14-16 fits


def test_extra_hours_open_a_closed_weekday(api, customer, organizer, two_hour_service):
    sunday = date(2027, 6, 13)
    assert _local_windows(organizer, sunday) == []
    AvailabilityException.objects.create(
        vendor=organizer, date=sunday, start_time=time(10), end_time=time(13), is_available=True
    )

    assert _local_windows(organizer, sunday) == [("10:00", "13:00")]
    assert _book(api, customer, two_hour_service, sunday, time(11)).status_code == 201
    assert _book(api, customer, two_hour_service, date(2027, 6, 20), time(11)).status_code == 409  # next Sunday


def test_extra_hours_that_extend_a_day_merge_into_one_window(api, customer, organizer, two_hour_service):
    AvailabilityException.objects.create(
        vendor=organizer, date=TUESDAY, start_time=time(17), end_time=time(19), is_available=True
    )

    assert _local_windows(organizer, TUESDAY) == [("09:00", "19:00")]
    assert _book(api, customer, two_hour_service, TUESDAY, time(16)).status_code == 201  # 16-18 spans both


def test_a_whole_day_closure_wins_over_extra_hours(organizer):
    AvailabilityException.objects.create(vendor=organizer, date=TUESDAY)
    AvailabilityException.objects.create(
        vendor=organizer, date=TUESDAY, start_time=time(18), end_time=time(20), is_available=True
    )

    assert _local_windows(organizer, TUESDAY) == []


@time_machine.travel(TODAY, tick=False)
def test_a_vendor_adds_and_removes_exceptions_through_the_api(api, organizer):
    api.as_user(organizer.user)

    added = api.post("vendors/availability/exceptions", {"date": "2027-06-15", "note": "Holiday"})
    assert added.status_code == 201, added.content
    assert _local_windows(organizer, TUESDAY) == []

    removed = api.delete(f"vendors/availability/exceptions/{added.json()['id']}")
    assert removed.status_code == 204
    assert _local_windows(organizer, TUESDAY) == [("09:00", "17:00")]


def test_a_vendor_cannot_remove_another_vendors_exception(api, organizer, other_vendor):
    exception = AvailabilityException.objects.create(vendor=organizer, date=TUESDAY)

    response = api.as_user(other_vendor.user).delete(f"vendors/availability/exceptions/{exception.pk}")

    assert response.status_code == 404
    assert AvailabilityException.objects.filter(pk=exception.pk).exists()


def test_the_upcoming_exceptions_start_at_the_vendors_own_date(vendor):
    vendor.time_zone = "Pacific/Honolulu"
    vendor.save()
    availability_exception_add(vendor=vendor, on_date=date(2027, 3, 1), note="Closed")
    # 02:00 UTC on 2 March is still 1 March, 16:00 in Honolulu
    with time_machine.travel(datetime(2027, 3, 2, 2, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        assert [e.note for e in exception_list_upcoming(vendor=vendor)] == ["Closed"]
    with time_machine.travel(datetime(2027, 3, 2, 11, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        assert exception_list_upcoming(vendor=vendor) == []


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    "day",
    ["0001-01-01", "9999-12-31", "2027-06-09", "2027-12-08"],
    ids=["year 1", "year 9999", "yesterday", "a day past the horizon"],
)
def test_an_exception_before_today_or_past_the_booking_horizon_is_refused(api, organizer, day):
    api.as_user(organizer.user)
    before = data_snapshot()

    response = api.post("vendors/availability/exceptions", {"date": day, "note": "Away"})

    assert response.status_code == 400, response.content
    assert response.json() == {
        "detail": "Choose a date from 10 June 2027 to 7 December 2027: earlier days are past and "
        "bookings open only 180 days ahead.",
        "code": "validation_failed",
        "field": "date",
    }
    assert changed_tables(before, data_snapshot()) == []


@time_machine.travel(TODAY, tick=False)
def test_today_and_the_last_day_of_the_horizon_take_an_exception(organizer):
    availability_exception_add(vendor=organizer, on_date=date(2027, 6, 10), note="Today")
    availability_exception_add(vendor=organizer, on_date=date(2027, 12, 7), note="Last day")

    assert sorted(AvailabilityException.objects.values_list("note", flat=True)) == ["Last day", "Today"]


def test_the_organizers_own_today_counts(organizer):
    organizer.time_zone = "Pacific/Honolulu"
    organizer.save()
    # 02:00 UTC on 2 March is still 1 March in Honolulu: 1 March is today there, not yesterday
    with time_machine.travel(datetime(2027, 3, 2, 2, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        availability_exception_add(vendor=organizer, on_date=date(2027, 3, 1), note="Closed")
    assert AvailabilityException.objects.get().note == "Closed"
