"""Reads over the ledger. Balances are always sums of ledger lines, never stored."""

from django.db.models import Sum

from marketplace.vendors.models import Vendor

from .models import LedgerAccount, LedgerLine, Transaction, TransactionStatus


def ledger_balance(*, account: str, currency: str, vendor: Vendor | None = None) -> int:
    """Debit-positive balance of an account, in minor units."""
    lines = LedgerLine.objects.filter(account=account, currency=currency)
    if vendor is not None:
        lines = lines.filter(vendor=vendor)
    return lines.aggregate(total=Sum("amount_minor"))["total"] or 0


def escrow_held(*, currency: str) -> int:
    """Customer money the platform holds in escrow (a liability, so credit-positive here)."""
    return -ledger_balance(account=LedgerAccount.CUSTOMER_ESCROW, currency=currency)


def vendor_earnings(*, vendor: Vendor) -> dict:
    released = Transaction.objects.filter(booking__vendor=vendor, status=TransactionStatus.RELEASED)
    held = Transaction.objects.filter(booking__vendor=vendor, status=TransactionStatus.HELD)
    return {
        "paid_out_minor": released.aggregate(total=Sum("vendor_payout_minor"))["total"] or 0,
        "in_escrow_minor": held.aggregate(total=Sum("vendor_payout_minor"))["total"] or 0,
    }


def transaction_for_booking(*, booking_id: int) -> Transaction | None:
    return Transaction.objects.filter(booking_id=booking_id).first()
