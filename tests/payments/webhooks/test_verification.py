"""Only events signed by Stripe with a configured secret, and recent, are stored; every refusal writes nothing."""

from __future__ import annotations

import json
import time

import pytest
import stripe
from django.test import Client

from marketplace.payments.models import StripeEvent

from .stripe_events import (
    NEXT_SECRET,
    OTHER_SECRET,
    SECRET,
    body_of,
    deliver,
    sign,
    stripe_event,
    webhook_snapshot,
)

pytestmark = pytest.mark.django_db

PAYOUT = {"id": "po_test_1", "object": "payout", "amount": 1000, "currency": "usd", "status": "paid"}
NOT_CONFIGURED = {
    "detail": "Stripe webhooks are not accepted here: no signing secret is configured (STRIPE_WEBHOOK_SECRETS).",
    "code": "stripe_webhook_not_configured",
}
MISSING = {
    "detail": "The Stripe-Signature header is missing: only Stripe may send events here.",
    "code": "stripe_signature_missing",
}
INVALID = {
    "detail": "The Stripe-Signature header does not match this body with any configured secret "
    "(a wrong signing secret, or a body changed on the way).",
    "code": "stripe_signature_invalid",
}
EXPIRED = {
    "detail": "The Stripe-Signature timestamp is more than 300 seconds old: a replayed event is refused.",
    "code": "stripe_signature_expired",
}


def paid_payout_event(**fields) -> dict:
    return stripe_event("payout.paid", PAYOUT, account="acct_test_1", **fields)


def test_our_signature_is_the_one_stripe_s_library_makes():
    body = body_of(paid_payout_event())

    assert sign(body, SECRET, timestamp=1_900_000_000) == stripe.WebhookSignature.generate_signature_header(
        body, SECRET, timestamp=1_900_000_000
    )


def test_a_signed_event_is_stored_once_and_applied():
    event = paid_payout_event()

    response = deliver(event)

    assert response.status_code == 200
    assert response.json() == {"received": True, "event": event["id"], "duplicate": False}
    stored = StripeEvent.objects.get()
    assert (stored.stripe_id, stored.type, stored.livemode, stored.account) == (
        event["id"],
        "payout.paid",
        False,
        "acct_test_1",
    )
    assert int(stored.created.timestamp()) == event["created"]
    assert stored.payload == event
    assert stored.applied_at is not None
    assert stored.note == "Bank payout po_test_1 of 1000 USD paid."


def _altered(event: dict) -> tuple[str, dict]:
    body = body_of(event)
    return body.replace('"amount":1000', '"amount":9000'), {"Stripe-Signature": sign(body)}


def _stale(event: dict) -> tuple[str, dict]:
    body = body_of(event)
    return body, {"Stripe-Signature": sign(body, timestamp=int(time.time()) - 301)}


def _signed(body: str) -> tuple[str, dict]:
    return body, {"Stripe-Signature": sign(body)}


REFUSALS = {
    "no header": (lambda event: (body_of(event), {}), 400, MISSING),
    "an empty header": (lambda event: (body_of(event), {"Stripe-Signature": ""}), 400, MISSING),
    "signed with another secret": (
        lambda event: (body_of(event), {"Stripe-Signature": sign(body_of(event), OTHER_SECRET)}),
        400,
        INVALID,
    ),
    "a header that is not a signature": (
        lambda event: (body_of(event), {"Stripe-Signature": "let me in"}),
        400,
        INVALID,
    ),
    "a body changed after signing": (_altered, 400, INVALID),
    "a stale timestamp": (_stale, 400, EXPIRED),
    "a body that is not JSON": (
        lambda event: _signed("payout paid, trust me"),
        400,
        {"detail": "The signed body is not JSON.", "code": "stripe_event_malformed"},
    ),
    "JSON that is not an event": (
        lambda event: _signed(json.dumps({"id": "po_1", "object": "payout"})),
        400,
        {
            "detail": 'The signed body is not a Stripe event (its "object" is not "event").',
            "code": "stripe_event_malformed",
        },
    ),
    "an event without data": (
        lambda event: _signed(json.dumps({**event, "data": None})),
        400,
        {"detail": "The Stripe event has no data object.", "code": "stripe_event_malformed"},
    ),
    "an event type we do not handle": (
        lambda event: _signed(body_of({**event, "type": "customer.created"})),
        400,
        {
            "detail": "Stripe events of type 'customer.created' are not handled here; send only: account.updated, "
            "charge.dispute.closed, charge.dispute.created, charge.dispute.updated, charge.refunded, "
            "payment_intent.amount_capturable_updated, payment_intent.canceled, payment_intent.payment_failed, "
            "payment_intent.succeeded, payout.failed, payout.paid, transfer.created, transfer.reversed, "
            "transfer.updated.",
            "code": "stripe_event_type_not_handled",
        },
    ),
}


@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_a_refused_event_is_a_4xx_with_a_message_and_writes_nothing(refusal):
    # given a delivery that is not a recent event signed with our secret
    make, status, expected = REFUSALS[refusal]
    body, headers = make(paid_payout_event())
    before = webhook_snapshot()

    # when it is posted
    response = deliver(body, headers=headers)

    # then it is refused with a message, and nothing was written
    assert response.status_code == status
    assert response.json() == expected
    assert webhook_snapshot() == before
    assert not StripeEvent.objects.exists()


def test_with_no_secret_configured_every_event_is_refused_and_nothing_written(settings):
    settings.STRIPE_WEBHOOK_SECRETS = []
    before = webhook_snapshot()

    response = deliver(paid_payout_event())

    assert response.status_code == 400
    assert response.json() == NOT_CONFIGURED
    assert webhook_snapshot() == before


def test_while_a_secret_is_rotated_both_are_accepted_and_a_third_is_not(settings):
    # given the old and the new secret, as during a rotation
    settings.STRIPE_WEBHOOK_SECRETS = [SECRET, NEXT_SECRET]
    old, new, other = paid_payout_event(), paid_payout_event(), paid_payout_event()

    # then an event signed with either is stored, one signed with any other secret is refused
    assert deliver(old, secret=SECRET).status_code == 200
    assert deliver(new, secret=NEXT_SECRET).status_code == 200
    refused = deliver(other, secret=OTHER_SECRET)
    assert refused.status_code == 400
    assert refused.json() == INVALID
    assert sorted(StripeEvent.objects.values_list("stripe_id", flat=True)) == sorted([old["id"], new["id"]])


def test_after_the_rotation_the_old_secret_is_refused(settings):
    settings.STRIPE_WEBHOOK_SECRETS = [NEXT_SECRET]

    assert deliver(paid_payout_event(), secret=SECRET).json() == INVALID
    assert deliver(paid_payout_event(), secret=NEXT_SECRET).status_code == 200


def test_a_signature_just_inside_the_tolerance_is_accepted(settings):
    settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS = 60
    body = body_of(paid_payout_event())

    response = deliver(body, headers={"Stripe-Signature": sign(body, timestamp=int(time.time()) - 50)})

    assert response.status_code == 200


def test_a_header_with_several_signatures_is_accepted_when_one_matches():
    body = body_of(paid_payout_event())
    good = sign(body)
    timestamp, signature = good.split(",")
    wrong = sign(body, OTHER_SECRET).split(",")[1]

    response = deliver(body, headers={"Stripe-Signature": f"{timestamp},{wrong},{signature}"})

    assert response.status_code == 200


def test_the_endpoint_needs_no_csrf_token_and_no_sign_in():
    # a client that enforces CSRF like a browser's session would, with no cookie and no bearer token
    response = deliver(paid_payout_event(), client=Client(enforce_csrf_checks=True))

    assert response.status_code == 200


def test_the_body_is_verified_as_sent_not_as_parsed():
    # the same event with other whitespace is another body: its signature must be of those exact bytes
    event = paid_payout_event()
    compact = body_of(event)
    spaced = json.dumps(event, indent=2)

    assert deliver(spaced, headers={"Stripe-Signature": sign(compact)}).json() == INVALID
    assert deliver(spaced, headers={"Stripe-Signature": sign(spaced)}).status_code == 200
