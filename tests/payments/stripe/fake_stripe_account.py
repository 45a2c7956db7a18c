"""A stateful stand-in for one Stripe platform account, for end-to-end money flows through the Stripe gateway.

localstripe implements PaymentIntents and refunds but no Connect (transfers, reversals)
and no ``created`` filters on lists, which reconciliation needs. This fake keeps the
objects the gateway makes (PaymentIntents with their charge, refunds, transfers,
transfer reversals) and lists them back as Stripe does: newest first, filtered by
``created``, in pages. It checks what a real account would refuse (a capture of
more than was authorised, a refund of more than was captured, a transfer funded by a
charge that does not exist or with more than it holds, a reversal of more than was
transferred), and answers a repeated idempotency key with the first answer. Anything
else it was not built for fails the test (``AssertionError``), so it never answers a
request it does not understand.

Times come from ``time.time()``, which time_machine moves: an object made while a test
travels is "created" then, as the ledger's posting is.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

Obj = dict[str, Any]


class FakeStripeAccount(stripe.HTTPClient):
    name = "fake_stripe_account"

    def __init__(self) -> None:
        super().__init__()
        self.intents: dict[str, Obj] = {}
        self.refunds: dict[str, Obj] = {}
        self.transfers: dict[str, Obj] = {}
        self.reversals: dict[str, Obj] = {}
        self._numbers = itertools.count(1)
        self._first_answers: dict[str, tuple[dict[str, str], Obj]] = {}

    # --- Tests' own hand on the account -------------------------------------------------------

    def made_elsewhere(self, kind: str, **fields: Any) -> Obj:
        """An object someone made in the Stripe dashboard (or another system): not in our ledger."""
        made = {"transfer": self._transfer, "refund": self._refund}[kind]({key: str(v) for key, v in fields.items()})
        return made

    # --- The SDK's side ---------------------------------------------------------------------------

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        split = urlsplit(url)
        method = method.upper()
        encoded = post_data.decode() if isinstance(post_data, bytes) else (post_data or split.query)
        params = dict(parse_qsl(encoded, keep_blank_values=True))
        key = (headers or {}).get("Idempotency-Key")
        if method == "POST" and key in self._first_answers:
            first_params, first = self._first_answers[key]
            assert first_params == params, f"idempotency key {key} reused with other parameters"
            return self._respond(200, first)
        try:
            status, body = 200, self._route(method, split.path, params)
        except _Refused as refusal:
            status, body = 400, {"error": {"type": "invalid_request_error", **refusal.error}}
        if method == "POST" and key and status == 200:
            self._first_answers[key] = (params, body)
        return self._respond(status, body)

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise AssertionError("the gateway does not stream")

    def close(self):
        pass

    def _respond(self, status: int, body: Obj):
        return json.dumps(body), status, {"request-id": f"req_fake_{next(self._numbers)}"}

    def _route(self, method: str, path: str, params: dict[str, str]) -> Obj:
        routes = [
            ("POST", r"/v1/payment_intents", lambda: self._intent_create(params)),
            ("POST", r"/v1/payment_intents/(?P<id>\w+)/capture", lambda id: self._capture(id, params)),
            ("POST", r"/v1/payment_intents/(?P<id>\w+)/cancel", lambda id: self._cancel(id)),
            ("GET", r"/v1/payment_intents/(?P<id>\w+)", lambda id: self._get(self.intents, id)),
            ("POST", r"/v1/refunds", lambda: self._refund(params)),
            ("POST", r"/v1/transfers", lambda: self._transfer(params)),
            ("POST", r"/v1/transfers/(?P<id>\w+)/reversals", lambda id: self._reverse(id, params)),
            ("GET", r"/v1/payment_intents", lambda: self._list(path, self.intents, params)),
            ("GET", r"/v1/refunds", lambda: self._list(path, self.refunds, params)),
            ("GET", r"/v1/transfers", lambda: self._list(path, self.transfers, params)),
            ("GET", r"/v1/balance_transactions", lambda: self._balance_transactions(path, params)),
        ]
        for route_method, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if route_method == method and match:
                return handler(**match.groupdict())
        raise AssertionError(f"the fake Stripe account does not know {method} {path} {params}")

    # --- Payments ---------------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._numbers):06d}"

    def _intent_create(self, params: dict[str, str]) -> Obj:
        assert params.get("confirm") == "true", "the gateway confirms when it creates"
        assert params.get("transfer_group"), "every payment names its booking as transfer_group"
        declined = params["payment_method"] == "pm_card_chargeDeclined"
        manual = params["capture_method"] == "manual"
        amount = int(params["amount"])
        intent = {
            "id": self._new_id("pi"),
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": amount if manual and not declined else 0,
            "amount_received": 0 if manual or declined else amount,
            "capture_method": params["capture_method"],
            "client_secret": "",
            "created": int(time.time()),
            "currency": params["currency"],
            "latest_charge": None if declined else self._new_id("ch"),
            "last_payment_error": {"message": "Your card was declined."} if declined else None,
            "metadata": {"idempotency_key": params.get("metadata[idempotency_key]", "")},
            "status": "requires_payment_method" if declined else "requires_capture" if manual else "succeeded",
            "transfer_group": params["transfer_group"],
        }
        intent["client_secret"] = f"{intent['id']}_secret_fake"
        self.intents[intent["id"]] = intent
        return intent

    def _capture(self, id: str, params: dict[str, str]) -> Obj:
        intent = self._get(self.intents, id)
        amount = int(params.get("amount_to_capture", intent["amount_capturable"]))
        if intent["status"] != "requires_capture":
            raise _Refused(code="payment_intent_unexpected_state", message=f"This PaymentIntent is {intent['status']}")
        if amount > intent["amount_capturable"]:
            raise _Refused(code="amount_too_large", message="Cannot capture more than was authorized")
        intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
        return intent

    def _cancel(self, id: str) -> Obj:
        intent = self._get(self.intents, id)
        if intent["status"] == "succeeded":
            raise _Refused(code="payment_intent_unexpected_state", message="This PaymentIntent is succeeded")
        intent.update(status="canceled", amount_capturable=0)
        return intent

    def _refund(self, params: dict[str, str]) -> Obj:
        intent = self._get(self.intents, params["payment_intent"])
        amount = int(params["amount"])
        refunded = sum(r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"])
        if intent["status"] != "succeeded" or refunded + amount > intent["amount_received"]:
            raise _Refused(code="charge_already_refunded", message="Refund exceeds what the charge has left")
        refund = {
            "id": self._new_id("re"),
            "object": "refund",
            "amount": amount,
            "charge": intent["latest_charge"],
            "created": int(time.time()),
            "currency": intent["currency"],
            "metadata": {},
            "payment_intent": intent["id"],
            "status": "succeeded",
        }
        self.refunds[refund["id"]] = refund
        return refund

    # --- Connect -----------------------------------------------------------------------------------

    def _transfer(self, params: dict[str, str]) -> Obj:
        amount = int(params["amount"])
        source = params.get("source_transaction")
        if source is not None:
            funding = [i for i in self.intents.values() if i["latest_charge"] == source and i["status"] == "succeeded"]
            if not funding:
                raise _Refused(param="source_transaction", message=f"No such charge: '{source}'")
            funded = sum(t["amount"] for t in self.transfers.values() if t["source_transaction"] == source)
            if funded + amount > funding[0]["amount_received"]:
                raise _Refused(param="amount", message="Transfers exceed the source transaction's amount")
        assert params["destination"].startswith("acct_"), params["destination"]
        transfer = {
            "id": self._new_id("tr"),
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "created": int(time.time()),
            "currency": params["currency"],
            "destination": params["destination"],
            "metadata": {},
            "reversals": {"object": "list", "data": [], "has_more": False, "url": "/v1/transfers/x/reversals"},
            "reversed": False,
            "source_transaction": source,
            "transfer_group": params.get("transfer_group"),
        }
        self.transfers[transfer["id"]] = transfer
        return transfer

    def _reverse(self, id: str, params: dict[str, str]) -> Obj:
        transfer = self._get(self.transfers, id)
        amount = int(params["amount"])
        if transfer["amount_reversed"] + amount > transfer["amount"]:
            raise _Refused(param="amount", message="Reversal exceeds the transfer's amount")
        transfer["amount_reversed"] += amount
        reversal = {
            "id": self._new_id("trr"),
            "object": "transfer_reversal",
            "amount": amount,
            "created": int(time.time()),
            "currency": transfer["currency"],
            "metadata": {},
            "transfer": id,
        }
        self.reversals[reversal["id"]] = reversal
        return reversal

    # --- Lists -----------------------------------------------------------------------------------------

    def _get(self, objects: dict[str, Obj], id: str) -> Obj:
        if id not in objects:
            raise _Refused(code="resource_missing", message=f"No such object: '{id}'")
        return objects[id]

    def _list(self, path: str, objects: dict[str, Obj], params: dict[str, str]) -> Obj:
        """Newest first, within created[gte]..created[lt], one page of ``limit`` after ``starting_after``."""
        low, high = int(params.get("created[gte]", 0)), int(params.get("created[lt]", 2**62))
        # Same-second objects: the later-made first, as Stripe lists them.
        found = [o for o in reversed(objects.values()) if low <= o["created"] < high]
        found.sort(key=lambda o: o["created"], reverse=True)
        if "starting_after" in params:
            ids = [o["id"] for o in found]
            found = found[ids.index(params["starting_after"]) + 1 :]
        limit = int(params.get("limit", 10))
        return {"object": "list", "data": found[:limit], "has_more": len(found) > limit, "url": path}

    def _balance_transactions(self, path: str, params: dict[str, str]) -> Obj:
        assert params.get("type") == "transfer_refund" and params.get("expand[0]") == "data.source", params
        if "starting_after" in params:  # a balance transaction's id here is "txn_" + its reversal's
            params = {**params, "starting_after": params["starting_after"].removeprefix("txn_")}
        page = self._list(path, self.reversals, params)
        page["data"] = [
            {
                "id": f"txn_{reversal['id']}",
                "object": "balance_transaction",
                "amount": reversal["amount"],
                "created": reversal["created"],
                "currency": reversal["currency"],
                "source": reversal,
                "type": "transfer_refund",
            }
            for reversal in page["data"]
        ]
        return page


class _Refused(Exception):
    def __init__(self, **error: str) -> None:
        super().__init__(error)
        self.error = error
