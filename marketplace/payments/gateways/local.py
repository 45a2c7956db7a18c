"""The local gateway: a complete in-process stand-in for the payment processor.

It keeps its books in the database (LocalGatewayOperation), in the same
transaction as the marketplace's own writes, and honours idempotency keys the way
Stripe does: a repeated key returns the first result. Test payment methods follow
Stripe's names: ``pm_card_visa`` and friends succeed, ``pm_card_chargeDeclined``
and ``pm_card_chargeDeclinedInsufficientFunds`` are declined.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.db.models import Sum

from marketplace.core.money import Money
from marketplace.payments.errors import (
    AmountTooSmall,
    CardDeclined,
    ChargeNotFound,
    InvalidPaymentMethod,
    RefundExceedsCharge,
)

from ..models import LocalGatewayOperation
from .base import GatewayResult

DECLINED_METHODS = {
    "pm_card_chargeDeclined": "Your card was declined.",
    "pm_card_chargeDeclinedInsufficientFunds": "Your card has insufficient funds.",
    "pm_card_chargeDeclinedExpiredCard": "Your card has expired.",
}
ACCEPTED_PREFIX = "pm_"


class LocalGateway:
    name = "local"

    def _record(self, *, kind: str, prefix: str, idempotency_key: str, amount: Money, **fields) -> GatewayResult:
        existing = LocalGatewayOperation.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.kind != kind or existing.amount_minor != amount.minor:
                raise ValueError(f"idempotency key {idempotency_key!r} was used for a different request")
            return GatewayResult(reference=existing.reference)
        try:
            with transaction.atomic():
                operation = LocalGatewayOperation.objects.create(
                    kind=kind,
                    reference=f"{prefix}_local_{secrets.token_hex(10)}",
                    idempotency_key=idempotency_key,
                    amount_minor=amount.minor,
                    currency=amount.currency,
                    **fields,
                )
        except IntegrityError:
            operation = LocalGatewayOperation.objects.get(idempotency_key=idempotency_key)
        return GatewayResult(reference=operation.reference)

    def charge(self, *, amount, payment_method, transfer_group, idempotency_key, description=""):
        if not payment_method or not payment_method.startswith(ACCEPTED_PREFIX):
            raise InvalidPaymentMethod("That payment method is not valid.")
        if payment_method in DECLINED_METHODS:
            raise CardDeclined(DECLINED_METHODS[payment_method])
        if amount.minor <= 0:
            raise AmountTooSmall("Nothing to charge.")
        return self._record(
            kind=LocalGatewayOperation.Kind.CHARGE,
            prefix="ch",
            idempotency_key=idempotency_key,
            amount=amount,
            payment_method=payment_method,
            transfer_group=transfer_group,
        )

    def transfer(self, *, amount, destination, transfer_group, idempotency_key):
        return self._record(
            kind=LocalGatewayOperation.Kind.TRANSFER,
            prefix="tr",
            idempotency_key=idempotency_key,
            amount=amount,
            destination=destination,
            transfer_group=transfer_group,
        )

    def refund(self, *, payment_reference, amount, idempotency_key):
        charge = LocalGatewayOperation.objects.filter(
            kind=LocalGatewayOperation.Kind.CHARGE, reference=payment_reference
        ).first()
        if charge is None:
            raise ChargeNotFound("The charge to refund does not exist.")
        refunded = (
            LocalGatewayOperation.objects.filter(
                kind=LocalGatewayOperation.Kind.REFUND, source_reference=payment_reference
            )
            .exclude(idempotency_key=idempotency_key)
            .aggregate(total=Sum("amount_minor"))["total"]
            or 0
        )
        if refunded + amount.minor > charge.amount_minor:
            raise RefundExceedsCharge("The refund exceeds what was charged.")
        return self._record(
            kind=LocalGatewayOperation.Kind.REFUND,
            prefix="re",
            idempotency_key=idempotency_key,
            amount=amount,
            source_reference=payment_reference,
        )
