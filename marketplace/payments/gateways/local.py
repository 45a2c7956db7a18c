"""The local gateway: a complete in-process stand-in for the payment processor.

It keeps its books in the database (LocalGatewayOperation), committed on their own
as a processor's would be (the money service calls it outside any transaction), and
honours idempotency keys the way Stripe does: a repeated key returns the first
result. Test payment methods follow Stripe's names: ``pm_card_visa`` and friends
succeed, ``pm_card_chargeDeclined`` and ``pm_card_chargeDeclinedInsufficientFunds``
are declined.

Tests can make any call fail (``local_gateway_faults``): ``"error"`` fails before the
gateway acts (nothing happened), ``"timeout"`` acts and then loses the answer (it
happened, the caller does not know), ``"decline"`` refuses for good.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from marketplace.core.money import Money
from marketplace.payments.errors import (
    AmountTooSmall,
    CardDeclined,
    ChargeNotFound,
    InvalidPaymentMethod,
    RefundDeclined,
    RefundExceedsCharge,
    ReversalDeclined,
    ReversalExceedsTransfer,
    TransferDeclined,
    TransferNotFound,
)

from ..models import LocalGatewayOperation
from .base import GatewayObject, GatewayResult, GatewayTimeout, GatewayUnavailable

DECLINED_METHODS = {
    "pm_card_chargeDeclined": "Your card was declined.",
    "pm_card_chargeDeclinedInsufficientFunds": "Your card has insufficient funds.",
    "pm_card_chargeDeclinedExpiredCard": "Your card has expired.",
}
ACCEPTED_PREFIX = "pm_"

Kind = LocalGatewayOperation.Kind
DECLINES = {
    Kind.CHARGE: lambda: CardDeclined("Your card was declined."),
    Kind.REFUND: lambda: RefundDeclined("The payment processor refused the refund."),
    Kind.TRANSFER: lambda: TransferDeclined("The organizer's payout account refused the transfer."),
    Kind.REVERSAL: lambda: ReversalDeclined("The organizer's account has too little balance to reverse the transfer."),
}

# Upcoming outcomes per operation kind, consumed one per call: tests only (see local_gateway_faults).
_faults: dict[str, list[str]] = {}
FAULTS = ("error", "timeout", "decline")


@contextmanager
def local_gateway_faults(**plans: list[str]) -> Iterator[dict[str, list[str]]]:
    """Make the next calls of each kind fail, e.g. ``local_gateway_faults(charge=["timeout"], transfer=["error"])``.

    Each entry is used by one call, in order; calls after the list is used up succeed.
    Yields the remaining plans, so a test can check every fault was used.
    """
    for kind, plan in plans.items():
        if kind not in Kind.values or any(fault not in FAULTS for fault in plan):
            raise ValueError(f"unknown fault plan {kind}={plan}")
    previous = dict(_faults)
    _faults.clear()
    _faults.update({kind: list(plan) for kind, plan in plans.items()})
    try:
        yield _faults
    finally:
        _faults.clear()
        _faults.update(previous)


def _next_fault(kind: str) -> str | None:
    plan = _faults.get(kind)
    return plan.pop(0) if plan else None


class LocalGateway:
    name = "local"

    def _record(self, *, kind: str, prefix: str, idempotency_key: str, amount: Money, **fields) -> GatewayResult:
        fault = _next_fault(kind)
        if fault == "error":
            raise GatewayUnavailable(f"The local gateway failed before the {kind} (injected fault).")
        if fault == "decline" and not LocalGatewayOperation.objects.filter(idempotency_key=idempotency_key).exists():
            raise DECLINES[kind]()
        try:
            # A new key is the common case: insert, and read only when the key was used before. Outside a
            # transaction the INSERT commits on its own; inside one (the demo's replay) a savepoint keeps
            # the caller's transaction usable after a repeated key.
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
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
            if operation.kind != kind or operation.amount_minor != amount.minor:
                raise ValueError(f"idempotency key {idempotency_key!r} was used for a different request") from None
        if fault == "timeout":
            raise GatewayTimeout(f"The local gateway did the {kind} but its answer was lost (injected fault).")
        return GatewayResult(reference=operation.reference)

    def charge(self, *, amount, payment_method, transfer_group, idempotency_key, description=""):
        if not payment_method or not payment_method.startswith(ACCEPTED_PREFIX):
            raise InvalidPaymentMethod("That payment method is not valid.")
        if payment_method in DECLINED_METHODS:
            raise CardDeclined(DECLINED_METHODS[payment_method])
        if amount.minor <= 0:
            raise AmountTooSmall("Nothing to charge.")
        return self._record(
            kind=Kind.CHARGE,
            prefix="ch",
            idempotency_key=idempotency_key,
            amount=amount,
            payment_method=payment_method,
            transfer_group=transfer_group,
        )

    def transfer(self, *, amount, destination, transfer_group, idempotency_key):
        if amount.minor <= 0:
            raise AmountTooSmall("Nothing to transfer.")
        return self._record(
            kind=Kind.TRANSFER,
            prefix="tr",
            idempotency_key=idempotency_key,
            amount=amount,
            destination=destination,
            transfer_group=transfer_group,
        )

    def _source_with_room(self, *, kind, source_kind, source_reference, amount, idempotency_key, errors):
        """The charge a refund returns (or the transfer a reversal takes back), once the amount fits what is left.

        ``errors``: the (not found, nothing asked, too much) refusals in this movement's words.
        """
        not_found, nothing, too_much = errors
        source = LocalGatewayOperation.objects.filter(kind=source_kind, reference=source_reference).first()
        if source is None:
            raise not_found
        if amount.minor <= 0:
            raise nothing
        taken_back = (
            LocalGatewayOperation.objects.filter(kind=kind, source_reference=source_reference)
            .exclude(idempotency_key=idempotency_key)
            .aggregate(total=Sum("amount_minor"))["total"]
            or 0
        )
        if taken_back + amount.minor > source.amount_minor:
            raise too_much
        return source

    def refund(self, *, payment_reference, amount, idempotency_key):
        self._source_with_room(
            kind=Kind.REFUND,
            source_kind=Kind.CHARGE,
            source_reference=payment_reference,
            amount=amount,
            idempotency_key=idempotency_key,
            errors=(
                ChargeNotFound("The charge to refund does not exist."),
                AmountTooSmall("Nothing to refund."),
                RefundExceedsCharge("The refund exceeds what was charged."),
            ),
        )
        return self._record(
            kind=Kind.REFUND,
            prefix="re",
            idempotency_key=idempotency_key,
            amount=amount,
            source_reference=payment_reference,
        )

    def reverse_transfer(self, *, transfer_reference, amount, idempotency_key):
        transfer = self._source_with_room(
            kind=Kind.REVERSAL,
            source_kind=Kind.TRANSFER,
            source_reference=transfer_reference,
            amount=amount,
            idempotency_key=idempotency_key,
            errors=(
                TransferNotFound("The transfer to reverse does not exist."),
                AmountTooSmall("Nothing to reverse."),
                ReversalExceedsTransfer("The reversal exceeds what was transferred."),
            ),
        )
        return self._record(
            kind=Kind.REVERSAL,
            prefix="trr",
            idempotency_key=idempotency_key,
            amount=amount,
            source_reference=transfer_reference,
            destination=transfer.destination,
        )

    def _operations(self, *, created_from, created_to):
        return LocalGatewayOperation.objects.filter(created_at__gte=created_from, created_at__lt=created_to)

    def objects(self, *, created_from, created_to):
        for operation in (
            self._operations(created_from=created_from, created_to=created_to)
            .order_by("created_at", "id")
            .iterator(chunk_size=2000)
        ):
            yield GatewayObject(
                reference=operation.reference,
                kind=operation.kind,
                amount=Money(operation.amount_minor, operation.currency),
                created_at=operation.created_at,
                source_reference=operation.source_reference,
            )

    def count_objects(self, *, created_from, created_to):
        return self._operations(created_from=created_from, created_to=created_to).count()
