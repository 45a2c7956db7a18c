"""POST payments/capture answers 202 when the card needs 3-D Secure; POST payments/capture/confirm finishes it.

The local gateway plays the customer's bank (``local_gateway_authenticate``): what
Stripe.js and the bank do in the customer's browser with the client secret.
"""

import pytest
from django.test import override_settings

from api.models import IdempotencyRecord
from marketplace.bookings.models import Booking
from marketplace.payments.gateways.base import GatewayResult, PaymentStatus
from marketplace.payments.gateways.local import local_gateway_authenticate
from marketplace.payments.gateways.stripe import StripeGateway
from marketplace.payments.models import LocalGatewayOperation, Movement, Transaction
from tests.conftest import local_slot
from tests.factories.bookings import request_booking
from tests.payments.money_checks import assert_money_invariants
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

THREE_D_SECURE = "pm_card_threeDSecure2Required"


def _pay(api, booking, method=THREE_D_SECURE, headers=None):
    return api.post("payments/capture", {"booking_id": booking.pk, "payment_method": method}, headers=headers)


def _confirm(api, booking, reference):
    return api.post("payments/capture/confirm", {"booking_id": booking.pk, "payment_reference": reference})


@pytest.fixture
def booking(customer, service):
    return request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))


def test_a_card_that_needs_authentication_is_a_202_with_the_step(api, customer, booking):
    response = _pay(api.as_user(customer), booking)

    assert response.status_code == 202, response.content
    reference = Movement.objects.get().gateway_reference
    assert response.json() == {
        "status": "requires_action",
        "booking_id": booking.pk,
        "payment_reference": reference,
        "client_secret": f"{reference}_secret_local",
        "gateway": "local",
        "publishable_key": None,
    }
    assert Booking.objects.get().status == "requested"
    assert not Transaction.objects.exists()


def test_once_the_bank_approves_the_confirmation_pays_the_booking(api, customer, booking):
    reference = _pay(api.as_user(customer), booking).json()["payment_reference"]
    local_gateway_authenticate(reference, approve=True)

    response = _confirm(api, booking, reference)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["status"]) == (booking.pk, "confirmed")
    assert (body["payment"]["status"], body["payment"]["amount_minor"], body["payment"]["payment_reference"]) == (
        "held",
        30000,
        reference,
    )
    assert assert_money_invariants()["captured"] == 30000


def test_confirming_twice_answers_the_paid_booking_twice(api, customer, booking):
    reference = _pay(api.as_user(customer), booking).json()["payment_reference"]
    local_gateway_authenticate(reference, approve=True)
    first = _confirm(api, booking, reference)

    second = _confirm(api, booking, reference)

    assert second.status_code == 200
    assert second.json()["payment"] == first.json()["payment"]
    assert assert_money_invariants()["captured"] == 30000


def test_a_step_still_open_is_a_202_again(api, customer, booking):
    step = _pay(api.as_user(customer), booking).json()

    response = _confirm(api, booking, step["payment_reference"])

    assert response.status_code == 202
    assert response.json() == step


def test_a_failed_authentication_is_a_402_and_another_card_pays(api, customer, booking):
    reference = _pay(api.as_user(customer), booking).json()["payment_reference"]
    local_gateway_authenticate(reference, approve=False)

    refused = _confirm(api, booking, reference)

    assert refused.status_code == 402
    assert refused.json() == {
        "detail": "Your bank could not confirm the payment; nothing was charged.",
        "code": "authentication_failed",
    }
    assert not Transaction.objects.exists()

    paid = _pay(api, booking, method="pm_card_visa")

    assert paid.status_code == 200, paid.content
    assert paid.json()["status"] == "confirmed"
    assert assert_money_invariants()["captured"] == 30000


def test_paying_again_during_the_step_answers_the_same_step(api, customer, booking):
    first = _pay(api.as_user(customer), booking)

    second = _pay(api, booking, method="pm_card_visa")

    assert second.status_code == 202
    assert second.json() == first.json()
    assert LocalGatewayOperation.objects.count() == 1


def test_a_retry_with_the_same_idempotency_key_gets_the_same_step_and_the_secret_is_not_stored(api, customer, booking):
    headers = {"Idempotency-Key": "pay-3ds-1"}
    first = _pay(api.as_user(customer), booking, headers=headers)

    again = _pay(api, booking, headers=headers)

    assert again.status_code == 202
    assert "Idempotent-Replayed" not in again
    assert again.json() == first.json()
    assert Movement.objects.count() == 1
    assert not IdempotencyRecord.objects.exists()  # the 202 carries the client secret: never kept

    local_gateway_authenticate(first.json()["payment_reference"], approve=True)
    finished = _pay(api, booking, headers=headers)  # once the step is done, the retry finishes that payment

    assert finished.status_code == 200
    assert finished.json()["payment"]["payment_reference"] == first.json()["payment_reference"]
    assert (Movement.objects.count(), LocalGatewayOperation.objects.count()) == (1, 1)


def test_a_payment_of_another_booking_is_a_400_and_writes_nothing(api, customer, service, booking):
    other = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=4))
    _pay(api.as_user(customer), booking)
    foreign = _pay(api, other).json()["payment_reference"]
    before, movements = data_snapshot(), list(Movement.objects.order_by("pk").values_list())

    response = _confirm(api, booking, foreign)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "That payment does not belong to this booking.",
        "code": "payment_not_for_booking",
        "field": "payment_reference",
    }
    assert changed_tables(before, data_snapshot()) == []
    assert list(Movement.objects.order_by("pk").values_list()) == movements


def test_another_customer_gets_a_404_and_nothing_is_written(api, customer, other_customer, booking):
    reference = _pay(api.as_user(customer), booking).json()["payment_reference"]
    local_gateway_authenticate(reference, approve=True)
    before = data_snapshot()

    response = _confirm(api.as_user(other_customer), booking, reference)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert changed_tables(before, data_snapshot()) == []
    assert not Transaction.objects.exists()


@override_settings(PAYMENTS_GATEWAY="stripe", STRIPE_SECRET_KEY="sk_test_x", STRIPE_PUBLISHABLE_KEY="pk_test_x")
def test_the_publishable_key_comes_with_a_stripe_step(api, customer, booking, monkeypatch):
    def charge(self, **kwargs):
        return GatewayResult(reference="pi_1", status=PaymentStatus.REQUIRES_ACTION, client_secret="pi_1_secret_x")

    def payment_status(self, *, payment_reference):
        return GatewayResult(reference="pi_1", status=PaymentStatus.REQUIRES_ACTION, client_secret="pi_1_secret_x")

    monkeypatch.setattr(StripeGateway, "charge", charge)
    monkeypatch.setattr(StripeGateway, "payment_status", payment_status)

    response = _pay(api.as_user(customer), booking)

    assert response.status_code == 202, response.content
    assert response.json() == {
        "status": "requires_action",
        "booking_id": booking.pk,
        "payment_reference": "pi_1",
        "client_secret": "pi_1_secret_x",
        "gateway": "stripe",
        "publishable_key": "pk_test_x",
    }


def test_the_openapi_document_describes_the_step_and_the_confirmation(client):
    document = client.get("/api/v1/openapi.json").json()

    capture = document["paths"]["/api/v1/payments/capture"]["post"]["responses"]
    confirm = document["paths"]["/api/v1/payments/capture/confirm"]["post"]
    assert capture["202"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/PaymentActionOut"}
    assert confirm["responses"]["202"] == capture["202"]
    assert {"200", "400", "402", "404", "409"} <= set(confirm["responses"])
    assert confirm["security"] == [{"JWTAuth": []}]
    step = document["components"]["schemas"]["PaymentActionOut"]
    assert set(step["required"]) >= {"status", "booking_id", "payment_reference", "client_secret", "gateway"}
    assert "payment_not_for_booking" in document["info"]["description"]
