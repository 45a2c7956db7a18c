"""The refund preview (GET /bookings/{id}/cancellation) and the cancellation fields of bookings and services.

The service fixture is a $300.00 fixed-price, instant service under the moderate policy
(a full refund at least 3 days before the start, half at least 24 hours before, nothing
later) with the platform's 15% commission.
"""

from datetime import timedelta

import pytest
import time_machine

from marketplace.catalog.models import Service
from marketplace.payments.models import Transaction
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.factories.bookings import paid_booking, request_booking
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

MODERATE_TERMS = {
    "policy": "moderate",
    "refund_tiers": [
        {"hours_before_start": 72, "refund_percent": 100},
        {"hours_before_start": 24, "refund_percent": 50},
        {"hours_before_start": 0, "refund_percent": 0},
    ],
    "reschedule_hours": 24,
    "lines": [
        "Cancel at least 3 days before the start for a full refund.",
        "Cancel at least 24 hours before the start for a 50% refund.",
        "Cancel less than 24 hours before the start for no refund.",
        "Reschedule up to 24 hours before the start.",
        "If the organizer cancels, you always get a full refund.",
    ],
}


@pytest.fixture
def confirmed(customer, service):
    """Paid and confirmed today, for a start ten days from now."""
    return paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=10))


def _preview(api, user, booking):
    response = api.as_user(user).get(f"bookings/{booking.pk}/cancellation")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    ("hours_before", "percent", "refund", "keeps", "fee", "reason"),
    [
        (100, 100, 30000, 0, 0, "cancelling at least 3 days before the start gives a full refund."),
        (72, 100, 30000, 0, 0, "cancelling at least 3 days before the start gives a full refund."),
        (48, 50, 15000, 12750, 2250, "cancelling at least 24 hours before the start gives a 50% refund."),
        (10, 0, 0, 25500, 4500, "cancelling this close to the start gives no refund."),
    ],
)
def test_a_customer_sees_the_refund_of_the_tier_they_are_in(
    api, customer, confirmed, hours_before, percent, refund, keeps, fee, reason
):
    with time_machine.travel(confirmed.starts_at - timedelta(hours=hours_before), tick=False):
        body = _preview(api, customer, confirmed)

    assert body == {
        "booking_id": confirmed.pk,
        "can_cancel": True,
        "refusal": None,
        "cancelled_by": "customer",
        "refund_percent": percent,
        "reason": f"Moderate policy: {reason}",
        "currency": "USD",
        "paid_minor": 30000,
        "refund_minor": refund,
        "organizer_keeps_minor": keeps,
        "platform_fee_minor": fee,
        "terms": MODERATE_TERMS,
    }


def test_the_organizer_always_refunds_in_full_even_at_the_last_minute(api, confirmed):
    with time_machine.travel(confirmed.starts_at - timedelta(hours=2), tick=False):
        body = _preview(api, confirmed.vendor.user, confirmed)

    assert (body["can_cancel"], body["cancelled_by"], body["refund_percent"]) == (True, "organizer", 100)
    assert body["reason"] == "The organizer cancelled: the customer is refunded in full."
    assert (body["paid_minor"], body["refund_minor"], body["organizer_keeps_minor"], body["platform_fee_minor"]) == (
        30000,
        30000,
        0,
        0,
    )


def test_an_admin_refunds_in_full(api, admin_user, confirmed):
    with time_machine.travel(confirmed.starts_at - timedelta(hours=2), tick=False):
        body = _preview(api, admin_user, confirmed)

    assert (body["can_cancel"], body["cancelled_by"], body["refund_percent"], body["refund_minor"]) == (
        True,
        "admin",
        100,
        30000,
    )
    assert body["reason"] == "Cancelled by Tidy Nest: the customer is refunded in full."


def test_a_paid_request_the_organizer_has_not_accepted_is_refunded_in_full(api, customer, vendor, category):
    service = ServiceFactory(vendor=vendor, category=category, base_price_minor=30000, instant_booking=False)
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=10))

    with time_machine.travel(booking.starts_at - timedelta(hours=10), tick=False):
        body = _preview(api, customer, booking)

    assert (body["refund_percent"], body["refund_minor"], body["organizer_keeps_minor"]) == (100, 30000, 0)
    assert body["reason"] == "The organizer had not accepted yet: you are refunded in full."


def test_an_unpaid_booking_has_nothing_to_refund(api, customer, service):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    body = _preview(api, customer, booking)

    assert body["can_cancel"] is True
    assert (body["paid_minor"], body["refund_minor"], body["organizer_keeps_minor"], body["platform_fee_minor"]) == (
        None,
        0,
        0,
        0,
    )


def test_after_the_start_the_customer_can_no_longer_cancel(api, customer, confirmed):
    with time_machine.travel(confirmed.starts_at + timedelta(minutes=1), tick=False):
        body = _preview(api, customer, confirmed)

    assert body["can_cancel"] is False
    assert body["refusal"] == {
        "code": "booking_started",
        "detail": "This booking has already started and can no longer be cancelled.",
    }


def test_a_cancelled_booking_says_who_cancelled_it_and_cannot_be_cancelled_again(api, confirmed):
    organizer = confirmed.vendor.user

    response = api.as_user(organizer).post(f"bookings/{confirmed.pk}/cancel", {"reason": "Sick"})

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["cancelled_by"]) == ("cancelled", "organizer")
    body = _preview(api, organizer, confirmed)
    assert body["can_cancel"] is False
    assert body["refusal"] == {
        "code": "invalid_transition",
        "detail": "This booking is cancelled and cannot be cancelled.",
    }


def test_the_customer_gets_back_exactly_what_the_preview_showed(api, customer, confirmed):
    with time_machine.travel(confirmed.starts_at - timedelta(hours=48), tick=False):
        preview = _preview(api, customer, confirmed)
        response = api.post(f"bookings/{confirmed.pk}/cancel", {"reason": "Moving"})

    assert response.status_code == 200, response.content
    assert response.json()["cancelled_by"] == "customer"
    payment = Transaction.objects.get(booking=confirmed)
    assert (payment.refunded_minor, payment.vendor_payout_minor, payment.platform_fee_minor) == (
        preview["refund_minor"],
        preview["organizer_keeps_minor"],
        preview["platform_fee_minor"],
    )


@pytest.mark.parametrize("who", ["other_customer", "other_vendor"])
def test_someone_elses_booking_is_not_found(api, confirmed, request, who):
    stranger = request.getfixturevalue(who)
    stranger = getattr(stranger, "user", stranger)
    before = data_snapshot()

    response = api.as_user(stranger).get(f"bookings/{confirmed.pk}/cancellation")

    assert response.status_code == 404
    assert response.json() == {"detail": "Booking not found.", "code": "not_found"}
    assert changed_tables(before, data_snapshot()) == []


def test_the_preview_needs_a_sign_in(api, confirmed):
    assert api.anonymous().get(f"bookings/{confirmed.pk}/cancellation").status_code == 401


def test_a_booking_shows_its_own_terms_and_nobody_cancelled_it(api, customer, confirmed):
    body = api.as_user(customer).get(f"bookings/{confirmed.pk}").json()

    assert body["cancellation_terms"] == MODERATE_TERMS
    assert body["cancelled_by"] is None


def test_the_openapi_document_describes_the_preview(client):
    document = client.get("/api/v1/openapi.json").json()

    operation = document["paths"]["/api/v1/bookings/{booking_id}/cancellation"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CancellationOut"
    }
    assert "counts against the organizer" in operation["description"]
    properties = document["components"]["schemas"]["CancellationOut"]["properties"]
    assert {"can_cancel", "refusal", "refund_minor", "organizer_keeps_minor", "platform_fee_minor", "terms"} <= set(
        properties
    )
    cancel = document["paths"]["/api/v1/bookings/{booking_id}/cancel"]["post"]
    assert "refunded in full" not in cancel["description"].split(".")[0]


# --- Services ----------------------------------------------------------------------------------


def _service_body(category, **changes) -> dict:
    return {
        "category_id": category.pk,
        "title": "Closet reset",
        "pricing_model": "fixed",
        "base_price_minor": 20000,
        "duration_minutes": 120,
        **changes,
    }


def test_an_organizer_publishes_a_service_with_a_policy(api, vendor, category):
    response = api.as_user(vendor.user).post("catalog/services", _service_body(category, cancellation_policy="strict"))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["cancellation_policy"] == "strict"
    assert body["cancellation_terms"]["refund_tiers"] == [
        {"hours_before_start": 168, "refund_percent": 100},
        {"hours_before_start": 72, "refund_percent": 50},
        {"hours_before_start": 0, "refund_percent": 0},
    ]
    assert body["cancellation_terms"]["lines"][0] == "Cancel at least 7 days before the start for a full refund."
    assert Service.objects.get().cancellation_policy == "strict"


def test_without_a_policy_a_service_is_moderate(api, vendor, category):
    response = api.as_user(vendor.user).post("catalog/services", _service_body(category))

    assert response.json()["cancellation_policy"] == "moderate"


def test_an_unknown_policy_is_a_422_and_publishes_nothing(api, vendor, category):
    api.as_user(vendor.user)
    before = data_snapshot()

    response = api.post("catalog/services", _service_body(category, cancellation_policy="lenient"))

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input"
    assert "cancellation_policy" in body["detail"]
    assert "'flexible', 'moderate' or 'strict'" in body["detail"]
    assert changed_tables(before, data_snapshot()) == []


def test_an_organizer_changes_the_policy_and_the_public_page_shows_it(api, service):
    response = api.as_user(service.vendor.user).patch(
        f"catalog/services/{service.pk}", {"cancellation_policy": "flexible"}
    )

    assert response.status_code == 200, response.content
    public = api.anonymous().get(f"catalog/services/{service.pk}").json()
    assert public["cancellation_policy"] == "flexible"
    assert public["cancellation_terms"]["lines"][:2] == [
        "Cancel at least 24 hours before the start for a full refund.",
        "Cancel less than 24 hours before the start for a 50% refund.",
    ]


def test_an_unknown_policy_in_an_edit_is_a_422(api, service):
    api.as_user(service.vendor.user)
    before = data_snapshot()

    response = api.patch(f"catalog/services/{service.pk}", {"cancellation_policy": "none"})

    assert response.status_code == 422
    assert changed_tables(before, data_snapshot()) == []
