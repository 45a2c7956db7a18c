"""The money invariants, checked against three independent records.

The ledger (the book of record), the Transaction and Movement rows, and the local
gateway's own operations (what the processor would report) must tell the same story
at every moment:

- every ledger entry's lines sum to zero, in one currency;
- escrow held = captured - released - refunded out of escrow, and equals what the held
  payments have left (amount - refunded);
- each payment's parts sum to its amount (fee + payout + refunded);
- the gateway's charges, refunds, transfers and reversals equal the ledger's capture,
  refund-paid, payout and reversal postings, each gateway object in one posting;
- what is owed (refunds to customers, payouts to vendors) equals the movements still
  on their way; commission equals the fees of released payments; no vendor's debt is
  negative.

Call ``assert_money_invariants()`` after every step of a lifecycle; it returns the
totals so the test can also assert exact values.
"""

from __future__ import annotations

from collections import defaultdict

from marketplace.payments.models import (
    EntryKind,
    LedgerAccount,
    LedgerEntry,
    LedgerLine,
    LocalGatewayOperation,
    Movement,
    MovementKind,
    MovementState,
    Transaction,
    TransactionStatus,
)
from marketplace.payments.selectors import escrow_held

GATEWAY_POSTING = {
    LocalGatewayOperation.Kind.CHARGE: EntryKind.CAPTURE,
    LocalGatewayOperation.Kind.REFUND: EntryKind.REFUND_PAID,
    LocalGatewayOperation.Kind.TRANSFER: EntryKind.PAYOUT,
    LocalGatewayOperation.Kind.REVERSAL: EntryKind.REVERSAL,
}


def assert_money_invariants(currency: str = "USD") -> dict[str, int]:
    balances: dict[str, int] = defaultdict(int)
    escrow_flows: dict[str, int] = defaultdict(int)  # by entry kind: money into (+) or out of (-) escrow
    posted_by_reference: dict[str, tuple[str, int]] = {}
    debt_by_vendor: dict[int, int] = defaultdict(int)

    for entry in LedgerEntry.objects.filter(transaction__currency=currency).prefetch_related("lines"):
        lines = list(entry.lines.all())
        assert lines, f"ledger entry {entry.pk} ({entry.kind}) has no lines"
        assert sum(line.amount_minor for line in lines) == 0, f"ledger entry {entry.pk} ({entry.kind}) is unbalanced"
        assert {line.currency for line in lines} == {currency}
        for line in lines:
            balances[line.account] += line.amount_minor
            if line.account == LedgerAccount.CUSTOMER_ESCROW:
                escrow_flows[entry.kind] -= line.amount_minor
            if line.account == LedgerAccount.VENDOR_DEBT:
                debt_by_vendor[line.vendor_id] += line.amount_minor
        if entry.gateway_reference:
            cash = sum(line.amount_minor for line in lines if line.account == LedgerAccount.PROCESSOR_CASH)
            posted_by_reference[entry.gateway_reference] = (entry.kind, abs(cash))

    captured = escrow_flows[EntryKind.CAPTURE]
    released = -escrow_flows[EntryKind.RELEASE]
    refunded_from_escrow = -escrow_flows[EntryKind.REFUND]
    held = escrow_held(currency=currency)
    assert held >= 0, "escrow is negative"
    assert held == captured - released - refunded_from_escrow, "escrow held != captured - released - refunded"

    transactions = list(Transaction.objects.filter(currency=currency))
    for txn in transactions:
        assert txn.platform_fee_minor + txn.vendor_payout_minor + txn.refunded_minor == txn.amount_minor, txn
        assert min(txn.platform_fee_minor, txn.vendor_payout_minor, txn.refunded_minor) >= 0, txn
        if txn.status == TransactionStatus.REFUNDED:
            assert txn.refunded_minor == txn.amount_minor, txn
    captured_payments = [t for t in transactions if t.captured_at is not None]  # an authorisation moves nothing
    assert captured == sum(t.amount_minor for t in captured_payments)
    assert held == sum(t.amount_minor - t.refunded_minor for t in transactions if t.status == TransactionStatus.HELD)
    released_transactions = [t for t in transactions if t.status == TransactionStatus.RELEASED]
    commission = sum(t.platform_fee_minor for t in released_transactions)
    assert -balances[LedgerAccount.PLATFORM_COMMISSION] == commission

    gateway: dict[str, int] = defaultdict(int)
    moved = LocalGatewayOperation.objects.filter(currency=currency, status=LocalGatewayOperation.Status.SUCCEEDED)
    for operation in moved:
        gateway[operation.kind] += operation.amount_minor
        posting = posted_by_reference.get(operation.reference)
        assert posting is not None, f"gateway {operation.kind} {operation.reference} has no ledger posting"
        assert posting == (GATEWAY_POSTING[operation.kind], operation.amount_minor), (operation, posting)
    assert len(posted_by_reference) == moved.count()
    assert gateway[LocalGatewayOperation.Kind.CHARGE] == captured

    unsettled = defaultdict(int)
    for movement in Movement.objects.filter(currency=currency).exclude(state=MovementState.SUCCEEDED):
        if movement.state == MovementState.PENDING or movement.kind in (MovementKind.TRANSFER, MovementKind.REFUND):
            unsettled[movement.kind] += movement.amount_minor
    assert -balances[LedgerAccount.REFUNDS_PAYABLE] == unsettled[MovementKind.REFUND]
    owed_to_vendors = unsettled[MovementKind.TRANSFER] - unsettled[MovementKind.REVERSAL]
    assert -balances[LedgerAccount.VENDOR_PAYABLE] == owed_to_vendors
    assert sum(t.refunded_minor for t in transactions) == (
        gateway[LocalGatewayOperation.Kind.REFUND] + unsettled[MovementKind.REFUND]
    )
    assert all(debt >= 0 for debt in debt_by_vendor.values()), "a vendor's debt is negative"
    paid_out = gateway[LocalGatewayOperation.Kind.TRANSFER]
    assert balances[LedgerAccount.PROCESSOR_CASH] == (
        captured - gateway[LocalGatewayOperation.Kind.REFUND] - paid_out + gateway[LocalGatewayOperation.Kind.REVERSAL]
    )
    assert not LedgerLine.objects.filter(entry__transaction__currency=currency).exclude(currency=currency).exists()

    return {
        "captured": captured,
        "released": released,
        "refunded": sum(t.refunded_minor for t in transactions),
        "held": held,
        "commission": commission,
        "paid_out": paid_out,
    }
