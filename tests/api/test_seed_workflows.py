"""The seed's two workflows, end to end, through the HTTP API only."""

from datetime import timedelta

import pytest
import time_machine

from marketplace.payments.models import LedgerLine, Transaction
from tests.conftest import local_slot

pytestmark = pytest.mark.django_db


def test_vendor_joins_gets_verified_and_publishes_a_service(api, admin_user, category):
    # given a new organizer registers and logs in
    response = api.post(
        "auth/register",
        {"email": "Nora@Example.com", "password": "tidy-nest-2026!", "role": "vendor", "full_name": "Nora Neat"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "nora@example.com"
    assert response.json()["role"] == "vendor"
    tokens = api.post("auth/login", {"email": "nora@example.com", "password": "tidy-nest-2026!"}).json()
    assert tokens["token_type"] == "Bearer"
    vendor_headers = {"Authorization": f"Bearer {tokens['access']}"}

    # when they submit a profile
    response = api.post(
        "vendors/profile",
        {
            "business_name": "Neat by Nora",
            "city": "Queens, NY",
            "latitude": 40.7282,
            "longitude": -73.7949,
            "time_zone": "America/New_York",
            "bio": "Ten years of calm closets.",
            "certifications": ["NAPO member"],
        },
        headers=vendor_headers,
    )
    assert response.status_code == 201, response.content
    vendor_id = response.json()["id"]
    assert response.json()["verification_status"] == "pending"

    # then they cannot publish before verification
    service_body = {
        "category_id": category.pk,
        "title": "Closet reset",
        "pricing_model": "fixed",
        "base_price_minor": 25000,
        "duration_minutes": 180,
    }
    response = api.post("catalog/services", service_body, headers=vendor_headers)
    assert response.status_code == 403
    assert response.json()["code"] == "vendor_not_verified"

    # when an admin verifies them
    response = api.as_user(admin_user).put(f"vendors/{vendor_id}/verify", {"decision": "verified"})
    assert response.status_code == 200, response.content
    assert response.json()["verification_status"] == "verified"

    # then they publish a service and set their hours, and customers find it
    api.anonymous()
    response = api.post("catalog/services", service_body, headers=vendor_headers)
    assert response.status_code == 201, response.content
    assert response.json()["price_display"] == "$250.00"
    response = api.put(
        "vendors/availability",
        {"windows": [{"weekday": d, "start_time": "09:00", "end_time": "17:00"} for d in range(5)]},
        headers=vendor_headers,
    )
    assert response.status_code == 200, response.content
    assert len(response.json()["windows"]) == 5
    found = api.get("catalog/search", {"q": "closet"}).json()
    assert [s["title"] for s in found["results"]] == ["Closet reset"]
    assert found["count"] == 1


def test_customer_books_pays_confirms_payout_and_reviews(api, customer, admin_user, service, settings):
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 10_000  # $300.00 needs an admin's release, as in the seed
    starts_at = local_slot(days_ahead=3)

    # given the customer finds the service
    results = api.get("catalog/search", {"q": "declutter"}).json()["results"]
    assert [s["id"] for s in results] == [service.pk]

    # when they book a slot and pay
    api.as_user(customer)
    response = api.post(
        "bookings",
        {"service_id": service.pk, "starts_at": starts_at.isoformat(), "address": "12 Elm St, Brooklyn, NY"},
        headers={"Idempotency-Key": "booking-1"},
    )
    assert response.status_code == 201, response.content
    booking = response.json()
    assert booking["status"] == "requested"
    assert booking["price_minor"] == 30000
    assert booking["payment"] is None

    response = api.post("payments/capture", {"booking_id": booking["id"], "payment_method": "pm_card_visa"})
    assert response.status_code == 200, response.content
    paid = response.json()
    assert paid["status"] == "confirmed"  # instant booking
    assert paid["payment"]["status"] == "held"
    assert paid["payment"]["amount_minor"] == 30000
    assert paid["payment"]["platform_fee_minor"] == 4500  # 15%
    assert paid["payment"]["vendor_payout_minor"] == 25500

    # then, after the appointment, they confirm the work
    with time_machine.travel(starts_at + timedelta(hours=3, minutes=5)):
        api.as_user(customer)  # a fresh access token: the old one expired meanwhile
        response = api.post(f"bookings/{booking['id']}/confirm_completion")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "completed"
        assert response.json()["payment"]["status"] == "held"
        assert response.json()["payment"]["payout_needs_approval"] is True

        # and an admin releases the payout
        response = api.as_user(admin_user).post("payments/payout", {"booking_id": booking["id"], "reason": "OK"})
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "released"

        # and the customer reviews the booking
        response = api.as_user(customer).post(
            "reviews", {"booking_id": booking["id"], "rating": 5, "title": "Wonderful", "body": "Calm at last."}
        )
        assert response.status_code == 201, response.content
        assert response.json()["rating"] == 5

    transaction = Transaction.objects.get(booking_id=booking["id"])
    assert transaction.status == "released"
    assert transaction.platform_fee_minor + transaction.vendor_payout_minor == transaction.amount_minor
    balances = {
        account: sum(line.amount_minor for line in LedgerLine.objects.filter(account=account))
        for account in ("processor_cash", "customer_escrow", "vendor_payable", "platform_commission")
    }
    assert balances == {
        "processor_cash": 4500,  # the commission stays with the platform
        "customer_escrow": 0,  # nothing left in escrow
        "vendor_payable": 0,  # the vendor's share was transferred
        "platform_commission": -4500,
    }
    public_reviews = api.anonymous().get("reviews", {"vendor_id": service.vendor_id}).json()["results"]
    assert [r["title"] for r in public_reviews] == ["Wonderful"]
