"""Illegal moves: from each state, the actions that make no sense are a 409 invalid_transition
that changes nothing, whoever (rightly) asks."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from marketplace.bookings import services as bookings
from marketplace.bookings.models import BOOKING_TRANSITIONS, BookingStatus
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
BOOKED_ON = datetime(2027, 6, 7, 9, 0, tzinfo=NEW_YORK)
STARTS_AT = datetime(2027, 6, 10, 10, 0, tzinfo=NEW_YORK)
NOW = datetime(2027, 6, 10, 9, 0, tzinfo=NEW_YORK)  # an hour before it starts


def _booking_in(state: str, customer, service):
    """A booking in ``state``, made on BOOKED_ON (and completed just after the work, if asked)."""
    service.instant_booking = state != "confirmed"  # "confirmed" goes through the vendor's accept
    service.save()
    with time_machine.travel(BOOKED_ON, tick=False):
        booking = bookings.booking_request(customer=customer, service_id=service.pk, starts_at=STARTS_AT, address="x")
        if state == "requested":
            return booking
        if state == "declined":
            return bookings.booking_decline(vendor_user=service.vendor.user, booking_id=booking.pk, reason="Away")
        if state == "expired":
            booking.status = BookingStatus.EXPIRED
            booking.save()
            return booking
        bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa")
        if state == "confirmed":
            return bookings.booking_accept(vendor_user=service.vendor.user, booking_id=booking.pk)
        if state == "cancelled":
            return bookings.booking_cancel(user=customer, booking_id=booking.pk)
    with time_machine.travel(STARTS_AT + timedelta(hours=4), tick=False):
        return bookings.booking_confirm_completion(customer=customer, booking_id=booking.pk)  # completed


ILLEGAL = [
    # (state, who, action)
    ("confirmed", "vendor", "accept"),
    ("confirmed", "vendor", "decline"),
    ("completed", "vendor", "accept"),
    ("completed", "customer", "confirm_completion"),
    ("declined", "vendor", "accept"),
    ("declined", "customer", "pay"),
    ("declined", "customer", "cancel"),
    ("declined", "customer", "confirm_completion"),
    ("cancelled", "vendor", "accept"),
    ("cancelled", "vendor", "decline"),
    ("cancelled", "customer", "pay"),
    ("cancelled", "customer", "cancel"),
    ("expired", "customer", "pay"),
    ("expired", "vendor", "decline"),
    ("expired", "customer", "cancel"),
    ("requested", "customer", "confirm_completion"),
    ("requested", "vendor", "quote"),
]


@pytest.mark.parametrize(("state", "who", "action"), ILLEGAL)
def test_an_illegal_move_is_a_409_and_changes_nothing(api, customer, service, state, who, action):
    booking = _booking_in(state, customer, service)
    assert booking.status == state
    requests = {
        "accept": (f"bookings/{booking.pk}/accept", {}),
        "decline": (f"bookings/{booking.pk}/decline", {"reason": "No"}),
        "cancel": (f"bookings/{booking.pk}/cancel", {}),
        "quote": (f"bookings/{booking.pk}/quote", {"price_minor": 100}),
        "confirm_completion": (f"bookings/{booking.pk}/confirm_completion", {}),
        "pay": ("payments/capture", {"booking_id": booking.pk, "payment_method": "pm_card_visa"}),
    }
    path, body = requests[action]

    with time_machine.travel(NOW if state != "completed" else STARTS_AT + timedelta(hours=5), tick=False):
        api.as_user(customer if who == "customer" else service.vendor.user)
        before = data_snapshot()
        response = api.post(path, body)

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["detail"].startswith(f"This booking is {state}") or action == "quote"
    assert changed_tables(before, data_snapshot()) == []


def test_paying_a_completed_booking_again_says_it_is_already_paid(api, customer, service):
    booking = _booking_in("completed", customer, service)

    with time_machine.travel(STARTS_AT + timedelta(hours=5), tick=False):
        api.as_user(customer)
        before = data_snapshot()
        response = api.post("payments/capture", {"booking_id": booking.pk, "payment_method": "pm_card_visa"})

    assert response.status_code == 409, response.content
    assert response.json() == {"detail": "This booking is already paid.", "code": "already_paid"}
    assert changed_tables(before, data_snapshot()) == []


def test_the_transition_map_has_no_way_out_of_a_closed_state():
    closed = {BookingStatus.DECLINED, BookingStatus.EXPIRED, BookingStatus.CANCELLED, BookingStatus.REFUNDED}

    assert {status: BOOKING_TRANSITIONS[status] for status in closed} == {status: frozenset() for status in closed}
    # a completed booking whose money is still held may yet be disputed (marketplace.disputes), nothing else
    assert BOOKING_TRANSITIONS[BookingStatus.COMPLETED] == frozenset({BookingStatus.DISPUTED})
    assert set(BOOKING_TRANSITIONS) == set(BookingStatus.values)
