"""Webhooks from the payment provider: no user signs in, the signature of the body is the proof."""

from ninja import Header, Router, Schema
from pydantic import Field

from marketplace.payments.errors import (
    StripeEventMalformed,
    StripeEventTypeNotHandled,
    StripeSignatureExpired,
    StripeSignatureInvalid,
    StripeSignatureMissing,
    StripeWebhookNotConfigured,
)
from marketplace.payments.webhooks import EVENT_HANDLERS, stripe_event_receive

from ..contract import raises

router = Router(tags=["webhooks"])  # no authentication: Stripe signs the body instead

HANDLED_EVENTS = ", ".join(f"`{event_type}`" for event_type in sorted(EVENT_HANDLERS))


class StripeEventReceivedOut(Schema):
    received: bool = Field(description="Always true: the event is stored (now or at an earlier delivery).")
    event: str = Field(description="Stripe's event id.")
    duplicate: bool = Field(description="True when this event was stored by an earlier delivery; nothing changed.")


@router.post(
    "/stripe",
    response={200: StripeEventReceivedOut},
    summary="Receive a Stripe webhook event",
    description=(
        "Stripe calls this address with each event (register it in the Stripe dashboard). The raw body must be "
        "signed with one of the endpoint's signing secrets (`STRIPE_WEBHOOK_SECRETS`; two are accepted while one "
        "is rotated) in the `Stripe-Signature` header, and the signature must be younger than "
        "`STRIPE_WEBHOOK_TOLERANCE_SECONDS`. The event is stored once by its id and applied once by a background "
        "job; a repeated delivery answers 200 with `duplicate: true` and changes nothing. An unsigned, altered, "
        "stale or malformed body, or an event type not handled, is refused with a 400 and nothing is stored. "
        f"Handled types: {HANDLED_EVENTS}."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A Stripe event object, exactly as Stripe sent it (the signature covers these bytes).",
            "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
        }
    },
)
@raises(
    StripeWebhookNotConfigured,
    StripeSignatureMissing,
    StripeSignatureInvalid,
    StripeSignatureExpired,
    StripeEventMalformed,
    StripeEventTypeNotHandled,
)
def stripe_webhook(
    request,
    stripe_signature: str | None = Header(
        default=None, alias="Stripe-Signature", description="t=<timestamp>,v1=<HMAC-SHA256 signature>"
    ),
):
    # request.body is the raw body: the signature is checked on these exact bytes, never on parsed JSON.
    event, duplicate = stripe_event_receive(payload=request.body, signature_header=stripe_signature)
    return {"received": True, "event": event.stripe_id, "duplicate": duplicate}
