"""The money invariants, checked against three independent records.

The ledger (the book of record), the Transaction rows (one per booking) and the
local gateway's own operations (what the processor would report) must tell the
same story at every moment:

- every ledger entry's lines sum to zero;
- escrow held = captured - released - refunded;
- what the ledger says was captured, released, refunded and paid out matches the
  Transaction rows in those states and the gateway's charges, refunds and transfers;
- commission and vendor shares add up to the amounts released.

Call ``assert_money_invariants()`` after every step of a lifecycle; it returns the
totals so the test can also assert exact values.
"""

from __future__ import annotations

from collections import defaultdict

from marketplace.payments.models import (
    EntryKind,
    LedgerAccount,
    LedgerEntry,
    LocalGatewayOperation,
    Transaction,
    TransactionStatus,
)
from marketplace.payments.selectors import escrow_held

# Which ledger entries a transaction has in each status (payout only when the vendor's share is above zero).
ENTRIES_BY_STATUS = {
    TransactionStatus.HELD: {EntryKind.CAPTURE},
    TransactionStatus.REFUNDED: {EntryKind.CAPTURE, EntryKind.REFUND},
    TransactionStatus.RELEASED: {EntryKind.CAPTURE, EntryKind.RELEASE, EntryKind.PAYOUT},
}


def assert_money_invariants(currency: str = "USD") -> dict[str, int]:
    flows: dict[str, int] = defaultdict(int)  # by entry kind: the amount that left or entered escrow
    balances: dict[str, int] = defaultdict(int)
    kinds_by_transaction: dict[int, set[str]] = defaultdict(set)

    for entry in LedgerEntry.objects.filter(transaction__currency=currency).prefetch_related("lines"):
        lines = list(entry.lines.all())
        assert lines, f"ledger entry {entry.pk} ({entry.kind}) has no lines"
        assert sum(line.amount_minor for line in lines) == 0, f"ledger entry {entry.pk} ({entry.kind}) is unbalanced"
        assert {line.currency for line in lines} == {currency}
        kinds_by_transaction[entry.transaction_id].add(entry.kind)
        for line in lines:
            balances[line.account] += line.amount_minor
            if line.account == LedgerAccount.CUSTOMER_ESCROW:
                flows[entry.kind] += abs(line.amount_minor)
            if entry.kind == EntryKind.PAYOUT and line.account == LedgerAccount.VENDOR_PAYABLE:
                flows["paid_out"] += line.amount_minor

    captured, released, refunded = flows[EntryKind.CAPTURE], flows[EntryKind.RELEASE], flows[EntryKind.REFUND]
    held = escrow_held(currency=currency)
    assert held == captured - released - refunded, "escrow held != captured - released - refunded"
    assert held == -balances[LedgerAccount.CUSTOMER_ESCROW]

    transactions = list(Transaction.objects.filter(currency=currency))
    by_status: dict[str, int] = defaultdict(int)
    for txn in transactions:
        assert txn.platform_fee_minor + txn.vendor_payout_minor == txn.amount_minor
        by_status[txn.status] += txn.amount_minor
        expected = set(ENTRIES_BY_STATUS[txn.status])
        if txn.status == TransactionStatus.RELEASED and txn.vendor_payout_minor == 0:
            expected.discard(EntryKind.PAYOUT)
        assert kinds_by_transaction[txn.pk] == expected, f"transaction {txn.pk} ({txn.status}) has entries " + str(
            sorted(kinds_by_transaction[txn.pk])
        )
    assert captured == sum(t.amount_minor for t in transactions)
    assert held == by_status[TransactionStatus.HELD]
    assert released == by_status[TransactionStatus.RELEASED]
    assert refunded == by_status[TransactionStatus.REFUNDED]

    released_transactions = [t for t in transactions if t.status == TransactionStatus.RELEASED]
    commission = sum(t.platform_fee_minor for t in released_transactions)
    assert -balances[LedgerAccount.PLATFORM_COMMISSION] == commission
    assert flows["paid_out"] == sum(t.vendor_payout_minor for t in released_transactions)
    assert balances[LedgerAccount.VENDOR_PAYABLE] == 0, "a released vendor share was not transferred"
    assert balances[LedgerAccount.PROCESSOR_CASH] == captured - refunded - flows["paid_out"]

    gateway = defaultdict(int)
    for operation in LocalGatewayOperation.objects.filter(currency=currency):
        gateway[operation.kind] += operation.amount_minor
    assert gateway[LocalGatewayOperation.Kind.CHARGE] == captured
    assert gateway[LocalGatewayOperation.Kind.REFUND] == refunded
    assert gateway[LocalGatewayOperation.Kind.TRANSFER] == flows["paid_out"]

    return {
        "captured": captured,
        "released": released,
        "refunded": refunded,
        "held": held,
        "commission": commission,
        "paid_out": flows["paid_out"],
    }
