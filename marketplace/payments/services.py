"""Money movements: capture into escrow, release to the vendor, refund.

Each function runs inside the caller's transaction or its own, locks the
Transaction row, checks the allowed move, calls the gateway with an idempotency
key derived from the booking, and writes one balanced ledger entry per movement.
The ledger's (transaction, kind) uniqueness makes a second capture, release or
refund impossible even if two requests race.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction as db_transaction
from django.utils import timezone

from marketplace.accounts.errors import AdminOnly
from marketplace.accounts.models import User
from marketplace.bookings.errors import AwaitingQuote
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.catalog.models import Service
from marketplace.core.audit import audit_log
from marketplace.core.errors import NotFound
from marketplace.core.money import Money
from marketplace.payments.errors import (
    AlreadyPaid,
    AlreadyReleased,
    BookingNotCompleted,
    PaymentNotHeld,
    PayoutNeedsApproval,
)
from marketplace.vendors.models import Vendor

from .gateways import get_gateway
from .models import EntryKind, LedgerAccount, LedgerEntry, LedgerLine, Transaction, TransactionStatus

Line = tuple[str, int, Vendor | None]


def commission_bps_for(service: Service) -> int:
    """Vendor override, else category override, else the platform default."""
    if service.vendor.commission_bps is not None:
        return service.vendor.commission_bps
    if service.category.commission_bps is not None:
        return service.category.commission_bps
    return settings.PLATFORM_COMMISSION_BPS


def ledger_post(*, transaction: Transaction, kind: str, lines: list[Line], memo: str = "") -> LedgerEntry:
    """Write one balanced entry. Zero lines are dropped; the rest must sum to zero."""
    lines = [line for line in lines if line[1] != 0]
    if sum(amount for _, amount, _ in lines) != 0:
        raise ValueError(f"unbalanced ledger entry {kind}: {lines}")
    entry = LedgerEntry.objects.create(transaction=transaction, kind=kind, memo=memo[:255])
    LedgerLine.objects.bulk_create(
        LedgerLine(entry=entry, account=account, amount_minor=amount, vendor=vendor, currency=transaction.currency)
        for account, amount, vendor in lines
    )
    return entry


def _key(booking: Booking, operation: str) -> str:
    return f"{booking.reference}:{operation}"


def escrow_capture(*, booking: Booking, payment_method: str) -> Transaction:
    """Charge the booking's full price into escrow. The caller holds the booking's row lock."""
    if Transaction.objects.filter(booking=booking).exists():
        raise AlreadyPaid("This booking is already paid.")
    if booking.price is None:
        raise AwaitingQuote("The organizer has not sent a quote for this booking yet.")
    amount: Money = booking.price
    bps = commission_bps_for(booking.service)
    fee, payout = amount.split_by_bps(bps)
    gateway = get_gateway()
    result = gateway.charge(
        amount=amount,
        payment_method=payment_method,
        transfer_group=booking.reference,
        idempotency_key=_key(booking, "charge"),
        description=f"{booking.service.title} ({booking.reference})",
    )
    with db_transaction.atomic():
        txn = Transaction.objects.create(
            booking=booking,
            currency=amount.currency,
            amount_minor=amount.minor,
            commission_bps=bps,
            platform_fee_minor=fee.minor,
            vendor_payout_minor=payout.minor,
            status=TransactionStatus.HELD,
            gateway=gateway.name,
            payment_reference=result.reference,
            captured_at=timezone.now(),
        )
        ledger_post(
            transaction=txn,
            kind=EntryKind.CAPTURE,
            lines=[
                (LedgerAccount.PROCESSOR_CASH, amount.minor, None),
                (LedgerAccount.CUSTOMER_ESCROW, -amount.minor, None),
            ],
            memo=f"Payment for {booking.reference}",
        )
        audit_log(
            actor=booking.customer,
            action="payment.captured",
            target=txn,
            data={"amount_minor": amount.minor, "currency": amount.currency, "commission_bps": bps},
        )
    return txn


def escrow_refund(*, booking: Booking, actor: User | None, reason: str) -> Transaction | None:
    """Return a held payment in full. Returns None when nothing was paid."""
    txn = Transaction.objects.select_for_update().filter(booking=booking).first()
    if txn is None:
        return None
    if txn.status != TransactionStatus.HELD:
        raise PaymentNotHeld(f"The payment is already {txn.get_status_display().lower()}.")
    result = get_gateway().refund(
        payment_reference=txn.payment_reference, amount=txn.amount, idempotency_key=_key(booking, "refund")
    )
    with db_transaction.atomic():
        txn.status = TransactionStatus.REFUNDED
        txn.refund_reference = result.reference
        txn.refunded_at = timezone.now()
        txn.save(update_fields=["status", "refund_reference", "refunded_at"])
        ledger_post(
            transaction=txn,
            kind=EntryKind.REFUND,
            lines=[
                (LedgerAccount.CUSTOMER_ESCROW, txn.amount_minor, None),
                (LedgerAccount.PROCESSOR_CASH, -txn.amount_minor, None),
            ],
            memo=f"Refund of {booking.reference}: {reason}",
        )
        audit_log(
            actor=actor, action="payment.refunded", target=txn, reason=reason, data={"amount_minor": txn.amount_minor}
        )
    return txn


def escrow_settle_on_completion(*, booking: Booking) -> Transaction:
    """Decide, when the work is confirmed, whether the payout may go out without an admin.

    Large payouts and flagged vendors wait for approval in the back office.
    """
    txn = Transaction.objects.select_for_update().filter(booking=booking).first()
    if txn is None or txn.status != TransactionStatus.HELD:
        raise PaymentNotHeld("This booking has no payment held in escrow.")
    txn.payout_needs_approval = (
        txn.amount_minor > settings.PAYOUT_APPROVAL_THRESHOLD_MINOR or booking.vendor.payouts_need_approval
    )
    txn.save(update_fields=["payout_needs_approval"])
    return txn


def payout_release(*, booking_id: int, actor: User | None, reason: str = "") -> Transaction:
    """Release escrow: keep the commission, transfer the vendor's share.

    ``actor`` is the approving admin, or None when the automatic job releases a
    payout that needs no approval. Running it twice releases once.
    """
    if actor is not None and not actor.is_platform_admin:
        raise AdminOnly("Only admins can release payouts.")
    with db_transaction.atomic():
        txn = (
            Transaction.objects.select_for_update(of=("self",))
            .select_related("booking__vendor__profile")
            .filter(booking_id=booking_id)
            .first()
        )
        if txn is None:
            if not Booking.objects.filter(pk=booking_id).exists():
                raise NotFound("Booking not found.")
            raise PaymentNotHeld("This booking has no payment to release.")
        booking = txn.booking
        if txn.status == TransactionStatus.RELEASED:
            if actor is None:
                return txn  # the job ran twice: nothing to do
            raise AlreadyReleased("The payout for this booking was already released.")
        if txn.status != TransactionStatus.HELD:
            raise PaymentNotHeld(f"The payment was {txn.get_status_display().lower()}.")
        if booking.status != BookingStatus.COMPLETED:
            raise BookingNotCompleted("The payout is released only after the booking is completed.")
        if txn.payout_needs_approval and actor is None:
            raise PayoutNeedsApproval("This payout waits for an admin's approval.")

        vendor = booking.vendor
        ledger_post(
            transaction=txn,
            kind=EntryKind.RELEASE,
            lines=[
                (LedgerAccount.CUSTOMER_ESCROW, txn.amount_minor, None),
                (LedgerAccount.PLATFORM_COMMISSION, -txn.platform_fee_minor, None),
                (LedgerAccount.VENDOR_PAYABLE, -txn.vendor_payout_minor, vendor),
            ],
            memo=f"Release of {booking.reference}",
        )
        if txn.vendor_payout_minor:
            profile = getattr(vendor, "profile", None)
            result = get_gateway().transfer(
                amount=txn.vendor_payout,
                destination=(profile.stripe_account_id if profile else "") or f"vendor_{vendor.pk}",
                transfer_group=booking.reference,
                idempotency_key=_key(booking, "transfer"),
            )
            txn.transfer_reference = result.reference
            ledger_post(
                transaction=txn,
                kind=EntryKind.PAYOUT,
                lines=[
                    (LedgerAccount.VENDOR_PAYABLE, txn.vendor_payout_minor, vendor),
                    (LedgerAccount.PROCESSOR_CASH, -txn.vendor_payout_minor, None),
                ],
                memo=f"Transfer to {vendor.business_name} for {booking.reference}",
            )
        txn.status = TransactionStatus.RELEASED
        txn.released_at = timezone.now()
        txn.released_by = actor
        txn.save(update_fields=["status", "released_at", "released_by", "transfer_reference"])
        audit_log(
            actor=actor,
            action="payout.approved" if actor else "payout.released",
            target=txn,
            reason=reason,
            data={"vendor_payout_minor": txn.vendor_payout_minor, "platform_fee_minor": txn.platform_fee_minor},
        )
    return txn
