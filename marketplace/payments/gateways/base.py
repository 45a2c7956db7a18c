"""The small interface every payment gateway implements.

Escrow on Stripe is "separate charges and transfers": the customer is charged to
the platform's balance, and the vendor's share is transferred on release, grouped
by ``transfer_group`` (the booking). Every call carries an idempotency key, so a
retry never charges, transfers or refunds twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from marketplace.core.money import Money


@dataclass(frozen=True)
class GatewayResult:
    reference: str


class PaymentGateway(Protocol):
    name: str

    def charge(
        self, *, amount: Money, payment_method: str, transfer_group: str, idempotency_key: str, description: str
    ) -> GatewayResult:
        """Capture ``amount`` from the customer into the platform balance, or raise PaymentFailed."""

    def transfer(self, *, amount: Money, destination: str, transfer_group: str, idempotency_key: str) -> GatewayResult:
        """Pay ``amount`` from the platform balance to a vendor's connected account."""

    def refund(self, *, payment_reference: str, amount: Money, idempotency_key: str) -> GatewayResult:
        """Return ``amount`` of a captured charge to the customer."""
