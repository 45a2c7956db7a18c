"""Staff move a booking from its screen: a time in the organizer's zone and a reason, through booking_reschedule.

The moves (and the organizer's proposals and the customer's answers) read well in the
booking's history.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from marketplace.bookings import services as bookings
from marketplace.core.models import AuditLogEntry
from tests.conftest import local_slot
from tests.factories.bookings import request_booking
from tests.snapshots import changed_tables, data_snapshot

from .conftest import client_for, messages_of, paid_booking

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def booked(customer, service):
    """A confirmed $300.00 booking, 10:00-13:00 New York time three days ahead."""
    return paid_booking(customer=customer, service=service)


def inspect_url(booking) -> str:
    return reverse("backoffice_bookings:inspect", args=[booking.pk])


def move_url(booking) -> str:
    return reverse("backoffice_bookings:move", args=[booking.pk])


def typed(moment) -> str:
    """How the date-and-time input sends a moment: New York wall time, no offset."""
    return moment.astimezone(NEW_YORK).strftime("%Y-%m-%dT%H:%M")


def test_support_moves_a_booking_with_a_reason_in_the_organizers_zone(support, booked):
    client = client_for(support)
    new_start = booked.starts_at + timedelta(days=1, hours=4)  # 14:00 New York, the next day

    page = client.get(inspect_url(booked)).content.decode()
    form = client.get(move_url(booked)).content.decode()
    data = {"starts_at": typed(new_start), "reason": "The organizer's van broke down"}
    response = client.post(move_url(booked), data)

    assert move_url(booked) in page and "Move booking" in page
    assert "New start (America/New_York)" in form
    assert f'value="{typed(booked.starts_at)}"' in form  # today's start, as the organizer reads it
    assert response.url == inspect_url(booked)
    local = new_start.astimezone(NEW_YORK)
    assert messages_of(response) == [
        f"Booking {booked.reference} moved to {local:%a %b} {local.day} {local:%Y}, 14:00 (America/New_York)."
    ]
    booked.refresh_from_db()
    assert (booked.starts_at, booked.ends_at) == (new_start, new_start + timedelta(hours=3))
    entry = AuditLogEntry.objects.get(action="booking.rescheduled")
    assert (entry.actor, entry.reason, entry.data["by"]) == (support, "The organizer's van broke down", "staff")


def test_staff_can_move_it_after_the_customers_window_closed(support, booked):
    client = client_for(support)
    with time_machine.travel(booked.starts_at - timedelta(hours=2)):
        page = client.get(inspect_url(booked)).content.decode()
        client.post(move_url(booked), {"starts_at": typed(booked.starts_at + timedelta(days=1)), "reason": "Late"})

    assert move_url(booked) in page
    booked.refresh_from_db()
    assert booked.starts_at.astimezone(NEW_YORK).hour == 10
    assert AuditLogEntry.objects.filter(action="booking.rescheduled").count() == 1


def _refused(client, booking, data) -> str:
    before = data_snapshot()
    response = client.post(move_url(booking), data)
    assert response.status_code == 200  # the form again, with the error on it
    assert messages_of(response) == ["Nothing was changed. Please correct the error below."]
    assert changed_tables(before, data_snapshot()) == []
    return response.content.decode()


def test_a_move_without_a_reason_is_refused(support, booked):
    page = _refused(client_for(support), booked, {"starts_at": typed(booked.starts_at + timedelta(days=1))})

    assert "Reason is required." in page


def test_a_taken_time_is_refused_on_the_form(support, other_customer, service, booked):
    taken = request_booking(customer=other_customer, service=service, starts_at=booked.starts_at + timedelta(days=1))
    client = client_for(support)

    page = _refused(client, booked, {"starts_at": typed(taken.starts_at), "reason": "Swap"})

    assert "That time is already booked. Please choose another slot." in page


@pytest.mark.parametrize(
    ("starts_at", "message"),
    [
        ("NIGHT", "The organizer is not available at that time."),
        ("SAME", "The booking is already at that time."),
        ("PAST", "That time is in the past."),
        ("tomorrow at ten", "Enter a date and a time."),
        ("", "New start is required."),
    ],
)
def test_a_time_the_schedule_does_not_offer_is_refused_on_the_form(support, booked, starts_at, message):
    times = {
        "NIGHT": booked.starts_at + timedelta(days=1, hours=-8),  # 02:00 in New York
        "SAME": booked.starts_at,
        "PAST": booked.starts_at - timedelta(days=30),
    }
    value = typed(times[starts_at]) if starts_at in times else starts_at

    page = _refused(client_for(support), booked, {"starts_at": value, "reason": "Asked by phone"})

    assert message in page


def test_a_booking_that_cannot_move_has_no_button_and_a_post_is_refused_on_the_form(support, customer, service):
    waiting = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=4))
    client = client_for(support)

    page = client.get(inspect_url(waiting)).content.decode()
    refused = _refused(client, waiting, {"starts_at": typed(waiting.starts_at + timedelta(days=1)), "reason": "x"})

    assert move_url(waiting) not in page
    assert "Only a confirmed booking can be moved" in refused


def test_without_the_manage_bookings_permission_there_is_no_move(finance, editor, booked):
    finance_client, editor_client = client_for(finance), client_for(editor)
    data = {"starts_at": typed(booked.starts_at + timedelta(days=1)), "reason": "No"}
    before = data_snapshot()

    page = finance_client.get(inspect_url(booked)).content.decode()

    assert move_url(booked) not in page
    assert finance_client.post(move_url(booked), data).url == reverse("wagtailadmin_home")
    assert editor_client.post(move_url(booked), data).url == reverse("wagtailadmin_home")
    assert changed_tables(before, data_snapshot()) == []


def test_the_history_says_who_moved_it_proposed_and_declined_in_words(admin_client, customer, booked):
    # given a proposal the customer declined, then a move by the customer
    proposed = booked.starts_at + timedelta(days=2)
    moved = booked.starts_at + timedelta(days=1)
    bookings.booking_reschedule_propose(
        vendor_user=booked.vendor.user, booking_id=booked.pk, starts_at=proposed, note="Van at the garage"
    )
    bookings.booking_reschedule_answer(customer=customer, booking_id=booked.pk, accept=False)
    bookings.booking_reschedule(user=customer, booking_id=booked.pk, starts_at=moved)

    # when staff read the booking
    page = admin_client.get(inspect_url(booked)).content.decode()

    # then each step is in words, with its times as a person reads them
    assert "Organizer proposed another time <code>booking.reschedule_proposed</code>" in page
    assert "Customer declined the proposed time <code>booking.reschedule_declined</code>" in page
    assert "Booking moved to another time <code>booking.rescheduled</code>" in page
    assert "moved by: the customer, from: " in page and " EST, to: " in page
    assert "Van at the garage" in page
    assert booked.starts_at.isoformat() not in page and moved.isoformat() not in page
