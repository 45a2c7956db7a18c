"""A service that is not instantly bookable: the customer pays, then the organizer accepts."""

from datetime import timedelta

import pytest
import time_machine

from marketplace.bookings.models import Booking
from tests.conftest import local_slot
from tests.factories.bookings import paid_booking, request_booking
from tests.payments.invariants import assert_money_invariants
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_request_service(service):
    service.instant_booking = False
    service.save()
    return service


def test_pay_then_the_vendor_accepts(api, customer, on_request_service):
    booking = request_booking(customer=customer, service=on_request_service, starts_at=local_slot(days_ahead=3))

    paid = api.as_user(customer).post("payments/capture", {"booking_id": booking.pk, "payment_method": "pm_card_visa"})
    assert paid.json()["status"] == "requested"  # paid, waiting for the organizer
    assert paid.json()["payment"]["status"] == "authorized"  # on the card: nothing taken yet
    assert paid.json()["payment"]["captured_at"] is None
    assert assert_money_invariants()["captured"] == 0

    accepted = api.as_user(on_request_service.vendor.user).post(f"bookings/{booking.pk}/accept", {"note": "See you!"})

    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "confirmed"
    assert accepted.json()["vendor_note"] == "See you!"
    assert accepted.json()["confirmed_at"] is not None
    assert accepted.json()["payment"]["status"] == "held"  # accepting captured it into escrow
    assert accepted.json()["payment"]["captured_at"] is not None
    assert assert_money_invariants()["held"] == 30000


def test_the_vendor_cannot_accept_before_payment(api, customer, on_request_service):
    booking = request_booking(customer=customer, service=on_request_service, starts_at=local_slot(days_ahead=3))
    api.as_user(on_request_service.vendor.user)
    before = data_snapshot()

    response = api.post(f"bookings/{booking.pk}/accept")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "The customer has not paid yet; you can accept once payment is held.",
        "code": "awaiting_payment",
    }
    assert changed_tables(before, data_snapshot()) == []


def test_accepting_twice_is_an_invalid_transition(api, customer, on_request_service):
    booking = paid_booking(customer=customer, service=on_request_service, starts_at=local_slot(days_ahead=3))
    api.as_user(on_request_service.vendor.user)
    api.post(f"bookings/{booking.pk}/accept")
    before = data_snapshot()

    response = api.post(f"bookings/{booking.pk}/accept")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This booking is confirmed and cannot be confirmed.",
        "code": "invalid_transition",
    }
    assert changed_tables(before, data_snapshot()) == []


def test_a_suspended_vendor_cannot_accept_a_paid_request(api, customer, on_request_service):
    booking = paid_booking(customer=customer, service=on_request_service, starts_at=local_slot(days_ahead=3))
    on_request_service.vendor.verification_status = "suspended"
    on_request_service.vendor.save()
    api.as_user(on_request_service.vendor.user)
    before = data_snapshot()

    response = api.post(f"bookings/{booking.pk}/accept")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This organizer is not taking bookings at the moment.",
        "code": "vendor_unavailable",
    }
    assert changed_tables(before, data_snapshot()) == []


def test_a_request_of_a_vendor_suspended_meanwhile_cannot_be_paid(api, customer, service):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    service.vendor.verification_status = "suspended"
    service.vendor.save()
    api.as_user(customer)
    before = data_snapshot()

    response = api.post("payments/capture", {"booking_id": booking.pk, "payment_method": "pm_card_visa"})

    assert response.status_code == 409
    assert response.json()["code"] == "vendor_unavailable"
    assert changed_tables(before, data_snapshot()) == []
    assert Booking.objects.get().status == "requested"


def test_a_paid_request_cannot_be_accepted_once_its_time_has_passed(api, customer, on_request_service):
    starts_at = local_slot(days_ahead=1)
    booking = paid_booking(customer=customer, service=on_request_service, starts_at=starts_at)

    with time_machine.travel(starts_at + timedelta(minutes=5)):
        api.as_user(on_request_service.vendor.user)
        before = data_snapshot()
        response = api.post(f"bookings/{booking.pk}/accept")

    assert response.status_code == 409
    assert response.json() == {"detail": "This booking's time has passed.", "code": "booking_started"}
    assert changed_tables(before, data_snapshot()) == []


def test_a_capture_the_bank_refuses_releases_the_card_and_closes_the_request(api, customer, on_request_service):
    from marketplace.payments.gateways.local import local_gateway_faults
    from marketplace.payments.models import LocalGatewayOperation, Transaction

    booking = paid_booking(customer=customer, service=on_request_service, starts_at=local_slot(days_ahead=3))

    with local_gateway_faults(capture=["decline"]):
        refused = api.as_user(on_request_service.vendor.user).post(f"bookings/{booking.pk}/accept")

    assert refused.status_code == 402
    assert refused.json()["code"] == "charge_not_capturable"
    booking.refresh_from_db()
    assert (booking.status, booking.close_reason) == (
        "declined",
        "The customer's card could not be charged when the organizer accepted.",
    )
    assert Transaction.objects.get(booking=booking).status == "voided"
    assert LocalGatewayOperation.objects.get().status == "canceled"  # the hold on the card is released
    assert assert_money_invariants()["captured"] == 0


def test_accepting_twice_captures_once(api, customer, on_request_service):
    booking = paid_booking(customer=customer, service=on_request_service, starts_at=local_slot(days_ahead=3))
    vendor = api.as_user(on_request_service.vendor.user)

    first = vendor.post(f"bookings/{booking.pk}/accept")
    second = vendor.post(f"bookings/{booking.pk}/accept")

    assert first.status_code == 200, first.content
    assert second.status_code == 409
    assert assert_money_invariants()["held"] == 30000
