"""Verifying Stripe webhooks: the signature of the raw body, then the shape of the event.

Stripe signs each delivery with the endpoint's secret: the ``Stripe-Signature`` header
holds a timestamp and an HMAC-SHA256 of ``"{timestamp}.{body}"``. The SDK checks it
(``stripe.WebhookSignature.verify_header``) against each secret of
``STRIPE_WEBHOOK_SECRETS``: while a secret is rotated Stripe signs with both, and the
body is accepted when either matches. A signature older than
``STRIPE_WEBHOOK_TOLERANCE_SECONDS`` is refused, so a captured delivery cannot be
replayed later. Every refusal is a domain error (``payments.errors``): nothing is
stored for a body that is not proven to come from Stripe.

With ``marketplace.payments.gateways.stripe`` this is the only module that imports
``stripe`` (an import-linter contract).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings

from marketplace.payments.errors import (
    StripeEventMalformed,
    StripeSignatureExpired,
    StripeSignatureInvalid,
    StripeSignatureMissing,
    StripeWebhookNotConfigured,
)

MAX_TIMESTAMP = 253402300800  # 10000-01-01: the first second a datetime cannot hold


@dataclass(frozen=True)
class VerifiedStripeEvent:
    """A Stripe event whose signature was verified: what the marketplace reads of it."""

    id: str
    type: str
    created: datetime
    livemode: bool
    account: str  # the connected account the event is about ("" for the platform's own)
    data_object: dict[str, Any]  # the object of the event (a PaymentIntent, a Dispute...), as plain JSON
    payload: dict[str, Any]  # the whole event, as stored


def _signature_matches(body: str, header: str, secret: str) -> bool:
    try:
        stripe.WebhookSignature.verify_header(body, header, secret)  # no tolerance: the signature alone
    except stripe.SignatureVerificationError:
        return False
    return True


def _is_recent(body: str, header: str, secret: str, tolerance: int) -> bool:
    try:
        stripe.WebhookSignature.verify_header(body, header, secret, tolerance)
    except stripe.SignatureVerificationError:
        return False
    return True


def stripe_event_verify(*, payload: bytes, signature_header: str | None) -> VerifiedStripeEvent:
    """The event in ``payload`` (the raw request body) once its signature is verified; refuses anything else.

    Refusals, in this order: no secret configured, no header, a body that is not UTF-8
    or whose signature matches no secret (a wrong secret or a body changed on the way),
    a signature older than the tolerance, a signed body that is not a Stripe event.
    """
    secrets = [secret for secret in settings.STRIPE_WEBHOOK_SECRETS if secret.strip()]
    if not secrets:
        raise StripeWebhookNotConfigured(
            "Stripe webhooks are not accepted here: no signing secret is configured (STRIPE_WEBHOOK_SECRETS)."
        )
    if signature_header is None or not signature_header.strip():
        raise StripeSignatureMissing("The Stripe-Signature header is missing: only Stripe may send events here.")
    try:
        body = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise StripeSignatureInvalid("The body is not UTF-8, so it cannot be a signed Stripe event.") from None
    matching = [secret for secret in secrets if _signature_matches(body, signature_header, secret)]
    if not matching:
        raise StripeSignatureInvalid(
            "The Stripe-Signature header does not match this body with any configured secret "
            "(a wrong signing secret, or a body changed on the way)."
        )
    tolerance = settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
    if not _is_recent(body, signature_header, matching[0], tolerance):
        raise StripeSignatureExpired(
            f"The Stripe-Signature timestamp is more than {tolerance} seconds old: a replayed event is refused."
        )
    return _event_from(body)


def _event_from(body: str) -> VerifiedStripeEvent:
    if "\\u0000" in body:  # PostgreSQL cannot store a NUL character in JSON; Stripe never sends one
        raise StripeEventMalformed("The signed body contains a NUL character.")
    try:
        event = json.loads(body)
    except (json.JSONDecodeError, RecursionError):
        raise StripeEventMalformed("The signed body is not JSON.") from None
    if not isinstance(event, dict) or event.get("object") != "event":
        raise StripeEventMalformed('The signed body is not a Stripe event (its "object" is not "event").')
    event_id, event_type, created = event.get("id"), event.get("type"), event.get("created")
    data = event.get("data")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 255:
        raise StripeEventMalformed("The Stripe event has no id.")
    if not isinstance(event_type, str) or not event_type:
        raise StripeEventMalformed("The Stripe event has no type.")
    if isinstance(created, bool) or not isinstance(created, int) or not 0 <= created < MAX_TIMESTAMP:
        raise StripeEventMalformed("The Stripe event has no creation time.")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise StripeEventMalformed("The Stripe event has no data object.")
    account = event.get("account")
    return VerifiedStripeEvent(
        id=event_id,
        type=event_type,
        created=datetime.fromtimestamp(created, tz=UTC),
        livemode=event.get("livemode") is True,
        account=account if isinstance(account, str) else "",
        data_object=data["object"],
        payload=event,
    )
