"""Calendars in the storefront: the organizer's feed by its secret address and its page; the customer's .ics."""

from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from marketplace.bookings import services as bookings
from marketplace.core.audit import audit_log_for
from marketplace.vendors.services import vendor_calendar_feed_reset
from tests.conftest import local_slot
from tests.factories import ServiceFactory

from .conftest import messages_of, paid, requested

pytestmark = pytest.mark.django_db


def feed_path(token: str) -> str:
    return f"/calendar/{token}.ics"


def feed_token(vendor) -> str:
    return vendor_calendar_feed_reset(vendor_user=vendor.user).calendar_feed_token


def events_of(response) -> dict[str, dict]:
    return {str(event["uid"]): event for event in Calendar.from_ical(response.content).walk("VEVENT")}


# --- The feed -------------------------------------------------------------------------------------


def test_the_feed_needs_no_sign_in_and_is_a_private_unindexed_calendar(customer, service, vendor):
    booking = paid(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    token = feed_token(vendor)

    response = Client().get(feed_path(token))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert set(response["Cache-Control"].split(", ")) == {"private", "max-age=300"}
    assert response["ETag"].startswith('"')
    [(uid, event)] = events_of(response).items()
    assert uid == f"{booking.reference}@tidynest"
    assert str(event["status"]) == "CONFIRMED"
    assert customer.full_name.encode() not in response.content


def test_an_unchanged_feed_answers_304_and_a_change_gives_a_new_etag(customer, service, vendor):
    booking = paid(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    token = feed_token(vendor)
    first = Client().get(feed_path(token))

    again = Client().get(feed_path(token), headers={"If-None-Match": first["ETag"]})
    bookings.booking_cancel(user=customer, booking_id=booking.pk, reason="Moving")
    changed = Client().get(feed_path(token), headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 304
    assert again.content == b""
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    event = events_of(changed)[f"{booking.reference}@tidynest"]
    assert (str(event["status"]), event["sequence"]) == ("CANCELLED", 2)
    assert events_of(first)[f"{booking.reference}@tidynest"]["sequence"] == 1


def test_a_feed_shows_only_its_own_organizers_bookings(customer, service, vendor, other_vendor, category):
    mine = paid(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    elsewhere = ServiceFactory(vendor=other_vendor, category=category, title="Closet edit")
    theirs = paid(customer=customer, service=elsewhere, starts_at=local_slot(days_ahead=5))

    my_feed = Client().get(feed_path(feed_token(vendor)))
    their_feed = Client().get(feed_path(feed_token(other_vendor)))

    assert list(events_of(my_feed)) == [f"{mine.reference}@tidynest"]
    assert list(events_of(their_feed)) == [f"{theirs.reference}@tidynest"]


def test_a_reset_or_turned_off_address_is_404(vendor, browser_as):
    old = feed_token(vendor)
    browser = browser_as(vendor.user)

    browser.post(reverse("storefront:vendor_calendar_reset"))
    vendor.refresh_from_db()
    new = vendor.calendar_feed_token
    old_after_reset = Client().get(feed_path(old))
    new_after_reset = Client().get(feed_path(new))
    browser.post(reverse("storefront:vendor_calendar_turn_off"))

    assert old_after_reset.status_code == 404
    assert new_after_reset.status_code == 200
    assert Client().get(feed_path(new)).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/calendar/" + "a" * 43 + ".ics",  # well formed, nobody's
        "/calendar/" + "a" * 5000 + ".ics",
        "/calendar/%00.ics",
        "/calendar/..%2F..%2Fetc%2Fpasswd.ics",
        "/calendar/%C3%A9%E2%80%AE" + "a" * 41 + ".ics",
        "/calendar/'%20OR%201=1--.ics",
        "/calendar/.ics",
        "/calendar/" + "a" * 43 + ".ics.ics",
        "/calendar/%FF%FE.ics",
    ],
)
def test_bad_tokens_are_404_not_500(vendor, path):
    feed_token(vendor)

    assert Client().get(path).status_code == 404


def test_the_feed_only_reads(vendor):
    token = feed_token(vendor)

    assert Client().post(feed_path(token)).status_code == 405
    assert Client().head(feed_path(token)).status_code == 200


# --- The organizer's page -------------------------------------------------------------------------


def test_the_organizer_creates_their_address_and_sees_how_to_subscribe(vendor, browser_as):
    browser = browser_as(vendor.user)

    before = browser.get(reverse("storefront:vendor_calendar"))
    created = browser.post(reverse("storefront:vendor_calendar_reset"), follow=True)
    vendor.refresh_from_db()
    token = vendor.calendar_feed_token

    assert before.status_code == 200
    assert b"Create my calendar address" in before.content
    assert messages_of(created) == ["Your calendar address is ready. Add it to your calendar app."]
    page = created.content.decode()
    assert f"/calendar/{token}.ics" in page
    assert "webcal://" in page
    for app in ("Google Calendar", "Outlook", "Apple Calendar"):
        assert app in page
    assert [entry.action for entry in audit_log_for(vendor).filter(action__startswith="vendor.calendar_feed")] == [
        "vendor.calendar_feed_created"
    ]


def test_the_address_is_shown_as_https_and_webcal(vendor, browser_as, settings):
    settings.SITE_URL = "https://tidynest.example"
    token = feed_token(vendor)

    page = browser_as(vendor.user).get(reverse("storefront:vendor_calendar")).content.decode()

    assert f'value="https://tidynest.example/calendar/{token}.ics"' in page
    assert f'value="webcal://tidynest.example/calendar/{token}.ics"' in page
    assert f'href="webcal://tidynest.example/calendar/{token}.ics"' in page


def test_resetting_needs_a_post_and_an_organizer(vendor, customer, browser_as):
    token = feed_token(vendor)

    refused_get = browser_as(vendor.user).get(reverse("storefront:vendor_calendar_reset"))
    refused_customer = browser_as(customer).post(reverse("storefront:vendor_calendar_reset"))
    refused_anonymous = Client().post(reverse("storefront:vendor_calendar_reset"))
    vendor.refresh_from_db()

    assert refused_get.status_code == 405
    assert refused_customer.status_code == 403
    assert refused_anonymous.status_code == 302
    assert vendor.calendar_feed_token == token


# --- The customer's booking -----------------------------------------------------------------------


def test_the_customer_downloads_their_booking_as_an_ics(customer, service):
    booking = paid(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    browser = Client()
    browser.force_login(customer)

    response = browser.get(reverse("storefront:booking_calendar_file", args=[booking.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{booking.reference}.ics"'
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["uid"]) == f"{booking.reference}@tidynest"
    assert event.decoded("dtstart") == booking.starts_at
    assert str(event["summary"]) == "Whole-home declutter with Calm Spaces"


def test_nobody_else_gets_the_bookings_ics(customer, other_customer, service, vendor, browser_as):
    booking = paid(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    path = reverse("storefront:booking_calendar_file", args=[booking.pk])

    assert browser_as(other_customer).get(path).status_code == 404
    assert browser_as(vendor.user).get(path).status_code == 404
    assert Client().get(path).status_code == 302  # to sign in
    assert browser_as(customer).get(reverse("storefront:booking_calendar_file", args=[999999])).status_code == 404


def test_the_booking_page_offers_the_ics_and_a_google_link_escaped(customer, service, browser_as):
    address = 'Apt 3 & 4, "The <b>Oaks</b>", 12 Elm St'
    booking = bookings.booking_request(
        customer=customer, service_id=service.pk, starts_at=local_slot(days_ahead=5), address=address
    )
    bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa")

    page = browser_as(customer).get(reverse("storefront:booking_detail", args=[booking.pk])).content.decode()

    assert f'href="/account/bookings/{booking.pk}/calendar.ics"' in page
    assert "<b>Oaks</b>" not in page
    [link] = [part.split('"')[0] for part in page.split('href="')[1:] if part.startswith("https://calendar.google")]
    assert "&amp;text=" in link  # the query's & escaped in the attribute
    url = unescape(link)
    assert url.startswith("https://calendar.google.com/calendar/render?action=TEMPLATE&text=Whole-home+declutter")
    assert "&location=Apt+3+%26+4%2C+%22The+%3Cb%3EOaks%3C%2Fb%3E%22%2C+12+Elm+St" in url


def test_an_open_request_offers_no_calendar_links(customer, service, browser_as):
    booking = requested(customer=customer, service=service, starts_at=local_slot(days_ahead=5))

    page = browser_as(customer).get(reverse("storefront:booking_detail", args=[booking.pk])).content.decode()

    assert "data-calendar-links" not in page
    assert "calendar.google.com" not in page
