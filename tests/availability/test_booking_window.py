"""When a booking may start: the organizer's slot step, notice, horizon, buffers and daily cap, at their edges."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from marketplace.availability.services import booking_rules_update
from marketplace.bookings.models import Booking
from marketplace.bookings.selectors import schedule_for_start, service_slots
from tests.factories.bookings import request_booking

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2027, 6, 10, 9, 0, tzinfo=NEW_YORK)  # the vendor fixture is open 08:00-20:00 every day
TOMORROW = (NOW + timedelta(days=1)).date()


def _at(hour: int, minute: int = 0, day=TOMORROW) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK)


def _book(api, customer, service, starts_at: str):
    with time_machine.travel(NOW, tick=False):
        return api.as_user(customer).post(
            "bookings", {"service_id": service.pk, "starts_at": starts_at, "address": "1 Main St"}
        )


def _slots(service, day=TOMORROW, last_day=None) -> list[str]:
    with time_machine.travel(NOW, tick=False):
        found = service_slots(service=service, first_day=day, last_day=last_day or day)
    return [s.astimezone(NEW_YORK).strftime("%H:%M") for s in found.slots]


def _rules(vendor, **rules):
    booking_rules_update(vendor=vendor, **rules)
    vendor.refresh_from_db()


OFF_STEP = (
    "Bookings with this organizer start every 30 minutes from the start of their hours: choose one of the times "
    "offered."
)


@pytest.mark.parametrize(
    ("starts_at", "status", "detail"),
    [
        ("2027-06-11T10:00:00-04:00", 201, None),
        ("2027-06-11T10:30:00-04:00", 201, None),
        ("2027-06-11T10:15:00-04:00", 400, OFF_STEP),  # on the quarter hour, but not on the 30-minute step
        ("2027-06-11T10:10:00-04:00", 400, OFF_STEP),
        ("2027-06-11T10:00:30-04:00", 400, OFF_STEP),
        ("2027-06-11T10:00:00.5-04:00", 400, OFF_STEP),
        ("2027-06-10T10:30:00-04:00", 400, "This organizer needs at least 2 hours of notice."),
        ("2027-06-10T11:00:00-04:00", 201, None),  # exactly two hours ahead
        ("2027-06-10T08:00:00-04:00", 400, "That time is in the past."),
        ("2027-12-07T08:00:00-05:00", 201, None),  # exactly 180 x 24 hours ahead (EST by then)
        ("2027-12-07T08:30:00-05:00", 400, "This organizer takes bookings up to 180 days ahead."),
    ],
)
def test_start_time_rules(api, customer, service, starts_at, status, detail):
    response = _book(api, customer, service, starts_at)

    assert response.status_code == status, response.content
    if detail:
        assert response.json() == {"detail": detail, "code": "validation_failed", "field": "starts_at"}
        assert not Booking.objects.exists()


def test_the_notice_message_follows_the_setting(api, customer, service, settings):
    settings.BOOKING_MIN_NOTICE_MINUTES = 90

    response = _book(api, customer, service, "2027-06-10T10:00:00-04:00")

    assert response.json()["detail"] == "This organizer needs at least 90 minutes of notice."


def test_slots_respect_notice_and_horizon(service):
    today = _slots(service, day=NOW.date())
    with time_machine.travel(NOW, tick=False):
        horizon = service_slots(
            service=service, first_day=(NOW + timedelta(days=180)).date(), last_day=(NOW + timedelta(days=181)).date()
        )

    assert today[0] == "11:00"  # 09:00 now + 2 hours' notice
    assert today[-1] == "17:00"  # a 3-hour service must end by 20:00
    # the horizon is 180 x 24 hours: 13:00 UTC, which is 08:00 in New York once winter time is back
    assert [s.isoformat() for s in horizon.slots] == ["2027-12-07T08:00:00-05:00"]


def test_an_organizer_s_own_notice_and_horizon_replace_the_platform_s(api, customer, service):
    _rules(service.vendor, min_notice_minutes=24 * 60, horizon_days=7)

    assert _slots(service, day=TOMORROW)[0] == "09:00"  # exactly 24 hours after 09:00 today
    assert _slots(service, day=NOW.date() + timedelta(days=7)) == ["08:00", "08:30", "09:00"]  # the 7 x 24 h edge
    assert _slots(service, day=NOW.date() + timedelta(days=8)) == []
    assert _book(api, customer, service, "2027-06-11T08:30:00-04:00").json()["detail"] == (
        "This organizer needs at least 1 day of notice."
    )
    assert _book(api, customer, service, "2027-06-17T09:30:00-04:00").json()["detail"] == (
        "This organizer takes bookings up to 7 days ahead."
    )
    assert _book(api, customer, service, "2027-06-17T09:00:00-04:00").status_code == 201


def test_the_slot_step_sets_which_starts_are_offered_and_accepted(api, customer, service):
    _rules(service.vendor, slot_step_minutes=90)

    assert _slots(service) == ["08:00", "09:30", "11:00", "12:30", "14:00", "15:30", "17:00"]
    assert _book(api, customer, service, "2027-06-11T08:30:00-04:00").status_code == 400
    assert _book(api, customer, service, "2027-06-11T09:30:00-04:00").status_code == 201


def test_slots_keep_the_buffer_after_a_booking_free(customer, service):
    _rules(service.vendor, buffer_after_minutes=45)
    with time_machine.travel(NOW, tick=False):
        request_booking(customer=customer, service=service, starts_at=_at(12))

    # 12:00-15:00 is booked and 15:00-15:45 its buffer; a slot's own 45 minutes after it must be free too,
    # so a job from 08:30 (its buffer until 12:15) would reach into 12:00
    assert _slots(service) == ["08:00", "16:00", "16:30", "17:00"]


def test_slots_keep_the_buffer_before_a_job_free(customer, service):
    _rules(service.vendor, buffer_before_minutes=60)
    with time_machine.travel(NOW, tick=False):
        request_booking(customer=customer, service=service, starts_at=_at(12))

    # the booking holds 11:00-15:00; the next job needs the hour before it free: from 16:00 on;
    # 08:00 is offered though its hour of travel lies before opening time (buffers may reach outside hours)
    assert _slots(service) == ["08:00", "16:00", "16:30", "17:00"]
    booking = Booking.objects.get()
    assert (booking.busy_from, booking.busy_until) == (_at(11), _at(15))


def test_two_jobs_in_a_row_are_the_buffer_after_plus_the_buffer_before_apart(api, customer, service):
    _rules(service.vendor, buffer_before_minutes=30, buffer_after_minutes=30)
    with time_machine.travel(NOW, tick=False):
        request_booking(customer=customer, service=service, starts_at=_at(8))  # holds 07:30-11:30

    assert _slots(service)[0] == "12:00"
    assert _book(api, customer, service, "2027-06-11T11:30:00-04:00").json()["code"] == "slot_unavailable"
    assert _book(api, customer, service, "2027-06-11T12:00:00-04:00").status_code == 201


def test_back_to_back_jobs_both_book_when_ranges_only_touch(api, customer, other_customer, hourly_service):
    # half-open ranges: 10:00-12:00 and 12:00-14:00 share only the instant 12:00
    with time_machine.travel(NOW, tick=False):
        request_booking(customer=customer, service=hourly_service, starts_at=_at(10))
        request_booking(customer=other_customer, service=hourly_service, starts_at=_at(12))
        with pytest.raises(Exception, match="already booked"):
            request_booking(customer=customer, service=hourly_service, starts_at=_at(13))

    assert Booking.objects.count() == 2
    assert "14:00" in _slots(hourly_service) and "13:30" not in _slots(hourly_service)


def test_the_daily_cap_closes_a_day_once_it_has_that_many_jobs(api, customer, other_customer, service):
    _rules(service.vendor, daily_cap=2)
    with time_machine.travel(NOW, tick=False):
        request_booking(customer=customer, service=service, starts_at=_at(8))
        assert _slots(service) != []  # one job: the day is still open
        request_booking(customer=other_customer, service=service, starts_at=_at(12))

    assert _slots(service) == []  # two jobs: the cap
    assert _slots(service, day=TOMORROW + timedelta(days=1))[0] == "08:00"  # the next day is not affected
    response = _book(api, customer, service, "2027-06-11T16:00:00-04:00")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "The organizer takes at most 2 jobs a day and that day is full. Please choose another day."
    )


def test_a_cancelled_job_frees_its_place_under_the_daily_cap(customer, service):
    _rules(service.vendor, daily_cap=1)
    with time_machine.travel(NOW, tick=False):
        booking = request_booking(customer=customer, service=service, starts_at=_at(8))
        assert _slots(service) == []
        Booking.objects.filter(pk=booking.pk).update(status="cancelled")

    assert _slots(service)[0] == "08:00"


def test_every_offered_start_is_accepted_and_every_other_quarter_hour_refused(customer, service):
    """The slots and the booking check are one rule: across a busy day, offered == accepted, start by start."""
    _rules(service.vendor, buffer_before_minutes=15, buffer_after_minutes=30, slot_step_minutes=45)
    with time_machine.travel(NOW, tick=False):
        request_booking(customer=customer, service=service, starts_at=_at(11, 45))
    offered = set(_slots(service))
    accepted = set()
    for minutes in range(0, 24 * 60, 15):
        start = _at(minutes // 60, minutes % 60)
        with time_machine.travel(NOW, tick=False):
            schedule = schedule_for_start(vendor=service.vendor, starts_at=start)
            if schedule.refusal(start, timedelta(minutes=service.duration_minutes)) is None:
                accepted.add(start.strftime("%H:%M"))

    assert offered == accepted
    assert offered  # not vacuous
