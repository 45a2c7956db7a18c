"""Money movements: capture into escrow, escrow release to the vendor, refund.

The money service sits below bookings: the booking workflow calls it and it never
reads a booking's status. It keeps its own state on the Transaction (held, due for
release, released, refunded), takes what it needs as arguments, and reads the
booking row only for its reference and its vendor.

Each function runs inside the caller's transaction or its own, locks the
Transaction row, checks the allowed move, calls the gateway with an idempotency key
derived from the booking, and writes one balanced ledger entry per movement. The
ledger's (transaction, kind) uniqueness makes a second capture, release or refund
impossible even if two requests race.

Vocabulary (one name per concept): a payment is *captured* into escrow; when the
work is confirmed an *escrow release* is *requested* (``escrow_release_request``),
which decides whether the payout needs an admin's approval; the *escrow release*
(``escrow_release``, the job of the same name, and ``escrow_release_sweep``) keeps
the commission and transfers the vendor's share; a *refund* returns the money.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction as db_transaction
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.accounts.policy import require_platform_admin
from marketplace.catalog.models import Service
from marketplace.core.audit import audit_log
from marketplace.core.errors import NotFound
from marketplace.core.jobs import enqueue
from marketplace.core.money import Money
from marketplace.vendors.models import Vendor

from .errors import AlreadyPaid, AlreadyReleased, BookingNotCompleted, PaymentNotHeld, PayoutNeedsApproval
from .gateways import get_gateway
from .models import EntryKind, LedgerAccount, LedgerEntry, LedgerLine, Transaction, TransactionStatus
from .policy import payout_approval_grounds

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


def _key(reference: str, operation: str) -> str:
    return f"{reference}:{operation}"


def _lock(booking_id: int) -> Transaction | None:
    return (
        Transaction.objects.select_for_update(of=("self",))
        .select_related("booking__vendor__profile")
        .filter(booking_id=booking_id)
        .first()
    )


def escrow_capture(
    *,
    booking_id: int,
    reference: str,
    service: Service,
    amount: Money,
    payer: User,
    payment_method: str,
    description: str,
) -> Transaction:
    """Charge a booking's full price into escrow. The caller holds the booking's row lock.

    The commission in force now (``commission_bps_for``) is fixed on the payment, so a
    later change of rate never changes what this booking pays.
    """
    if Transaction.objects.filter(booking_id=booking_id).exists():
        raise AlreadyPaid("This booking is already paid.")
    bps = commission_bps_for(service)
    fee, payout = amount.split_by_bps(bps)
    gateway = get_gateway()
    result = gateway.charge(
        amount=amount,
        payment_method=payment_method,
        transfer_group=reference,
        idempotency_key=_key(reference, "charge"),
        description=description,
    )
    with db_transaction.atomic():
        txn = Transaction.objects.create(
            booking_id=booking_id,
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
            memo=f"Payment for {reference}",
        )
        audit_log(
            actor=payer,
            action="payment.captured",
            target=txn,
            data={"amount_minor": amount.minor, "currency": amount.currency, "commission_bps": bps},
        )
    return txn


def escrow_refund(*, booking_id: int, actor: User | None, reason: str) -> Transaction | None:
    """Return a held payment in full. Returns None when nothing was paid."""
    txn = _lock(booking_id)
    if txn is None:
        return None
    if txn.status != TransactionStatus.HELD:
        raise PaymentNotHeld(f"The payment is already {txn.get_status_display().lower()}.")
    reference = txn.booking.reference
    result = get_gateway().refund(
        payment_reference=txn.payment_reference, amount=txn.amount, idempotency_key=_key(reference, "refund")
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
            memo=f"Refund of {reference}: {reason}",
        )
        audit_log(
            actor=actor, action="payment.refunded", target=txn, reason=reason, data={"amount_minor": txn.amount_minor}
        )
    return txn


def escrow_release_request(*, booking_id: int) -> Transaction:
    """The work is confirmed: the booking's escrow becomes due for release.

    Decides, once, whether the payout waits for an admin (``payout_approval_grounds``);
    if it need not, queues the ``escrow_release`` job. Called by the booking workflow
    inside its transaction, when the booking completes.
    """
    txn = _lock(booking_id)
    if txn is None or txn.status != TransactionStatus.HELD:
        raise PaymentNotHeld("This booking has no payment held in escrow.")
    grounds = payout_approval_grounds(amount_minor=txn.amount_minor, vendor=txn.booking.vendor)
    txn.releasable_at = timezone.now()
    txn.payout_needs_approval = bool(grounds)
    txn.payout_approval_grounds = grounds
    txn.save(update_fields=["releasable_at", "payout_needs_approval", "payout_approval_grounds"])
    if not grounds:
        enqueue("marketplace.payments.tasks.escrow_release", booking_id)
    return txn


def escrow_release(*, booking_id: int, approved_by: User | None = None, reason: str = "") -> Transaction:
    """Release a booking's escrow: keep the commission, transfer the vendor's share.

    ``approved_by`` is the admin approving a payout that waits for approval; the
    automatic job releases, without one, the payouts that need none. Running it twice
    releases once.
    """
    if approved_by is not None:
        require_platform_admin(approved_by, to="release payouts")
    with db_transaction.atomic():
        txn = _lock(booking_id)
        if txn is None:
            # The booking model is reached through the relation: the money service never imports bookings.
            if not Transaction._meta.get_field("booking").related_model.objects.filter(pk=booking_id).exists():
                raise NotFound("Booking not found.")
            raise PaymentNotHeld("This booking has no payment to release.")
        booking = txn.booking
        if txn.status == TransactionStatus.RELEASED:
            if approved_by is None:
                return txn  # the job ran twice: nothing to do
            raise AlreadyReleased("The payout for this booking was already released.")
        if txn.status != TransactionStatus.HELD:
            raise PaymentNotHeld(f"The payment was {txn.get_status_display().lower()}.")
        if txn.releasable_at is None:
            raise BookingNotCompleted("The payout is released only after the booking is completed.")
        if txn.payout_needs_approval and approved_by is None:
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
                idempotency_key=_key(booking.reference, "transfer"),
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
        txn.released_by = approved_by
        txn.save(update_fields=["status", "released_at", "released_by", "transfer_reference"])
        audit_log(
            actor=approved_by,
            action="escrow.released",
            target=txn,
            reason=reason,
            data={"vendor_payout_minor": txn.vendor_payout_minor, "platform_fee_minor": txn.platform_fee_minor},
        )
    return txn
