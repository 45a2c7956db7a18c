"""A recording stand-in for Stripe's HTTP API, plugged into the SDK as its HTTP client.

``StripeClient(key, http_client=FakeStripe())`` sends every request here instead of to
the network. The fake records what the gateway sent (method, path, the form or query
fields exactly as encoded, the Idempotency-Key header) and answers with the JSON a test
queued for that method and path: Stripe's objects (the builders below follow Stripe's
API reference) or Stripe's errors. It keeps Stripe's idempotency rule: a POST repeated
with a key returns the first answer again without acting, and the same key with other
parameters is refused (400 ``idempotency_error``).

A request nothing was queued for fails the test: the gateway made a call it should not.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

NOW = 1_790_000_000  # 2026-09-21 UTC: a fixed "created" for objects


@dataclass(frozen=True)
class SentRequest:
    method: str  # GET, POST
    path: str  # /v1/payment_intents
    params: dict[str, str]  # form fields (POST) or query (GET), as encoded: "metadata[idempotency_key]"
    idempotency_key: str | None


@dataclass
class _Answer:
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    connection_error: bool = False  # no answer comes back
    acted: bool = False  # with connection_error: Stripe acted before the answer was lost


class FakeStripe(stripe.HTTPClient):
    name = "fake_stripe"

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[SentRequest] = []
        self._answers: dict[tuple[str, str], list[_Answer]] = defaultdict(list)
        self._first_answers: dict[str, tuple[dict[str, str], _Answer]] = {}

    # --- What the next requests get ------------------------------------------------------

    def answer(self, method: str, path: str, body: dict[str, Any], status: int = 200) -> FakeStripe:
        self._answers[(method, path)].append(_Answer(status=status, body=body))
        return self

    def refuse(self, method: str, path: str, status: int, **error: str) -> FakeStripe:
        """Answer with Stripe's error: ``refuse("POST", "/v1/refunds", 400, type="invalid_request_error", ...)``."""
        return self.answer(method, path, {"error": error}, status=status)

    def lose_connection(self, method: str, path: str, *, acted_with: dict[str, Any] | None = None) -> FakeStripe:
        """No answer comes back; with ``acted_with``, Stripe made that object first (a repeat returns it)."""
        answer = _Answer(body=acted_with or {}, connection_error=True, acted=acted_with is not None)
        self._answers[(method, path)].append(answer)
        return self

    # --- The SDK's side ------------------------------------------------------------------------

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        split = urlsplit(url)
        method = method.upper()
        encoded = post_data.decode() if isinstance(post_data, bytes) else (post_data or split.query)
        params = dict(parse_qsl(encoded, keep_blank_values=True))
        key = (headers or {}).get("Idempotency-Key")
        self.sent.append(SentRequest(method=method, path=split.path, params=params, idempotency_key=key))

        if method == "POST" and key in self._first_answers:
            first_params, first = self._first_answers[key]
            if first_params != params:
                return self._respond(
                    _Answer(
                        status=400,
                        body={
                            "error": {
                                "type": "idempotency_error",
                                "message": "Keys for idempotent requests can only be used with the same parameters "
                                f"they were first used with. Try using a key other than '{key}' if you meant "
                                "to execute a different request.",
                            }
                        },
                    )
                )
            return self._respond(first)

        queued = self._answers.get((method, split.path))
        if not queued:
            raise AssertionError(f"unexpected Stripe request {method} {split.path} {params}")
        answer = queued.pop(0)
        if answer.connection_error:
            if answer.acted and method == "POST" and key:
                self._first_answers[key] = (params, _Answer(body=answer.body))
            raise stripe.APIConnectionError("Unexpected error communicating with Stripe. (fake: connection lost)")
        if method == "POST" and key and answer.status < 500:
            self._first_answers[key] = (params, answer)
        return self._respond(answer)

    def _respond(self, answer: _Answer):
        headers = {"request-id": f"req_fake_{len(self.sent)}", "content-type": "application/json"}
        return json.dumps(answer.body), answer.status, headers

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise AssertionError("the gateway does not stream")

    def close(self):
        pass

    # --- For assertions --------------------------------------------------------------------------

    @property
    def last(self) -> SentRequest:
        return self.sent[-1]

    def posts(self) -> list[SentRequest]:
        return [request for request in self.sent if request.method == "POST"]


# --- Stripe's objects, as its API returns them -------------------------------------------------


def payment_intent(
    id: str = "pi_3Fake",
    *,
    status: str = "succeeded",
    amount: int = 30000,
    currency: str = "usd",
    capture_method: str = "automatic",
    latest_charge: str | None = "ch_3Fake",
    amount_received: int | None = None,
    last_payment_error: dict[str, Any] | None = None,
    next_action: dict[str, Any] | None = None,
    transfer_group: str = "BK-1",
    created: int = NOW,
) -> dict[str, Any]:
    if amount_received is None:
        amount_received = amount if status == "succeeded" else 0
    return {
        "id": id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": amount if status == "requires_capture" else 0,
        "amount_received": amount_received,
        "automatic_payment_methods": {"allow_redirects": "never", "enabled": True},
        "capture_method": capture_method,
        "client_secret": f"{id}_secret_Fake",
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "description": "Declutter",
        "last_payment_error": last_payment_error,
        "latest_charge": latest_charge,
        "livemode": False,
        "metadata": {"idempotency_key": "BK-1:charge", "transfer_group": transfer_group},
        "next_action": next_action,
        "payment_method": "pm_1Fake",
        "payment_method_types": ["card"],
        "status": status,
        "transfer_group": transfer_group,
    }


def refund(
    id: str = "re_3Fake",
    *,
    amount: int = 10000,
    currency: str = "usd",
    payment_intent: str = "pi_3Fake",
    status: str = "succeeded",
    created: int = NOW,
) -> dict[str, Any]:
    return {
        "id": id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": "txn_3Fake",
        "charge": "ch_3Fake",
        "created": created,
        "currency": currency,
        "metadata": {},
        "payment_intent": payment_intent,
        "reason": None,
        "status": status,
    }


def transfer(
    id: str = "tr_1Fake",
    *,
    amount: int = 25500,
    currency: str = "usd",
    destination: str = "acct_1Vendor",
    source_transaction: str | None = None,
    transfer_group: str = "BK-1",
    created: int = NOW,
) -> dict[str, Any]:
    return {
        "id": id,
        "object": "transfer",
        "amount": amount,
        "amount_reversed": 0,
        "balance_transaction": "txn_1Transfer",
        "created": created,
        "currency": currency,
        "destination": destination,
        "destination_payment": "py_1Fake",
        "livemode": False,
        "metadata": {},
        "reversals": {"object": "list", "data": [], "has_more": False, "url": f"/v1/transfers/{id}/reversals"},
        "reversed": False,
        "source_transaction": source_transaction,
        "source_type": "card",
        "transfer_group": transfer_group,
    }


def transfer_reversal(
    id: str = "trr_1Fake", *, amount: int = 5000, currency: str = "usd", transfer: str = "tr_1Fake", created: int = NOW
) -> dict[str, Any]:
    return {
        "id": id,
        "object": "transfer_reversal",
        "amount": amount,
        "balance_transaction": "txn_1Reversal",
        "created": created,
        "currency": currency,
        "destination_payment_refund": "pyr_1Fake",
        "metadata": {},
        "source_refund": None,
        "transfer": transfer,
    }


def account(
    id: str = "acct_1Vendor",
    *,
    payouts_enabled: bool = False,
    details_submitted: bool = False,
    currently_due: list[str] | None = None,
    past_due: list[str] | None = None,
    disabled_reason: str | None = "requirements.past_due",
) -> dict[str, Any]:
    due = ["external_account", "individual.dob.day", "tos_acceptance.date"] if currently_due is None else currently_due
    return {
        "id": id,
        "object": "account",
        "business_type": None,
        "capabilities": {"card_payments": "inactive", "transfers": "inactive"},
        "charges_enabled": False,
        "country": "US",
        "created": NOW,
        "default_currency": "usd",
        "details_submitted": details_submitted,
        "email": "organizer@example.com",
        "metadata": {},
        "payouts_enabled": payouts_enabled,
        "requirements": {
            "alternatives": [],
            "current_deadline": None,
            "currently_due": due,
            "disabled_reason": disabled_reason,
            "errors": [],
            "eventually_due": due,
            "past_due": due if past_due is None else past_due,
            "pending_verification": [],
        },
        "type": "express",
    }


def account_link(url: str = "https://connect.stripe.com/setup/e/acct_1Vendor/Fake") -> dict[str, Any]:
    return {"object": "account_link", "created": NOW, "expires_at": NOW + 300, "url": url}


def balance_transaction(id: str, *, source: dict[str, Any], type: str = "transfer_refund") -> dict[str, Any]:
    return {
        "id": id,
        "object": "balance_transaction",
        "amount": source["amount"],
        "created": source["created"],
        "currency": source["currency"],
        "fee": 0,
        "net": source["amount"],
        "reporting_category": "transfer_reversal",
        "source": source,
        "status": "available",
        "type": type,
    }


def list_of(path: str, *objects: dict[str, Any], has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": list(objects), "has_more": has_more, "url": path}
