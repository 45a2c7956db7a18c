"""The quote flow: a request without a price, the organizer's quote, the customer's payment."""

import pytest
from django.core import mail

from marketplace.bookings.models import Booking
from marketplace.core.models import AuditLogEntry
from tests.conftest import local_slot
from tests.factories.bookings import request_booking
from tests.payments.invariants import assert_money_invariants
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db


def test_request_quote_pay_confirms_the_booking(api, customer, quote_service):
    # given a customer asks for a quote service: there is no price yet
    starts_at = local_slot(days_ahead=5)
    api.as_user(customer)
    response = api.post(
        "bookings", {"service_id": quote_service.pk, "starts_at": starts_at.isoformat(), "address": "9 Oak Ave"}
    )
    assert response.status_code == 201, response.content
    booking_id = response.json()["id"]
    assert response.json()["price_minor"] is None
    assert response.json()["status"] == "requested"

    # when the organizer quotes $1,234.56
    quoted = api.as_user(quote_service.vendor.user).post(
        f"bookings/{booking_id}/quote", {"price_minor": 123456, "note": "Two movers, one day"}
    )
    assert quoted.status_code == 200, quoted.content
    assert quoted.json()["price_minor"] == 123456
    assert quoted.json()["vendor_note"] == "Two movers, one day"
    assert quoted.json()["status"] == "requested"

    # and the customer pays it
    paid = api.as_user(customer).post("payments/capture", {"booking_id": booking_id, "payment_method": "pm_card_visa"})

    # then the booking is confirmed with the money held: 15% of $1,234.56 = $185.18 (185.184)
    assert paid.status_code == 200, paid.content
    assert paid.json()["status"] == "confirmed"
    assert paid.json()["payment"]["amount_minor"] == 123456
    assert paid.json()["payment"]["platform_fee_minor"] == 18518
    assert paid.json()["payment"]["vendor_payout_minor"] == 104938
    assert assert_money_invariants()["held"] == 123456
    actions = list(AuditLogEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions[-4:] == ["booking.requested", "booking.quoted", "payment.captured", "booking.confirmed"]
    assert [m.subject for m in mail.outbox] == [
        "New booking request: Full move management",
        "Your quote for Full move management is ready",
        f"Confirmed: Full move management on {starts_at:%a %d %b %Y, %H:%M}",  # to the customer
        f"Confirmed: Full move management on {starts_at:%a %d %b %Y, %H:%M}",  # to the organizer
    ]


def test_only_the_bookings_vendor_quotes(api, customer, quote_service, other_vendor):
    booking = request_booking(customer=customer, service=quote_service, starts_at=local_slot(days_ahead=5))
    api.as_user(other_vendor.user)
    before = data_snapshot()

    response = api.post(f"bookings/{booking.pk}/quote", {"price_minor": 100})

    assert response.status_code == 404
    assert changed_tables(before, data_snapshot()) == []


@pytest.mark.parametrize(("price", "status"), [(0, 422), (-100, 422), (10_000_001, 400), ("lots", 422)])
def test_a_quote_must_be_a_sensible_price(api, customer, quote_service, price, status):
    booking = request_booking(customer=customer, service=quote_service, starts_at=local_slot(days_ahead=5))
    api.as_user(quote_service.vendor.user)
    before = data_snapshot()

    response = api.post(f"bookings/{booking.pk}/quote", {"price_minor": price})

    assert response.status_code == status
    assert changed_tables(before, data_snapshot()) == []


def test_a_fixed_price_booking_cannot_be_quoted(api, customer, service):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    api.as_user(service.vendor.user)
    before = data_snapshot()

    response = api.post(f"bookings/{booking.pk}/quote", {"price_minor": 100})

    assert response.status_code == 409
    assert response.json() == {"detail": "Only an open quote request can be quoted.", "code": "invalid_transition"}
    assert changed_tables(before, data_snapshot()) == []
    assert Booking.objects.get().price_minor == 30000
