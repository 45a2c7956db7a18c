"""Opening hours fit the booking grid, checked on the server: what the slot engine offers, booking accepts."""

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.urls import reverse

from marketplace.availability.models import AvailabilityException, AvailabilityRule
from marketplace.bookings.selectors import service_slots
from marketplace.bookings.services import booking_request
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

MONDAY = {"weekday": 0}


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        (
            "09:07",
            "17:00",
            "start_time",
            "Monday: hours begin and end on the quarter hour (e.g. 09:00 or 09:15), not 09:07:00.",
        ),
        (
            "09:00:30",
            "17:00",
            "start_time",
            "Monday: hours begin and end on the quarter hour (e.g. 09:00 or 09:15), not 09:00:30.",
        ),
        (
            "09:00",
            "16:59",
            "end_time",
            "Monday: hours begin and end on the quarter hour (e.g. 09:00 or 09:15), not 16:59:00.",
        ),
        (
            "09:00",
            "09:01",
            "end_time",
            "Monday: hours begin and end on the quarter hour (e.g. 09:00 or 09:15), not 09:01:00.",
        ),
        ("09:00", "09:15", "end_time", "Monday: an opening must last at least 30 minutes, the shortest service."),
        ("17:00", "09:00", "end_time", "Monday: the end must be after the start."),
    ],
)
def test_weekly_hours_off_the_grid_are_refused_by_the_api(api, vendor, start, end, field, message):
    api.as_user(vendor.user)
    before = data_snapshot()

    response = api.put("vendors/availability", {"windows": [{**MONDAY, "start_time": start, "end_time": end}]})

    assert response.status_code == 400
    assert response.json() == {"detail": message, "code": "validation_failed", "field": field}
    assert changed_tables(before, data_snapshot()) == []


def test_quarter_hour_hours_are_saved(api, vendor):
    response = api.as_user(vendor.user).put(
        "vendors/availability", {"windows": [{**MONDAY, "start_time": "09:15", "end_time": "09:45"}]}
    )

    assert response.status_code == 200
    assert list(AvailabilityRule.objects.filter(vendor=vendor).values_list("start_time", "end_time")) == [
        (time(9, 15), time(9, 45))
    ]


@time_machine.travel(datetime(2027, 6, 10, 16, 0, tzinfo=UTC), tick=False)
def test_extra_hours_on_a_date_fit_the_grid_too(api, vendor):
    api.as_user(vendor.user)
    before = data_snapshot()

    response = api.post(
        "vendors/availability/exceptions",
        {"date": "2027-06-15", "start_time": "10:10", "end_time": "12:00", "is_available": True},
    )

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "15 June 2027: hours begin and end on the quarter hour (e.g. 09:00 or 09:15), not 10:10:00."
    )
    assert changed_tables(before, data_snapshot()) == []
    assert not AvailabilityException.objects.filter(vendor=vendor, date=date(2027, 6, 15)).exists()


def test_the_weekly_hours_form_shows_the_rule_next_to_the_field(client, vendor):
    before = list(AvailabilityRule.objects.filter(vendor=vendor).values_list("weekday", "start_time", "end_time"))
    client.force_login(vendor.user)

    response = client.post(reverse("storefront:vendor_hours"), {"d0_0_start": "09:07", "d0_0_end": "17:00"})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "d0_0_start": ["Monday: hours begin and end on the quarter hour (e.g. 09:00 or 09:15), not 09:07:00."]
    }
    after = list(AvailabilityRule.objects.filter(vendor=vendor).values_list("weekday", "start_time", "end_time"))
    assert after == before


def test_every_offered_slot_is_a_start_booking_accepts(customer, vendor, category):
    # an organizer whose hours begin on a quarter hour and an hourly service with a 45-minute minimum
    AvailabilityRule.objects.filter(vendor=vendor).update(start_time=time(9, 15), end_time=time(12, 45))
    service = ServiceFactory(
        vendor=vendor, category=category, pricing_model="hourly", base_price_minor=6000, duration_minutes=45
    )

    day = local_slot(days_ahead=3).date()
    found = service_slots(service=service, first_day=day, last_day=day)

    assert found.duration_minutes == 60  # the first length an hourly booking may have
    assert [slot.astimezone(local_slot().tzinfo).strftime("%H:%M") for slot in found.slots] == [
        "09:15",
        "09:45",
        "10:15",
        "10:45",
        "11:15",
        "11:45",
    ]
    for start in found.slots:  # each of them is accepted, without naming a length
        booking = booking_request(customer=customer, service_id=service.pk, starts_at=start, address="1 Main St")
        assert (booking.starts_at, booking.duration_minutes) == (start, 60)
        booking.status = "cancelled"
        booking.save(update_fields=["status"])  # free the slot for the next one
