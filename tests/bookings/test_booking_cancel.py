"""Cancelling before the start refunds by the booking's terms; after the start it is refused."""

from datetime import timedelta

import pytest
import time_machine

from tests.conftest import local_slot
from tests.factories.bookings import paid_booking, request_booking
from tests.payments.invariants import assert_money_invariants
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["customer", "vendor"])
def test_cancelling_early_enough_refunds_in_full(api, customer, service, who):
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=5))

    response = api.as_user(customer if who == "customer" else service.vendor.user).post(
        f"bookings/{booking.pk}/cancel", {"reason": "Plans changed"}
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert response.json()["close_reason"] == "Plans changed"
    assert response.json()["payment"]["status"] == "refunded"
    assert assert_money_invariants() == {
        "captured": 30000,
        "released": 0,
        "refunded": 30000,
        "held": 0,
        "commission": 0,
        "paid_out": 0,
    }


def test_cancelling_an_unpaid_request_needs_no_reason(api, customer, service):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    response = api.as_user(customer).post(f"bookings/{booking.pk}/cancel")

    assert response.status_code == 200, response.content
    assert response.json()["close_reason"] == "Cancelled"
    assert response.json()["payment"] is None


def test_cancelling_after_the_start_is_refused(api, customer, service):
    starts_at = local_slot(days_ahead=3)
    booking = paid_booking(customer=customer, service=service, starts_at=starts_at)

    with time_machine.travel(starts_at + timedelta(minutes=1)):
        api.as_user(customer)
        before = data_snapshot()
        response = api.post(f"bookings/{booking.pk}/cancel", {"reason": "Too late"})

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This booking has already started and can no longer be cancelled.",
        "code": "booking_started",
    }
    assert changed_tables(before, data_snapshot()) == []
    assert assert_money_invariants()["held"] == 30000


def test_an_admin_can_still_cancel_after_the_start(api, customer, service, admin_user):
    starts_at = local_slot(days_ahead=3)
    booking = paid_booking(customer=customer, service=service, starts_at=starts_at)

    with time_machine.travel(starts_at + timedelta(hours=1)):
        response = api.as_user(admin_user).post(f"bookings/{booking.pk}/cancel", {"reason": "Organizer no-show"})

    assert response.status_code == 200, response.content
    assert assert_money_invariants()["refunded"] == 30000


def test_cancelling_twice_is_an_invalid_transition(api, customer, service):
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    api.as_user(customer).post(f"bookings/{booking.pk}/cancel")
    before = data_snapshot()

    response = api.post(f"bookings/{booking.pk}/cancel")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This booking is cancelled and cannot be cancelled.",
        "code": "invalid_transition",
    }
    assert changed_tables(before, data_snapshot()) == []
    assert assert_money_invariants()["refunded"] == 30000
