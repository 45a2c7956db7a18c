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


@dataclass(frozen=True)
class GatewayResult:
    reference: str


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
        self, *, amount: Money, payment_method: str, transfer_group: str, idempotency_key: str, description: str
    ) -> GatewayResult:
        """Capture ``amount`` from the customer into the platform balance, or raise PaymentFailed."""

    def transfer(self, *, amount: Money, destination: str, transfer_group: str, idempotency_key: str) -> GatewayResult:
        """Pay ``amount`` from the platform balance to a vendor's connected account."""

    def reverse_transfer(self, *, transfer_reference: str, amount: Money, idempotency_key: str) -> GatewayResult:
        """Take ``amount`` of a transfer back from the vendor's account into the platform balance."""

    def refund(self, *, payment_reference: str, amount: Money, idempotency_key: str) -> GatewayResult:
        """Return ``amount`` of a captured charge to the customer."""

    def objects(self, *, created_from: datetime, created_to: datetime) -> Iterable[GatewayObject]:
        """Every charge, refund, transfer and reversal created in [created_from, created_to), oldest first."""

    def count_objects(self, *, created_from: datetime, created_to: datetime) -> int | None:
        """How many ``objects()`` yields, when the gateway can tell cheaply (for a progress bar); else None."""
