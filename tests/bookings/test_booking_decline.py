"""The organizer declines a request; any payment goes back to the customer in full."""

import pytest
from django.core import mail

from marketplace.payments.models import LocalGatewayOperation, Transaction
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


def test_declining_a_paid_request_releases_its_authorisation(api, customer, on_request_service):
    booking = paid_booking(customer=customer, service=on_request_service, starts_at=local_slot(days_ahead=3))
    assert assert_money_invariants()["held"] == 0  # authorised on the card, not taken
    mail.outbox.clear()

    response = api.as_user(on_request_service.vendor.user).post(
        f"bookings/{booking.pk}/decline", {"reason": "Fully booked that week"}
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "declined"
    assert response.json()["close_reason"] == "Fully booked that week"
    assert response.json()["payment"]["status"] == "voided"  # nothing was taken, so nothing to refund
    assert LocalGatewayOperation.objects.get().status == "canceled"
    assert assert_money_invariants() == {
        "captured": 0,
        "released": 0,
        "refunded": 0,
        "held": 0,
        "commission": 0,
        "paid_out": 0,
    }
    assert [m.subject for m in mail.outbox] == ["Your request for Whole-home declutter was declined"]
    assert mail.outbox[0].to == [customer.email]


def test_declining_an_unpaid_request_moves_no_money(api, customer, on_request_service):
    booking = request_booking(customer=customer, service=on_request_service, starts_at=local_slot(days_ahead=3))

    response = api.as_user(on_request_service.vendor.user).post(f"bookings/{booking.pk}/decline", {"reason": "Away"})

    assert response.status_code == 200
    assert response.json()["payment"] is None
    assert not Transaction.objects.exists()


def test_a_declined_booking_frees_the_slot(api, customer, other_customer, on_request_service):
    starts_at = local_slot(days_ahead=3)
    booking = request_booking(customer=customer, service=on_request_service, starts_at=starts_at)
    api.as_user(on_request_service.vendor.user).post(f"bookings/{booking.pk}/decline", {"reason": "Away"})

    response = api.as_user(other_customer).post(
        "bookings", {"service_id": on_request_service.pk, "starts_at": starts_at.isoformat(), "address": "1 Main St"}
    )

    assert response.status_code == 201, response.content


def test_a_confirmed_booking_cannot_be_declined(api, customer, service):
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    api.as_user(service.vendor.user)
    before = data_snapshot()

    response = api.post(f"bookings/{booking.pk}/decline", {"reason": "Changed my mind"})

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This booking is confirmed and cannot be declined.",
        "code": "invalid_transition",
    }
    assert changed_tables(before, data_snapshot()) == []
