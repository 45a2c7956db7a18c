"""Bookings as calendar events: the organizer's feed, the customer's .ics and Google link, SEQUENCE."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from icalendar import Calendar

from marketplace.bookings import services as bookings
from marketplace.bookings.calendar import (
    booking_ics,
    calendar_feed_bookings,
    calendar_fields_changed,
    google_calendar_link,
    vendor_calendar_feed,
)
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2027, 6, 10, 9, 0, tzinfo=NEW_YORK)
SITE = "https://tidynest.example"


def book(customer, service, starts_at, *, pay=True, at=NOW, address="12 Elm St, Brooklyn"):
    with time_machine.travel(at, tick=False):
        booking = bookings.booking_request(
            customer=customer, service_id=service.pk, starts_at=starts_at, address=address
        )
        if pay:
            bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa")
    booking.refresh_from_db()
    return booking


def feed_events(vendor, now=NOW) -> dict[str, dict]:
    calendar = Calendar.from_ical(vendor_calendar_feed(vendor=vendor, site_url=SITE, now=now))
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_is_a_named_calendar_that_asks_to_be_refreshed_hourly(vendor):
    calendar = Calendar.from_ical(vendor_calendar_feed(vendor=vendor, site_url=SITE, now=NOW))

    assert str(calendar["prodid"]) == "-//Tidy Nest//Bookings//EN"
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["x-wr-calname"]) == "Tidy Nest bookings: Calm Spaces"
    assert calendar["refresh-interval"].dt == timedelta(hours=1)
    assert calendar["refresh-interval"].params["VALUE"] == "DURATION"
    assert str(calendar["x-published-ttl"]) == "PT1H"
    raw = vendor_calendar_feed(vendor=vendor, site_url=SITE, now=NOW).decode()
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in raw
    assert "X-PUBLISHED-TTL:PT1H\r\n" in raw
    assert calendar.walk("VEVENT") == []


def test_a_confirmed_booking_is_one_event_in_utc_without_the_customer(customer, service, vendor):
    booking = book(customer, service, datetime(2027, 6, 14, 10, 0, tzinfo=NEW_YORK))

    [(uid, event)] = feed_events(vendor).items()

    assert uid == f"{booking.reference}@tidynest"
    assert event.decoded("dtstart") == datetime(2027, 6, 14, 14, 0, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2027, 6, 14, 17, 0, tzinfo=UTC)
    assert str(event["status"]) == "CONFIRMED"
    assert event["sequence"] == 1  # requested (0), then confirmed by the payment
    assert str(event["summary"]) == f"Whole-home declutter ({booking.reference})"
    assert str(event["location"]) == "12 Elm St, Brooklyn"
    assert str(event["description"]) == f"Booking {booking.reference}. Details: {SITE}/vendor/bookings/{booking.pk}/"
    assert event.decoded("dtstamp") == booking.updated_at
    raw = vendor_calendar_feed(vendor=vendor, site_url=SITE, now=NOW).decode()
    assert customer.full_name not in raw
    assert customer.email not in raw


def test_a_cancellation_stays_in_the_feed_with_the_same_uid_and_a_higher_sequence(customer, service, vendor):
    booking = book(customer, service, datetime(2027, 6, 14, 10, 0, tzinfo=NEW_YORK))
    before = feed_events(vendor)[f"{booking.reference}@tidynest"]

    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        bookings.booking_cancel(user=customer, booking_id=booking.pk, reason="Moving")
    after = feed_events(vendor)[f"{booking.reference}@tidynest"]

    assert (before["sequence"], str(before["status"])) == (1, "CONFIRMED")
    assert (after["sequence"], str(after["status"])) == (2, "CANCELLED")
    assert str(after["transp"]) == "TRANSPARENT"
    assert after.decoded("dtstamp") > before.decoded("dtstamp")
    assert after.decoded("dtstart") == before.decoded("dtstart")


def test_changes_no_calendar_shows_leave_the_sequence_alone(customer, quote_service):
    booking = book(customer, quote_service, datetime(2027, 6, 14, 9, 0, tzinfo=NEW_YORK), pay=False)

    with time_machine.travel(NOW, tick=False):
        bookings.booking_quote(vendor_user=quote_service.vendor.user, booking_id=booking.pk, price_minor=45000)
    booking.refresh_from_db()

    assert booking.calendar_sequence == 0


def test_open_requests_and_old_or_other_organizers_bookings_are_not_in_the_feed(
    customer, service, vendor, other_vendor, category
):
    confirmed = book(customer, service, datetime(2027, 6, 14, 10, 0, tzinfo=NEW_YORK))
    book(customer, service, datetime(2027, 6, 15, 10, 0, tzinfo=NEW_YORK), pay=False)  # an unpaid request
    long_ago = book(
        customer, service, datetime(2027, 2, 1, 10, 0, tzinfo=NEW_YORK), at=datetime(2027, 1, 25, tzinfo=NEW_YORK)
    )
    recent = book(
        customer, service, datetime(2027, 4, 1, 10, 0, tzinfo=NEW_YORK), at=datetime(2027, 3, 25, tzinfo=NEW_YORK)
    )
    elsewhere = ServiceFactory(vendor=other_vendor, category=category, title="Closet edit")
    theirs = book(customer, elsewhere, datetime(2027, 6, 16, 10, 0, tzinfo=NEW_YORK))

    assert list(feed_events(vendor)) == [f"{recent.reference}@tidynest", f"{confirmed.reference}@tidynest"]
    assert list(calendar_feed_bookings(vendor=other_vendor, now=NOW)) == [theirs]
    assert long_ago.ends_at < NOW - timedelta(days=90)


def test_times_are_right_in_utc_on_both_sides_of_the_autumn_clock_change(customer, service, vendor):
    # New York leaves daylight saving time on Sunday 1 November 2026, 02:00 (UTC-4 -> UTC-5).
    booked_on = datetime(2026, 10, 20, 9, 0, tzinfo=NEW_YORK)
    before = book(customer, service, datetime(2026, 10, 31, 10, 0, tzinfo=NEW_YORK), at=booked_on)
    after = book(customer, service, datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK), at=booked_on)

    raw = vendor_calendar_feed(vendor=vendor, site_url=SITE, now=booked_on).decode()
    events = feed_events(vendor, now=booked_on)

    assert events[f"{before.reference}@tidynest"].decoded("dtstart") == datetime(2026, 10, 31, 14, 0, tzinfo=UTC)
    assert events[f"{after.reference}@tidynest"].decoded("dtstart") == datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    assert "DTSTART:20261031T140000Z" in raw
    assert "DTEND:20261031T170000Z" in raw
    assert "DTSTART:20261102T150000Z" in raw
    assert "VTIMEZONE" not in raw


def test_the_customers_ics_is_the_same_event_in_their_words(customer, service):
    booking = book(customer, service, datetime(2027, 6, 14, 10, 0, tzinfo=NEW_YORK))

    [event] = Calendar.from_ical(booking_ics(booking, site_url=SITE)).walk("VEVENT")

    assert str(event["uid"]) == f"{booking.reference}@tidynest"
    assert event["sequence"] == 1
    assert str(event["summary"]) == "Whole-home declutter with Calm Spaces"
    assert str(event["description"]) == f"Booking {booking.reference}. Details: {SITE}/account/bookings/{booking.pk}/"
    assert str(event["status"]) == "CONFIRMED"


def test_the_google_calendar_link_encodes_every_part(customer, service):
    address = '5 Rue & Co, Apt #3/4, Zoë\'s "place" 100%'
    booking = book(
        customer,
        service,
        datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK),
        address=address,
        at=datetime(2026, 10, 20, 9, 0, tzinfo=NEW_YORK),
    )

    link = google_calendar_link(booking, site_url=SITE)
    parts = urlsplit(link)
    query = parse_qs(parts.query, strict_parsing=True)

    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://calendar.google.com/calendar/render"
    assert query == {
        "action": ["TEMPLATE"],
        "text": ["Whole-home declutter with Calm Spaces"],
        "dates": ["20261102T150000Z/20261102T180000Z"],
        "details": [f"Booking {booking.reference}. Details: {SITE}/account/bookings/{booking.pk}/"],
        "location": [address],
    }
    assert "&location=5+Rue+%26+Co%2C+Apt+%233%2F4%2C+Zo%C3%AB%27s+%22place%22+100%25" in link
    assert " " not in link


@pytest.mark.parametrize(
    ("fields", "raised"),
    [
        (["starts_at", "ends_at", "busy_until"], True),
        (["address"], True),
        (["status", "closed_at"], True),
        (["vendor_note"], False),
        (["paid_at"], False),
        (["price_minor", "quoted_at"], False),
    ],
)
def test_only_a_change_a_calendar_shows_raises_the_sequence(customer, service, fields, raised):
    booking = book(customer, service, datetime(2027, 6, 14, 10, 0, tzinfo=NEW_YORK))
    sequence = booking.calendar_sequence

    to_save = calendar_fields_changed(booking, fields)

    assert booking.calendar_sequence == sequence + raised
    assert to_save == ([*fields, "calendar_sequence"] if raised else fields)
