"""The organizer's external calendars through the API: add (read at once), list (paged, address masked),
refresh now, remove; a bad address is a 400 that says why and writes nothing."""

from datetime import time

import pytest

from marketplace.availability.models import BusyTime, ExternalCalendar
from tests.factories.calendars import calendar_server, local_day, one_event
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

PATH = "vendors/me/calendars"
SECRET = "/calendar/ical/me%40example.com/private-0a1b2c3d4e5f/basic.ics"


@pytest.fixture
def server(settings):
    settings.CALENDAR_FETCH_ALLOW_PRIVATE = True
    with calendar_server() as running:
        yield running


def test_an_organizer_adds_lists_refreshes_and_removes_a_calendar(api, server, vendor):
    url = server.serve(SECRET, one_event(local_day(3), time(14), time(15)))

    response = api.as_user(vendor.user).post(PATH, {"name": "Work <b>", "url": url})

    assert response.status_code == 201, response.content
    body = response.json()
    calendar = ExternalCalendar.objects.get()
    assert body["id"] == calendar.pk
    assert body["name"] == "Work <b>"
    assert body["address"] == "http://127.0.0.1/…"
    assert body["status"] == "ok"
    assert body["last_error"] == ""
    assert body["last_good_at"] is not None
    assert "private-0a1b2c3d4e5f" not in response.content.decode()
    assert BusyTime.objects.filter(calendar=calendar).count() == 1

    listed = api.as_user(vendor.user).get(PATH)
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["results"]] == [calendar.pk]
    assert "private-0a1b2c3d4e5f" not in listed.content.decode()

    server.serve(SECRET, status=500, body=b"down")
    refreshed = api.as_user(vendor.user).post(f"{PATH}/{calendar.pk}/refresh")
    assert refreshed.status_code == 202
    assert refreshed.json()["status"] == "error"
    assert refreshed.json()["last_error"] == "The calendar's server had an error (HTTP 500); it is read again later."
    assert BusyTime.objects.filter(calendar=calendar).count() == 1  # the last good read keeps blocking

    removed = api.as_user(vendor.user).delete(f"{PATH}/{calendar.pk}")
    assert removed.status_code == 204
    assert not ExternalCalendar.objects.exists()
    assert not BusyTime.objects.exists()


@pytest.mark.parametrize(
    ("url", "code", "detail"),
    [
        (
            "ftp://calendar.example.com/cal.ics",
            "calendar_address_refused",
            "The calendar's address must start with https:// (or http://): copy the secret iCal address from your "
            "calendar's sharing settings.",
        ),
        (
            "file:///etc/passwd",
            "calendar_address_refused",
            "The calendar's address must start with https:// (or http://): copy the secret iCal address from your "
            "calendar's sharing settings.",
        ),
        (
            "http://169.254.169.254/latest/meta-data/",
            "calendar_address_refused",
            "The calendar's address points at a private, loopback or link-local network (169.254.169.254); only "
            "calendars on the public internet can be added.",
        ),
        ("", "validation_failed", "Paste the calendar's secret iCal address."),
    ],
)
def test_a_bad_address_is_a_400_that_says_why_and_writes_nothing(api, vendor, url, code, detail):
    before = data_snapshot()

    response = api.as_user(vendor.user).post(PATH, {"name": "Work", "url": url})

    assert response.status_code == 400
    assert response.json() == {"detail": detail, "code": code, "field": "url"}
    assert changed_tables(before, data_snapshot()) == []


def test_another_organizer_s_calendar_is_not_found(api, server, vendor, other_vendor):
    url = server.serve("/cal.ics", one_event(local_day(3), time(14), time(15)))
    calendar_id = api.as_user(vendor.user).post(PATH, {"name": "Work", "url": url}).json()["id"]

    assert api.as_user(other_vendor.user).delete(f"{PATH}/{calendar_id}").json()["code"] == "calendar_not_found"
    assert api.as_user(other_vendor.user).post(f"{PATH}/{calendar_id}/refresh").status_code == 404
    assert api.as_user(other_vendor.user).get(PATH).json()["count"] == 0
    assert ExternalCalendar.objects.count() == 1


def test_a_customer_has_no_calendars(api, customer):
    response = api.as_user(customer).get(PATH)

    assert response.status_code == 404
    assert response.json()["code"] == "no_vendor_profile"
