"""The organizer area's Booking rules and Days off pages: each rule with its default, blank for the default,
the domain's refusal on its field; days off, vacations and extra hours added and removed; nothing changed by
a refusal, what was typed escaped, customers and visitors kept out."""

import re
from datetime import time, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.availability.limits import exception_dates
from marketplace.availability.models import AvailabilityException
from marketplace.availability.services import availability_exception_add
from marketplace.core.models import AuditLogEntry
from marketplace.vendors.models import Vendor
from tests.snapshots import changed_tables, data_snapshot

from .conftest import messages_of

pytestmark = pytest.mark.django_db

RULES_URL = "/vendor/booking-rules/"
DAYS_OFF_URL = "/vendor/days-off/"
EXTRA_HOURS_URL = "/vendor/days-off/extra-hours/"
BLANK_RULES = {
    "min_notice_minutes": "",
    "horizon_days": "",
    "slot_step_minutes": "",
    "daily_cap": "",
    "buffer_before_minutes": "",
    "buffer_after_minutes": "",
}


@pytest.fixture(autouse=True)
def defaults(settings):
    settings.BOOKING_MIN_NOTICE_MINUTES = 120
    settings.BOOKING_HORIZON_DAYS = 180
    settings.BOOKING_SLOT_STEP_MINUTES = 30
    settings.BOOKING_DAILY_CAP = 0


def rules_of(vendor) -> tuple:
    vendor.refresh_from_db()
    return (
        vendor.min_notice_minutes,
        vendor.horizon_days,
        vendor.slot_step_minutes,
        vendor.daily_cap,
        vendor.buffer_before_minutes,
        vendor.buffer_after_minutes,
    )


def ahead(vendor, days: int):
    """The organizer's own date ``days`` after their today."""
    return exception_dates(vendor)[0] + timedelta(days=days)


# --- Booking rules -----------------------------------------------------------------------------


def test_the_nav_links_to_both_pages(browser_as, vendor):
    html = browser_as(vendor.user).get(reverse("storefront:vendor_dashboard")).content.decode()

    assert f'href="{RULES_URL}"' in html
    assert f'href="{DAYS_OFF_URL}"' in html


def test_the_form_shows_each_rule_with_its_platform_default(browser_as, vendor):
    response = browser_as(vendor.user).get(RULES_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Leave blank for the platform default: 2 hours." in html
    assert "Leave blank for the platform default: 180 days." in html
    assert "Leave blank for the platform default: no limit." in html
    assert "Leave blank for the platform default: none." in html
    assert 'placeholder="120"' in html
    assert '<option value="" selected>Platform default (30 minutes)</option>' in html
    assert (
        '<tr data-rule="horizon_days"> <td>Bookable ahead (days)</td> <td><span class="muted">the default</span></td> '
        "<td>180 days</td> <td><strong>180 days</strong></td> </tr>"
    ) in " ".join(html.split())
    select = re.search(r'<select name="slot_step_minutes"[^>]*>', html).group()
    assert "placeholder" not in select  # a list: its first choice names the default


def test_an_organizer_saves_their_rules(browser_as, vendor):
    form = BLANK_RULES | {
        "min_notice_minutes": "1440",
        "horizon_days": "60",
        "slot_step_minutes": "60",
        "daily_cap": "2",
        "buffer_before_minutes": "15",
        "buffer_after_minutes": "30",
    }

    response = browser_as(vendor.user).post(RULES_URL, form, follow=True)

    assert messages_of(response) == ["Booking rules saved. New bookings follow them; booked jobs keep their times."]
    assert rules_of(vendor) == (1440, 60, 60, 2, 15, 30)
    assert AuditLogEntry.objects.filter(action="availability.booking_rules_changed", actor=vendor.user).count() == 1
    html = response.content.decode()
    assert 'name="horizon_days" value="60"' in html
    assert '<option value="60" selected>1 hour</option>' in html
    table = " ".join(html.split())
    assert (
        '<tr data-rule="daily_cap"> <td>Most jobs a day</td> <td>2 jobs</td> <td>no limit</td> '
        "<td><strong>2 jobs</strong></td> </tr>"
    ) in table
    assert (
        '<tr data-rule="min_notice_minutes"> <td>Minimum notice (minutes)</td> <td>1 day</td> <td>2 hours</td> '
        "<td><strong>1 day</strong></td> </tr>"
    ) in table


def test_blank_fields_go_back_to_the_platform_defaults(browser_as, vendor):
    Vendor.objects.filter(pk=vendor.pk).update(
        min_notice_minutes=60, horizon_days=30, slot_step_minutes=15, daily_cap=5, buffer_after_minutes=20
    )

    response = browser_as(vendor.user).post(RULES_URL, BLANK_RULES, follow=True)

    assert response.status_code == 200
    assert rules_of(vendor) == (None, None, None, None, 0, 0)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"buffer_before_minutes": "-5"},
            "buffer_before_minutes",
            "The buffer before a job (minutes) must be a whole number from 0 to 240, in steps of 5.",
        ),
        (
            {"buffer_after_minutes": "12"},
            "buffer_after_minutes",
            "The buffer after a job (minutes) must be a whole number from 0 to 240, in steps of 5.",
        ),
        (
            {"slot_step_minutes": "20"},
            "slot_step_minutes",
            "Select a valid choice. 20 is not one of the available choices.",
        ),
        (
            {"min_notice_minutes": "4320", "horizon_days": "3"},
            "min_notice_minutes",
            "The minimum notice (3 days) must be shorter than how far ahead customers may book (3 days).",
        ),
        (
            {"daily_cap": "21"},
            "daily_cap",
            "The most jobs a day (0 for no limit) must be a whole number from 0 to 20.",
        ),
        ({"horizon_days": "soon"}, "horizon_days", "Enter a whole number."),
        ({"daily_cap": "1.5"}, "daily_cap", "Enter a whole number."),
    ],
)
def test_a_bad_rule_is_shown_on_its_field_and_changes_nothing(browser_as, vendor, changes, field, message):
    browser = browser_as(vendor.user)
    before = data_snapshot()

    response = browser.post(RULES_URL, BLANK_RULES | changes)

    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert changed_tables(before, data_snapshot()) == []


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(vendor):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(vendor.user)
    before = data_snapshot()

    refused = browser.post(RULES_URL, BLANK_RULES | {"daily_cap": "3"})

    assert refused.status_code == 403
    assert changed_tables(before, data_snapshot()) == []

    token = browser.get(RULES_URL).cookies["csrftoken"].value
    saved = browser.post(RULES_URL, BLANK_RULES | {"daily_cap": "3", "csrfmiddlewaretoken": token})

    assert saved.status_code == 302
    assert rules_of(vendor)[3] == 3


def test_customers_cannot_see_or_change_booking_rules(browser_as, customer, vendor):
    browser = browser_as(customer)
    before = data_snapshot()

    for response in (browser.get(RULES_URL), browser.post(RULES_URL, BLANK_RULES | {"daily_cap": "1"})):
        assert response.status_code == 403
        assert "The organizer area is for organizers" in response.content.decode()
    assert changed_tables(before, data_snapshot()) == []


@pytest.mark.parametrize("url", [RULES_URL, DAYS_OFF_URL])
def test_anonymous_visitors_are_asked_to_log_in(client, url):
    for response in (client.get(url), client.post(url, {"daily_cap": "1", "first_date": "2030-01-01"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert not AuditLogEntry.objects.exists()


# --- Days off ----------------------------------------------------------------------------------


def test_an_organizer_adds_a_day_off_and_removes_it(browser_as, vendor):
    browser = browser_as(vendor.user)
    day = ahead(vendor, 5)

    response = browser.post(DAYS_OFF_URL, {"first_date": day.isoformat(), "note": "Dentist <b>9am</b>"}, follow=True)

    exception = AvailabilityException.objects.get()
    assert (exception.vendor, exception.date, exception.start_time, exception.is_available) == (
        vendor,
        day,
        None,
        False,
    )
    assert messages_of(response) == [f"{day.day} {day:%B %Y} is a day off: no one can book you then."]
    html = response.content.decode()
    assert f'data-exception="{exception.pk}"' in html
    assert "Dentist &lt;b&gt;9am&lt;/b&gt;" in html
    assert "<b>9am</b>" not in html

    response = browser.post(reverse("storefront:vendor_day_off_remove", args=[exception.pk]), follow=True)

    assert messages_of(response) == ["Removed: your weekly hours apply on that day again."]
    assert not AvailabilityException.objects.exists()


def test_a_vacation_closes_every_day_of_it_once(browser_as, vendor):
    first, last = ahead(vendor, 10), ahead(vendor, 16)
    availability_exception_add(vendor=vendor, on_date=ahead(vendor, 12))  # already a day off

    response = browser_as(vendor.user).post(
        DAYS_OFF_URL, {"first_date": first.isoformat(), "last_date": last.isoformat(), "note": "Beach"}, follow=True
    )

    dates = list(AvailabilityException.objects.filter(vendor=vendor).values_list("date", flat=True))
    assert dates == [first + timedelta(days=offset) for offset in range(7)]
    assert messages_of(response) == [
        f"{first.day} {first:%B %Y} to {last.day} {last:%B %Y} are days off (6 added): no one can book you then."
    ]


def test_an_organizer_adds_extra_hours_on_a_date(browser_as, vendor):
    day = ahead(vendor, 4)

    response = browser_as(vendor.user).post(
        EXTRA_HOURS_URL, {"date": day.isoformat(), "start_time": "20:00", "end_time": "22:00"}, follow=True
    )

    exception = AvailabilityException.objects.get()
    assert (exception.date, exception.start_time, exception.end_time, exception.is_available) == (
        day,
        time(20),
        time(22),
        True,
    )
    assert messages_of(response) == [
        f"Extra hours on {day.day} {day:%B %Y}, 20:00 to 22:00: customers can book them now."
    ]
    assert "Extra hours 20:00&ndash;22:00" in response.content.decode()


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"first_date": "2027-02-30"}, "first_date"),
        ({"first_date": ""}, "first_date"),
        ({"first_date": "yesterday"}, "first_date"),
        ({"note": "n" * 121}, "note"),
    ],
)
def test_a_bad_day_off_form_is_shown_and_changes_nothing(browser_as, vendor, form, field):
    browser = browser_as(vendor.user)
    before = data_snapshot()
    body = {"first_date": ahead(vendor, 3).isoformat()} | form

    response = browser.post(DAYS_OFF_URL, body)

    assert response.status_code == 400
    assert list(response.context["days_off_form"].errors) == [field]
    assert changed_tables(before, data_snapshot()) == []


def test_days_off_outside_the_bookable_dates_are_refused_on_their_field(browser_as, vendor):
    first, last = exception_dates(vendor)
    browser = browser_as(vendor.user)
    before = data_snapshot()
    words = (
        f"from {first.day} {first:%B %Y} to {last.day} {last:%B %Y}: earlier days are past and "
        f"bookings open only {(last - first).days} days ahead."
    )

    past_day = browser.post(DAYS_OFF_URL, {"first_date": (first - timedelta(days=1)).isoformat()})
    late_vacation = browser.post(
        DAYS_OFF_URL, {"first_date": (last - timedelta(days=2)).isoformat(), "last_date": (last + timedelta(days=1))}
    )

    assert past_day.context["days_off_form"].errors == {"first_date": [f"Choose a date {words}"]}
    assert late_vacation.context["days_off_form"].errors == {"last_date": [f"Choose days {words}"]}
    assert changed_tables(before, data_snapshot()) == []


@pytest.mark.parametrize(
    ("last_offset", "message"),
    [
        (-1, "The last day off must be on or after the first."),
        (90, "Days off are at most 90 days in a row, not 91: for a longer break, change your weekly hours."),
    ],
)
def test_a_vacation_backwards_or_too_long_is_refused_and_adds_no_day(browser_as, vendor, last_offset, message):
    first = ahead(vendor, 5)
    browser = browser_as(vendor.user)
    before = data_snapshot()

    response = browser.post(
        DAYS_OFF_URL, {"first_date": first.isoformat(), "last_date": (first + timedelta(days=last_offset)).isoformat()}
    )

    assert response.status_code == 400
    assert response.context["days_off_form"].errors == {"last_date": [message]}
    assert changed_tables(before, data_snapshot()) == []


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        (
            {"start_time": "22:00", "end_time": "20:00"},
            {"end_time": ["{day}: the end must be after the start."]},
        ),
        (
            {"start_time": "20:10", "end_time": "22:00"},
            {"start_time": ["{day}: hours begin and end on the quarter hour (e.g. 09:00 or 09:15), not 20:10:00."]},
        ),
        ({"start_time": "", "end_time": "22:00"}, {"start_time": ["This field is required."]}),
        (
            {"start_time": "25:00", "end_time": "26:00"},
            {"start_time": ["Enter a valid time."], "end_time": ["Enter a valid time."]},
        ),
    ],
)
def test_bad_extra_hours_are_shown_on_their_field_and_change_nothing(browser_as, vendor, form, errors):
    day = ahead(vendor, 4)
    browser = browser_as(vendor.user)
    before = data_snapshot()

    response = browser.post(EXTRA_HOURS_URL, {"date": day.isoformat()} | form)

    assert response.status_code == 400
    words = f"{day.day} {day:%B %Y}"
    assert response.context["extra_hours_form"].errors == {
        field: [message.format(day=words) for message in messages] for field, messages in errors.items()
    }
    assert changed_tables(before, data_snapshot()) == []


def test_an_organizer_cannot_remove_another_organizers_day_off(browser_as, vendor, other_vendor):
    theirs = availability_exception_add(vendor=other_vendor, on_date=ahead(other_vendor, 3))
    browser = browser_as(vendor.user)
    before = data_snapshot()

    response = browser.post(reverse("storefront:vendor_day_off_remove", args=[theirs.pk]))

    assert response.status_code == 404
    assert changed_tables(before, data_snapshot()) == []


def test_removing_is_a_post_only(browser_as, vendor):
    mine = availability_exception_add(vendor=vendor, on_date=ahead(vendor, 3))

    response = browser_as(vendor.user).get(reverse("storefront:vendor_day_off_remove", args=[mine.pk]))

    assert response.status_code == 405
    assert AvailabilityException.objects.filter(pk=mine.pk).exists()


def test_customers_cannot_add_days_off(browser_as, customer):
    browser = browser_as(customer)
    before = data_snapshot()

    response = browser.post(DAYS_OFF_URL, {"first_date": "2030-01-01"})

    assert response.status_code == 403
    assert changed_tables(before, data_snapshot()) == []
