"""The small interface every payment gateway implements.

Escrow on Stripe is "separate charges and transfers": the customer is charged to
the platform's balance, and the vendor's share is transferred on release, grouped
by ``transfer_group`` (the booking). Every call carries an idempotency key, so a
retry never charges, transfers or refunds twice: a repeated key returns the first
result.

A gateway raises one of three kinds of error:

- a ``PaymentFailed`` subclass (card declined, refund above the charge...): the
  gateway refused for good and did nothing;
- ``GatewayUnavailable``: it could not be reached or failed before doing anything;
- ``GatewayTimeout``: no answer came back, so whether it acted is unknown.

The last two are transient: the movement stays pending and is called again with
the same key, which either does it now or returns what was already done.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from marketplace.core.money import Money


class PaymentStatus:
    """What became of a payment at the gateway (``GatewayResult.status`` of a charge, capture or lookup)."""

    SUCCEEDED = "succeeded"  # captured: the money is in the platform's balance
    AUTHORIZED = "authorized"  # held on the card until captured or cancelled (a request to book)
    REQUIRES_ACTION = "requires_action"  # the customer must authenticate (3-D Secure) in their browser
    CANCELED = "canceled"  # an authorization released, or a payment abandoned: nothing was taken


@dataclass(frozen=True)
class GatewayResult:
    """The gateway's answer: its object's id, and for a payment its status.

    ``client_secret`` comes with ``requires_action``: the customer's browser finishes the
    payment with it (Stripe.js), and the gateway's answer arrives later (a webhook, or a
    lookup with ``payment_status``).
    """

    reference: str
    status: str = PaymentStatus.SUCCEEDED
    client_secret: str = ""


@dataclass(frozen=True)
class AccountStatus:
    """What the gateway says of an organizer's payout account (Stripe Connect: the Account object)."""

    reference: str
    payouts_enabled: bool
    details_submitted: bool
    requirements_due: tuple[str, ...] = ()  # what the organizer must still provide
    requirements_past_due: tuple[str, ...] = ()  # what is overdue: payouts (and new bookings) stop
    disabled_reason: str = ""


@dataclass(frozen=True)
class GatewayObject:
    """One money object as the gateway reports it, for reconciliation."""

    reference: str
    kind: str  # charge, refund, transfer, reversal (marketplace.payments.models.MovementKind)
    amount: Money
    created_at: datetime
    source_reference: str = ""  # the charge a refund returns, the transfer a reversal takes back


class GatewayUnavailable(Exception):
    """The gateway could not be reached or failed before acting: safe to call again."""


class GatewayTimeout(Exception):
    """The call was sent but no answer came: it may or may not have happened. Call again with the same key."""


class PaymentGateway(Protocol):
    name: str

    def charge(
        self,
        *,
        amount: Money,
        payment_method: str,
        transfer_group: str,
        idempotency_key: str,
        description: str,
        capture: bool = True,
    ) -> GatewayResult:
        """Take ``amount`` from the customer into the platform's balance, or raise PaymentFailed.

        ``capture=False`` only authorises it (status ``authorized``), to be captured with
        ``capture`` or released with ``cancel_authorization``. The status may also be
        ``requires_action`` (3-D Secure): nothing is taken until the customer authenticates.
        """

    def capture(self, *, payment_reference: str, amount: Money, idempotency_key: str) -> GatewayResult:
        """Capture an authorised payment (all of ``amount``); raise PaymentFailed if it can no longer be."""

    def cancel_authorization(self, *, payment_reference: str, idempotency_key: str) -> GatewayResult:
        """Release an authorised payment that will not be captured; status ``canceled``."""

    def payment_status(self, *, payment_reference: str) -> GatewayResult:
        """Where a payment stands now (after the customer's 3-D Secure step, or to recover a lost answer)."""

    def transfer(
        self, *, amount: Money, destination: str, transfer_group: str, idempotency_key: str, source_reference: str = ""
    ) -> GatewayResult:
        """Pay ``amount`` from the platform balance to a vendor's connected account.

        ``source_reference`` is the payment that funds it (Stripe: ``source_transaction``,
        so the transfer waits for that charge's funds instead of the platform's balance).
        """

    def reverse_transfer(self, *, transfer_reference: str, amount: Money, idempotency_key: str) -> GatewayResult:
        """Take ``amount`` of a transfer back from the vendor's account into the platform balance."""

    def refund(self, *, payment_reference: str, amount: Money, idempotency_key: str) -> GatewayResult:
        """Return ``amount`` of a captured charge to the customer."""

    def create_account(self, *, email: str, country: str, idempotency_key: str) -> AccountStatus:
        """Open a payout account for an organizer (Stripe: a Connect Express account)."""

    def account_link(self, *, account_reference: str, refresh_url: str, return_url: str) -> str:
        """A one-time address where the organizer completes their account with the gateway."""

    def account_status(self, *, account_reference: str) -> AccountStatus:
        """The account as the gateway sees it now."""

    def objects(self, *, created_from: datetime, created_to: datetime) -> Iterable[GatewayObject]:
        """Every charge, refund, transfer and reversal created in [created_from, created_to), oldest first."""

    def count_objects(self, *, created_from: datetime, created_to: datetime) -> int | None:
        """How many ``objects()`` yields, when the gateway can tell cheaply (for a progress bar); else None."""
