"""The customer confirms the work: the booking completes and escrow is settled."""

from datetime import timedelta

import pytest
import time_machine

from marketplace.payments.models import Transaction
from tests.conftest import local_slot
from tests.factories.bookings import past_paid_booking, request_booking
from tests.payments.invariants import assert_money_invariants
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db


def test_confirming_before_the_start_is_refused(api, customer, service):
    booking = past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    api.as_user(customer)
    before = data_snapshot()

    response = api.post(f"bookings/{booking.pk}/confirm_completion")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "You can confirm the work once the appointment has started.",
        "code": "not_started",
    }
    assert changed_tables(before, data_snapshot()) == []


def test_confirming_releases_a_small_payout_at_once(api, customer, service):
    # given a $300 booking, under the $1,000 approval threshold, that has ended
    starts_at = local_slot(days_ahead=-1)
    booking = past_paid_booking(customer=customer, service=service, starts_at=starts_at)

    response = api.as_user(customer).post(f"bookings/{booking.pk}/confirm_completion")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"
    assert response.json()["payment"]["status"] == "released"
    assert response.json()["payment"]["payout_needs_approval"] is False
    assert Transaction.objects.get().released_by is None
    assert assert_money_invariants() == {
        "captured": 30000,
        "released": 30000,
        "refunded": 0,
        "held": 0,
        "commission": 4500,
        "paid_out": 25500,
    }


def test_an_unpaid_request_cannot_be_confirmed(api, customer, service):
    starts_at = local_slot(days_ahead=1)
    booking = request_booking(customer=customer, service=service, starts_at=starts_at)

    with time_machine.travel(starts_at + timedelta(hours=4)):
        api.as_user(customer)
        before = data_snapshot()
        response = api.post(f"bookings/{booking.pk}/confirm_completion")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This booking is requested and cannot be completed.",
        "code": "invalid_transition",
    }
    assert changed_tables(before, data_snapshot()) == []


def test_confirming_twice_is_an_invalid_transition(api, customer, service):
    booking = past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-1))
    api.as_user(customer).post(f"bookings/{booking.pk}/confirm_completion")
    before = data_snapshot()

    response = api.post(f"bookings/{booking.pk}/confirm_completion")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert changed_tables(before, data_snapshot()) == []
