"""When a booking may start: quarter hours, minimum notice, the horizon, and the buffer in slots."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from marketplace.bookings.models import Booking
from marketplace.bookings.selectors import service_slots
from tests.factories.bookings import request_booking

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2027, 6, 10, 9, 0, tzinfo=NEW_YORK)  # the vendor fixture is open 08:00-20:00 every day


def _book(api, customer, service, starts_at: str):
    with time_machine.travel(NOW, tick=False):
        return api.as_user(customer).post(
            "bookings", {"service_id": service.pk, "starts_at": starts_at, "address": "1 Main St"}
        )


@pytest.mark.parametrize(
    ("starts_at", "status", "detail"),
    [
        ("2027-06-11T10:15:00-04:00", 201, None),
        ("2027-06-11T10:45:00-04:00", 201, None),
        ("2027-06-11T10:10:00-04:00", 400, "Bookings start on the quarter hour (e.g. 10:00, 10:15)."),
        ("2027-06-11T10:00:30-04:00", 400, "Bookings start on the quarter hour (e.g. 10:00, 10:15)."),
        ("2027-06-11T10:00:00.5-04:00", 400, "Bookings start on the quarter hour (e.g. 10:00, 10:15)."),
        ("2027-06-10T10:45:00-04:00", 400, "Bookings need at least 2 hours' notice."),
        ("2027-06-10T11:00:00-04:00", 201, None),  # exactly two hours ahead
        ("2027-06-10T08:00:00-04:00", 400, "That time is in the past."),
        ("2027-12-07T08:00:00-05:00", 201, None),  # exactly 180 x 24 hours ahead (EST by then)
        ("2027-12-07T08:15:00-05:00", 400, "Bookings can be made up to 180 days ahead."),
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

    response = _book(api, customer, service, "2027-06-10T10:15:00-04:00")

    assert response.json()["detail"] == "Bookings need at least 90 minutes' notice."


def test_slots_respect_notice_and_horizon(service):
    with time_machine.travel(NOW, tick=False):
        today = service_slots(service=service, first_day=NOW.date(), days=1)
        horizon = service_slots(service=service, first_day=(NOW + timedelta(days=180)).date(), days=2)

    local = [s.astimezone(NEW_YORK).strftime("%H:%M") for s in today.slots]
    assert local[0] == "11:00"  # 09:00 now + 2 hours' notice
    assert local[-1] == "17:00"  # a 3-hour service must end by 20:00
    # the horizon is 180 x 24 hours: 13:00 UTC, which is 08:00 in New York once winter time is back
    assert [s.astimezone(NEW_YORK).isoformat() for s in horizon.slots] == ["2027-12-07T08:00:00-05:00"]


def test_slots_keep_the_vendors_buffer_free_after_a_booking(customer, service):
    service.vendor.buffer_minutes = 45
    service.vendor.save()
    day = (NOW + timedelta(days=1)).date()
    with time_machine.travel(NOW, tick=False):
        request_booking(customer=customer, service=service, starts_at=datetime.combine(day, time(12), tzinfo=NEW_YORK))
        found = service_slots(service=service, first_day=day, days=1)

    # 12:00-15:00 is booked and 15:00-15:45 is the buffer; a slot needs its own 45 minutes after it too
    local = [s.astimezone(NEW_YORK).strftime("%H:%M") for s in found.slots]
    assert local == ["08:00", "16:00", "16:30", "17:00"]
