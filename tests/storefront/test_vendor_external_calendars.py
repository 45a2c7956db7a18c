"""The organizer area's Calendars page: add by the secret address (shown back masked), each calendar's status
with the reason of a failed read and the last good read, refresh now, remove; what was typed is escaped."""

from datetime import time

import pytest
from django.urls import reverse

from marketplace.availability.models import BusyTime, ExternalCalendar
from tests.factories.calendars import calendar_server, local_day, one_event
from tests.snapshots import changed_tables, data_snapshot

from .conftest import messages_of

pytestmark = pytest.mark.django_db

URL = "/vendor/external-calendars/"
SECRET = "/private-0a1b2c3d4e5f/basic.ics"


@pytest.fixture
def server(settings):
    settings.CALENDAR_FETCH_ALLOW_PRIVATE = True
    with calendar_server() as running:
        yield running


def test_the_nav_links_to_the_calendars_page(browser_as, vendor):
    html = browser_as(vendor.user).get(reverse("storefront:vendor_dashboard")).content.decode()

    assert f'href="{URL}"' in html


def test_an_organizer_adds_a_calendar_sees_its_status_refreshes_and_removes_it(browser_as, server, vendor):
    browser = browser_as(vendor.user)
    url = server.serve(SECRET, one_event(local_day(3), time(14), time(15)))

    response = browser.post(URL, {"name": "Work <script>alert(1)</script>", "url": url}, follow=True)

    assert response.status_code == 200
    calendar = ExternalCalendar.objects.get()
    html = response.content.decode()
    assert messages_of(response) == ["Work <script>alert(1)</script> is added: its busy times now block your slots."]
    assert "<script>alert(1)</script>" not in html
    assert "Work &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "private-0a1b2c3d4e5f" not in html
    assert "http://127.0.0.1/…" in html
    assert f'data-calendar="{calendar.pk}" data-state="ok"' in html

    server.serve(SECRET, status=500, body=b"down")
    response = browser.post(reverse("storefront:vendor_external_calendar_refresh", args=[calendar.pk]), follow=True)
    html = response.content.decode()
    assert f'data-calendar="{calendar.pk}" data-state="error"' in html
    assert "The calendar&#x27;s server had an error (HTTP 500); it is read again later." in html
    assert "Last good read: " in html
    assert BusyTime.objects.count() == 1

    response = browser.post(reverse("storefront:vendor_external_calendar_remove", args=[calendar.pk]), follow=True)
    assert messages_of(response) == ["The calendar is removed: its busy times no longer block your slots."]
    assert not ExternalCalendar.objects.exists()


def test_an_address_that_is_not_http_is_shown_on_the_form_and_writes_nothing(browser_as, vendor):
    browser = browser_as(vendor.user)
    before = data_snapshot()

    response = browser.post(URL, {"name": "Work", "url": "ftp://example.com/cal.ics"})

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "url": [
            "The calendar's address must start with https:// (or http://): copy the secret iCal address from "
            "your calendar's sharing settings."
        ]
    }
    assert changed_tables(before, data_snapshot()) == []


def test_another_organizer_cannot_remove_or_refresh_a_calendar(browser_as, server, vendor, other_vendor):
    browser_as(vendor.user).post(
        URL, {"name": "Work", "url": server.serve("/cal.ics", one_event(local_day(3), time(9), time(10)))}
    )
    calendar = ExternalCalendar.objects.get()

    stranger = browser_as(other_vendor.user)
    assert stranger.post(reverse("storefront:vendor_external_calendar_remove", args=[calendar.pk])).status_code == 404
    assert stranger.post(reverse("storefront:vendor_external_calendar_refresh", args=[calendar.pk])).status_code == 404
    assert ExternalCalendar.objects.count() == 1
