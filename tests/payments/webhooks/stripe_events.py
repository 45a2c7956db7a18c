"""Stripe events for the webhook tests, signed exactly as Stripe signs them, and their delivery.

Stripe's ``Stripe-Signature`` header is ``t=<unix time>,v1=<hex HMAC-SHA256 of "<unix
time>.<raw body>" keyed with the endpoint's signing secret>``: ``sign`` computes it
from that definition (and a test checks it against the SDK's own helper).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any

from django.test import Client

from marketplace.payments.models import Chargeback, Movement, ReleaseHold, StripeEvent
from tests.snapshots import data_snapshot

URL = "/api/v1/payments/webhooks/stripe"
SECRET = "whsec_test_current_0123456789"
NEXT_SECRET = "whsec_test_next_9876543210"
OTHER_SECRET = "whsec_test_someone_else"
T0 = 1_900_000_000  # when the events below were created at Stripe (2030-03-17)

_numbers = itertools.count(1)


def sign(body: str | bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send with ``body``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + raw, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def stripe_event(
    event_type: str, data_object: dict[str, Any], *, event_id: str | None = None, created: int = T0, account=None
) -> dict[str, Any]:
    """A Stripe event in the shape Stripe sends (API version 2024-06-20)."""
    return {
        "id": event_id or f"evt_test_{next(_numbers):06d}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "account": account,
        "data": {"object": data_object},
    }


def body_of(event: dict[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"))


def deliver(event: dict[str, Any] | str | bytes, *, secret: str = SECRET, headers: dict | None = None, client=None):
    """POST the event as Stripe would: its raw JSON body, signed with ``secret``."""
    body = event if isinstance(event, (str, bytes)) else body_of(event)
    sent = {"Stripe-Signature": sign(body, secret)} if headers is None else headers
    return (client or Client()).post(URL, data=body, content_type="application/json", headers=sent)


# --- Stripe objects -------------------------------------------------------------------------------


def transfer_object(movement: Movement, *, transfer_id: str = "tr_test_1", reversals=()) -> dict[str, Any]:
    return {
        "id": transfer_id,
        "object": "transfer",
        "amount": movement.amount_minor,
        "currency": movement.currency.lower(),
        "destination": movement.destination,
        "transfer_group": movement.booking.reference,
        "metadata": {"idempotency_key": movement.idempotency_key},
        "reversals": {"object": "list", "data": list(reversals)},
    }


def dispute_object(
    *, dispute_id: str, charge: str, status: str, amount: int, reason="fraudulent", due_by: int | None = T0 + 864000
):
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "currency": "usd",
        "charge": charge,
        "payment_intent": None,
        "reason": reason,
        "status": status,
        "created": T0,
        "evidence_details": {"due_by": due_by, "has_evidence": False, "submission_count": 0},
        "is_charge_refundable": False,
        "metadata": {},
    }


def webhook_snapshot() -> dict:
    """``tests.snapshots.data_snapshot`` plus the webhook's own tables and the money movements."""
    state = data_snapshot()
    for model in (StripeEvent, Chargeback, ReleaseHold, Movement):
        state[model._meta.label] = list(model.objects.order_by("pk").values_list())
    return state
