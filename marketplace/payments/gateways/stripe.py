"""The Stripe gateway: Stripe Connect with separate charges and transfers.

A customer's payment is a PaymentIntent on the platform's account (its id, ``pi_...``, is
the payment's reference in our ledger), grouped with the vendor's transfers by
``transfer_group`` (the booking). Each vendor is a Connect Express account; a payout is a
transfer to it, funded by the booking's charge (``source_transaction``).

Every POST carries the idempotency key the money service derived from its own row, so a
call repeated after a timeout returns Stripe's first answer instead of acting twice. The
SDK retries nothing itself (``max_network_retries=0``): the movement sweep retries, with
the same key. This module is the only one that imports ``stripe`` (besides the webhooks).

Stripe's errors become the three kinds base.py defines:

- a card error, or a request Stripe refuses for good (a refund above the charge, a
  transfer the balance cannot fund, the capture of a cancelled payment): a
  ``PaymentFailed`` subclass, with Stripe's code and message logged;
- a rate limit: ``GatewayUnavailable`` (Stripe did nothing);
- no answer, or a Stripe 5xx/409: ``GatewayTimeout`` for a POST (it may have acted),
  ``GatewayUnavailable`` for a read (a GET never acts).

A reused idempotency key with other parameters is a programming error (``ValueError``);
authentication and permission errors propagate: a wrong key must be loud.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings

from marketplace.core.errors import PaymentFailed
from marketplace.core.money import Money
from marketplace.payments.errors import (
    AmountTooSmall,
    CardDeclined,
    ChargeAlreadyCaptured,
    ChargeNotCapturable,
    ChargeNotFound,
    InvalidPaymentMethod,
    PayoutAccountNotFound,
    PayoutAccountRefused,
    PlatformBalanceInsufficient,
    RefundDeclined,
    RefundExceedsCharge,
    ReversalDeclined,
    ReversalExceedsTransfer,
    TransferDeclined,
    TransferNotFound,
)

from .base import AccountStatus, GatewayObject, GatewayResult, GatewayTimeout, GatewayUnavailable, PaymentStatus

logger = logging.getLogger(__name__)

# A refusal of a request: Stripe's error in, our PaymentFailed out (None: let Stripe's error propagate).
Refusal = Callable[[stripe.InvalidRequestError], PaymentFailed | None]

LIST_PAGE_SIZE = 100  # Stripe's largest page
# A ``created`` filter; every list's own type for it has this shape.
Created = stripe.params.PaymentIntentListParamsCreated


def stripe_client() -> stripe.StripeClient:
    """The SDK client the settings describe; tests replace it (or pass their own to StripeGateway)."""
    base = settings.STRIPE_API_BASE
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        max_network_retries=0,
        # The SDK waits 80 s by default: longer than a job may run (Q_CLUSTER["timeout"]). A call that
        # times out is a GatewayTimeout, called again later with the same idempotency key.
        http_client=stripe.new_default_http_client(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    )


def _code(error: stripe.StripeError) -> str:
    return error.code or ""


def _param(error: stripe.InvalidRequestError) -> str:
    return error.param or ""


def _not_found(error: stripe.InvalidRequestError) -> bool:
    return _code(error) == "resource_missing" or error.http_status == 404


def _stripe_says(error: stripe.StripeError) -> str:
    return f"(Stripe: {error.user_message or 'no message'})"


@contextmanager
def _calling_stripe(action: str, *, writes: bool, refusal: Refusal) -> Iterator[None]:
    """Turn the SDK's errors into the gateway's kinds (see the module docstring)."""
    try:
        yield
    except stripe.CardError as error:
        logger.info("Stripe declined the card (%s): %s %s", action, _code(error), error.user_message)
        raise CardDeclined(error.user_message or None) from error
    except stripe.IdempotencyError as error:
        raise ValueError(f"Stripe: the idempotency key of this {action} was used for another request") from error
    except stripe.InvalidRequestError as error:
        logger.warning(
            "Stripe refused the %s: code=%s param=%s request=%s: %s",
            action,
            _code(error),
            _param(error),
            error.request_id,
            error.user_message,
        )
        refused = refusal(error)
        if refused is None:
            raise
        raise refused from error
    except stripe.RateLimitError as error:
        raise GatewayUnavailable(f"Stripe is rate limiting requests; the {action} was not made.") from error
    except (stripe.APIConnectionError, stripe.APIError) as error:
        if writes:
            raise GatewayTimeout(f"Stripe did not answer the {action}: it may have been made. {error}") from error
        raise GatewayUnavailable(f"Stripe could not be read ({action}): {error}") from error


def _id(field: Any) -> str:
    """The id of an expandable field: a string, or the expanded object."""
    if field is None:
        return ""
    return field if isinstance(field, str) else field.id


def _timestamp(moment: datetime) -> int:
    # Stripe's ``created`` is in whole seconds: [10.5, 20.5) holds seconds 11 to 20.
    return math.ceil(moment.timestamp())


def _created_at(created: int) -> datetime:
    return datetime.fromtimestamp(created, tz=UTC)


def _money(minor: int, currency: str) -> Money:
    return Money(minor, currency.upper())


def _payment_result(intent: stripe.PaymentIntent) -> GatewayResult:
    """What a PaymentIntent's status means to us; a failed payment raises CardDeclined."""
    status = intent.status
    if status == "succeeded":
        return GatewayResult(reference=intent.id, status=PaymentStatus.SUCCEEDED)
    if status == "requires_capture":
        return GatewayResult(reference=intent.id, status=PaymentStatus.AUTHORIZED)
    if status == "requires_action":
        return GatewayResult(
            reference=intent.id, status=PaymentStatus.REQUIRES_ACTION, client_secret=intent.client_secret or ""
        )
    if status == "canceled":
        return GatewayResult(reference=intent.id, status=PaymentStatus.CANCELED)
    if status == "requires_payment_method":
        # Confirmed and failed: the card was declined, or the customer failed 3-D Secure.
        last_error = intent.last_payment_error
        raise CardDeclined((last_error.message if last_error else None) or "Your card was declined.")
    if status == "processing":
        # Not for cards in practice; the outcome is unknown for now, so the movement waits and asks again.
        raise GatewayTimeout(f"Stripe is still processing payment {intent.id}.")
    raise RuntimeError(f"PaymentIntent {intent.id} has an unexpected status {status!r} after confirmation")


# --- What each call's refusals mean ----------------------------------------------------


def _charge_refused(error: stripe.InvalidRequestError) -> PaymentFailed:
    if _param(error).startswith("payment_method"):
        return InvalidPaymentMethod("That payment method is not valid.")
    if _code(error) == "amount_too_small":
        return AmountTooSmall("The amount is below the smallest payment the card network accepts.")
    return PaymentFailed("The payment could not be made.")


def _capture_refused(error: stripe.InvalidRequestError) -> PaymentFailed:
    if _not_found(error):
        return ChargeNotFound(f"Stripe has no such payment {_stripe_says(error)}.")
    return ChargeNotCapturable(f"The payment can no longer be captured {_stripe_says(error)}.")


def _cancel_refused(error: stripe.InvalidRequestError) -> PaymentFailed:
    if _not_found(error):
        return ChargeNotFound(f"Stripe has no such payment {_stripe_says(error)}.")
    return ChargeAlreadyCaptured(f"The payment can no longer be released {_stripe_says(error)}.")


def _lookup_refused(error: stripe.InvalidRequestError) -> PaymentFailed | None:
    return ChargeNotFound(f"Stripe has no such payment {_stripe_says(error)}.") if _not_found(error) else None


def _refund_refused(error: stripe.InvalidRequestError) -> PaymentFailed:
    if _not_found(error):
        return ChargeNotFound(f"The charge to refund does not exist {_stripe_says(error)}.")
    if _code(error) in ("amount_too_large", "charge_already_refunded") or _param(error) == "amount":
        return RefundExceedsCharge(f"The refund exceeds what is left of the charge {_stripe_says(error)}.")
    return RefundDeclined(f"Stripe refused the refund {_stripe_says(error)}.")


def _transfer_refused(error: stripe.InvalidRequestError) -> PaymentFailed:
    if _code(error) == "balance_insufficient":
        return PlatformBalanceInsufficient(f"The platform's balance cannot fund the transfer {_stripe_says(error)}.")
    return TransferDeclined(f"Stripe refused the transfer {_stripe_says(error)}.")


def _reversal_refused(error: stripe.InvalidRequestError) -> PaymentFailed:
    if _not_found(error):
        return TransferNotFound(f"The transfer to reverse does not exist {_stripe_says(error)}.")
    if _code(error) == "balance_insufficient":
        return ReversalDeclined(f"The organizer's account has too little balance to reverse {_stripe_says(error)}.")
    if _code(error) == "amount_too_large" or _param(error) == "amount":
        return ReversalExceedsTransfer(f"The reversal exceeds what is left of the transfer {_stripe_says(error)}.")
    return ReversalDeclined(f"Stripe refused the transfer reversal {_stripe_says(error)}.")


def _account_refused(error: stripe.InvalidRequestError) -> PaymentFailed:
    if _not_found(error):
        return PayoutAccountNotFound(f"Stripe has no such payout account {_stripe_says(error)}.")
    return PayoutAccountRefused(f"Stripe refused the payout account request {_stripe_says(error)}.")


def _account_status(account: stripe.Account) -> AccountStatus:
    requirements = account.requirements
    return AccountStatus(
        reference=account.id,
        payouts_enabled=bool(account.payouts_enabled),
        details_submitted=bool(account.details_submitted),
        requirements_due=tuple(requirements.currently_due or ()) if requirements else (),
        requirements_past_due=tuple(requirements.past_due or ()) if requirements else (),
        disabled_reason=(requirements.disabled_reason or "") if requirements else "",
    )


class StripeGateway:
    """PaymentGateway on Stripe (see the module docstring)."""

    name = "stripe"

    def __init__(self, client: stripe.StripeClient | None = None) -> None:
        self.client = client or stripe_client()

    # --- Payments ----------------------------------------------------------------------

    def charge(
        self,
        *,
        amount: Money,
        payment_method: str,
        transfer_group: str,
        idempotency_key: str,
        description: str = "",
        capture: bool = True,
    ) -> GatewayResult:
        if amount.minor <= 0:
            raise AmountTooSmall("Nothing to charge.")
        with _calling_stripe("payment", writes=True, refusal=_charge_refused):
            intent = self.client.v1.payment_intents.create(
                params={
                    "amount": amount.minor,
                    "currency": amount.currency.lower(),
                    "payment_method": payment_method,
                    # Confirmed here, without a return_url: no redirect-based methods. 3-D Secure is
                    # finished in the customer's browser with the client secret (Stripe.js).
                    "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
                    "confirm": True,
                    "capture_method": "automatic" if capture else "manual",
                    "transfer_group": transfer_group,
                    "description": description,
                    "metadata": {"idempotency_key": idempotency_key, "transfer_group": transfer_group},
                },
                options={"idempotency_key": idempotency_key},
            )
        return _payment_result(intent)

    def capture(self, *, payment_reference: str, amount: Money, idempotency_key: str) -> GatewayResult:
        with _calling_stripe("capture", writes=True, refusal=_capture_refused):
            intent = self.client.v1.payment_intents.capture(
                payment_reference,
                params={"amount_to_capture": amount.minor},
                options={"idempotency_key": idempotency_key},
            )
        result = _payment_result(intent)
        if result.status != PaymentStatus.SUCCEEDED:
            raise ChargeNotCapturable(f"The payment was not captured: Stripe says it is {intent.status}.")
        return result

    def cancel_authorization(self, *, payment_reference: str, idempotency_key: str) -> GatewayResult:
        with _calling_stripe("cancellation", writes=True, refusal=_cancel_refused):
            intent = self.client.v1.payment_intents.cancel(
                payment_reference, options={"idempotency_key": idempotency_key}
            )
        if intent.status != "canceled":
            raise ChargeAlreadyCaptured(f"The payment was not released: Stripe says it is {intent.status}.")
        return GatewayResult(reference=intent.id, status=PaymentStatus.CANCELED)

    def payment_status(self, *, payment_reference: str) -> GatewayResult:
        return _payment_result(self._payment_intent(payment_reference))

    def _payment_intent(self, payment_reference: str) -> stripe.PaymentIntent:
        with _calling_stripe("payment lookup", writes=False, refusal=_lookup_refused):
            return self.client.v1.payment_intents.retrieve(payment_reference)

    def refund(self, *, payment_reference: str, amount: Money, idempotency_key: str) -> GatewayResult:
        if amount.minor <= 0:
            raise AmountTooSmall("Nothing to refund.")
        with _calling_stripe("refund", writes=True, refusal=_refund_refused):
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": payment_reference,
                    "amount": amount.minor,
                    "metadata": {"idempotency_key": idempotency_key},
                },
                options={"idempotency_key": idempotency_key},
            )
        if refund.status in ("failed", "canceled"):
            raise RefundDeclined(f"Stripe did not make the refund: it is {refund.status}.")
        return GatewayResult(reference=refund.id)

    # --- Payouts -------------------------------------------------------------------------

    def transfer(
        self, *, amount: Money, destination: str, transfer_group: str, idempotency_key: str, source_reference: str = ""
    ) -> GatewayResult:
        if amount.minor <= 0:
            raise AmountTooSmall("Nothing to transfer.")
        params: stripe.params.TransferCreateParams = {
            "amount": amount.minor,
            "currency": amount.currency.lower(),
            "destination": destination,
            "transfer_group": transfer_group,
            "metadata": {"idempotency_key": idempotency_key, "transfer_group": transfer_group},
        }
        if source_reference:
            # Funded by that payment's charge: the transfer waits for its funds, not the platform's balance.
            charge = _id(self._payment_intent(source_reference).latest_charge)
            if not charge:
                raise TransferDeclined(f"The payment {source_reference} that funds the transfer has no charge.")
            params["source_transaction"] = charge
        with _calling_stripe("transfer", writes=True, refusal=_transfer_refused):
            transfer = self.client.v1.transfers.create(params=params, options={"idempotency_key": idempotency_key})
        return GatewayResult(reference=transfer.id)

    def reverse_transfer(self, *, transfer_reference: str, amount: Money, idempotency_key: str) -> GatewayResult:
        if amount.minor <= 0:
            raise AmountTooSmall("Nothing to reverse.")
        with _calling_stripe("transfer reversal", writes=True, refusal=_reversal_refused):
            reversal = self.client.v1.transfers.reversals.create(
                transfer_reference,
                params={"amount": amount.minor, "metadata": {"idempotency_key": idempotency_key}},
                options={"idempotency_key": idempotency_key},
            )
        return GatewayResult(reference=reversal.id)

    # --- Payout accounts (Connect Express) -----------------------------------------------

    def create_account(self, *, email: str, country: str, idempotency_key: str) -> AccountStatus:
        with _calling_stripe("payout account", writes=True, refusal=_account_refused):
            account = self.client.v1.accounts.create(
                params={
                    "type": "express",
                    "email": email,
                    "country": country or settings.STRIPE_CONNECT_COUNTRY,
                    "capabilities": {"transfers": {"requested": True}},  # separate charges and transfers need no more
                    "metadata": {"idempotency_key": idempotency_key},
                },
                options={"idempotency_key": idempotency_key},
            )
        return _account_status(account)

    def account_link(self, *, account_reference: str, refresh_url: str, return_url: str) -> str:
        # No idempotency key: a link is single-use and expires within minutes, so a repeated
        # request must get a fresh one, and a second link does no harm.
        with _calling_stripe("payout account link", writes=True, refusal=_account_refused):
            link = self.client.v1.account_links.create(
                params={
                    "account": account_reference,
                    "refresh_url": refresh_url,
                    "return_url": return_url,
                    "type": "account_onboarding",
                }
            )
        return link.url

    def account_status(self, *, account_reference: str) -> AccountStatus:
        with _calling_stripe("payout account lookup", writes=False, refusal=_account_refused):
            account = self.client.v1.accounts.retrieve(account_reference)
        return _account_status(account)

    # --- Reconciliation ------------------------------------------------------------------

    def objects(self, *, created_from: datetime, created_to: datetime) -> Iterator[GatewayObject]:
        """Captured payments, refunds, transfers and transfer reversals created in [created_from, created_to).

        Stripe lists newest first: each kind is read in full, then all are yielded oldest first
        (a period's objects are held in memory: a day's are a few megabytes at most). Kinds are
        MovementKind's values, spelt out: mypy has no Django stubs to read the TextChoices from.
        """
        created: Created = {
            "gte": _timestamp(created_from),
            "lt": _timestamp(created_to),
        }
        with _calling_stripe("reconciliation listing", writes=False, refusal=lambda error: None):
            found: list[GatewayObject] = []
            for kind in (self._payments, self._refunds, self._transfers, self._reversals):
                found.extend(reversed(list(kind(created))))
        yield from sorted(found, key=lambda obj: obj.created_at)  # stable: same-second objects keep their order

    def count_objects(self, *, created_from: datetime, created_to: datetime) -> int | None:
        return None  # Stripe cannot count without listing everything

    def _payments(self, created: Created) -> Iterable[GatewayObject]:
        intents = self.client.v1.payment_intents.list(params={"created": created, "limit": LIST_PAGE_SIZE})
        for intent in intents.auto_paging_iter():
            if intent.status == "succeeded":  # captured; authorisations and failures moved no money
                yield GatewayObject(
                    reference=intent.id,
                    kind="charge",
                    amount=_money(intent.amount_received, intent.currency),
                    created_at=_created_at(intent.created),
                )

    def _refunds(self, created: Created) -> Iterable[GatewayObject]:
        refunds = self.client.v1.refunds.list(params={"created": created, "limit": LIST_PAGE_SIZE})
        for refund in refunds.auto_paging_iter():
            if refund.status in ("failed", "canceled"):
                continue  # no money went back: a ledger posting of it shows as unknown
            yield GatewayObject(
                reference=refund.id,
                kind="refund",
                amount=_money(refund.amount, refund.currency),
                created_at=_created_at(refund.created),
                source_reference=_id(refund.payment_intent),
            )

    def _transfers(self, created: Created) -> Iterable[GatewayObject]:
        transfers = self.client.v1.transfers.list(params={"created": created, "limit": LIST_PAGE_SIZE})
        for transfer in transfers.auto_paging_iter():
            yield GatewayObject(
                reference=transfer.id,
                kind="transfer",
                amount=_money(transfer.amount, transfer.currency),
                created_at=_created_at(transfer.created),
            )

    def _reversals(self, created: Created) -> Iterable[GatewayObject]:
        # Stripe lists reversals only per transfer; the platform's balance transactions of type
        # transfer_refund list them all, each with its reversal expanded.
        transactions = self.client.v1.balance_transactions.list(
            params={"created": created, "type": "transfer_refund", "limit": LIST_PAGE_SIZE, "expand": ["data.source"]}
        )
        for transaction in transactions.auto_paging_iter():
            reversal = transaction.source
            if not isinstance(reversal, stripe.TransferReversal):
                raise RuntimeError(f"balance transaction {transaction.id} is not a transfer reversal: {reversal!r}")
            yield GatewayObject(
                reference=reversal.id,
                kind="reversal",
                amount=_money(reversal.amount, reversal.currency),
                created_at=_created_at(reversal.created),
                source_reference=_id(reversal.transfer),
            )
