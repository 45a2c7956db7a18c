"""POST /api/v1/payments/webhooks/stripe: documented, unauthenticated, in the API's error format."""

import pytest

from marketplace.payments.models import StripeEvent
from tests.payments.webhooks.stripe_events import SECRET, URL, body_of, deliver, sign, stripe_event, webhook_snapshot

pytestmark = pytest.mark.django_db

PAYOUT = {"id": "po_api_1", "object": "payout", "amount": 700, "currency": "usd", "status": "paid"}


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRETS = [SECRET]


def test_the_openapi_document_describes_the_webhook(client):
    operation = client.get("/api/v1/openapi.json").json()["paths"][URL]["post"]

    assert operation["summary"] == "Receive a Stripe webhook event"
    assert "STRIPE_WEBHOOK_SECRETS" in operation["description"]
    assert "`charge.dispute.created`" in operation["description"]
    assert "security" not in operation
    assert operation["tags"] == ["webhooks"]
    # 409 and 422: the Idempotency-Key answers every POST can give (a client signed in sending a key)
    assert set(operation["responses"]) == {"200", "400", "409", "413", "422"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/StripeEventReceivedOut"
    }
    assert [parameter["name"] for parameter in operation["parameters"]] == ["Stripe-Signature", "Idempotency-Key"]
    assert operation["requestBody"]["required"] is True


def test_a_bearer_token_is_neither_needed_nor_used(api, customer):
    event = stripe_event("payout.paid", PAYOUT)
    body = body_of(event)

    response = api.as_user(customer).post(
        "payments/webhooks/stripe", body, headers={"Stripe-Signature": sign(body), "Idempotency-Key": "whk-1"}
    )

    assert response.status_code == 200
    assert response.json() == {"received": True, "event": event["id"], "duplicate": False}


def test_a_refusal_uses_the_api_s_error_envelope(api):
    response = api.post("payments/webhooks/stripe", body_of(stripe_event("payout.paid", PAYOUT)))

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The Stripe-Signature header is missing: only Stripe may send events here.",
        "code": "stripe_signature_missing",
    }


def test_an_oversized_webhook_is_a_413_and_writes_nothing(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    event = stripe_event("payout.paid", {**PAYOUT, "description": "x" * (1024 * 1024)})
    before = webhook_snapshot()

    response = deliver(event)

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is too large: the limit is 1 MB.",
        "code": "payload_too_large",
    }
    assert webhook_snapshot() == before
    assert not StripeEvent.objects.exists()


def test_get_is_not_allowed(client):
    response = client.get(URL)

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
