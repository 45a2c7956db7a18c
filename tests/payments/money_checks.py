"""The money invariants, checked across the four records that must tell one story.

The ledger (the book of record), the payments (Transaction rows), the movements (the
intents recorded before each gateway call) and the local gateway's own operations
(what the processor would report). ``assert_money_invariants()`` checks, at any
moment, including while movements are pending after a crash or a timeout:

- every ledger entry balances, in one currency;
- for each payment: fee + payout + refunded = amount, no part negative, the fee is the
  split rule applied to what is kept, its escrow is what is kept while held and nothing
  after, its commission is its fee once released, its refunds are its refund movements;
- escrow held = the sum over held payments of (amount - refunded), never negative;
- refunds_payable is what refund movements still owe (pending, or refused for good);
  vendor_payable per organizer is what their payouts still owe (pending or refused) plus
  the reversals on their way back; vendor_debt per organizer is never negative;
- the gateway and the ledger agree: each gateway operation belongs to one movement of
  the same kind and amount that did not fail; each succeeded movement has exactly one
  operation and exactly one posting carrying its gateway id; charges = capture postings,
  refunds = refund_paid postings, transfers = payout postings, reversals = reversal
  postings, plus what the gateway did for movements still pending (nothing once none is);
- processor_cash is what the gateway moved for succeeded movements.

The checks can be scoped to some bookings (``booking_ids``) with a ``baseline`` of the
whole ledger taken earlier: then the ledger as a whole must have moved by exactly what the
scoped bookings' postings say, and every new gateway operation must be theirs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Max, Sum

from marketplace.core.money import Money
from marketplace.payments.models import (
    EntryKind,
    LedgerAccount,
    LedgerEntry,
    LedgerLine,
    LocalGatewayOperation,
    Movement,
    MovementKind,
    MovementState,
    ReleaseHold,
    Transaction,
    TransactionStatus,
)
from tests.snapshots import data_snapshot

# The posting that books a movement once the gateway did it, and its effect on processor_cash.
EXECUTED_ENTRY = {
    MovementKind.CHARGE: EntryKind.CAPTURE,
    MovementKind.REFUND: EntryKind.REFUND_PAID,
    MovementKind.TRANSFER: EntryKind.PAYOUT,
    MovementKind.REVERSAL: EntryKind.REVERSAL,
}
CASH_SIGN = {MovementKind.CHARGE: 1, MovementKind.REFUND: -1, MovementKind.TRANSFER: -1, MovementKind.REVERSAL: 1}
OWING = (MovementState.WAITING, MovementState.PENDING, MovementState.FAILED)  # payouts and refunds still owed

BalanceKey = tuple[str, int | None, str]  # account, vendor id, currency


@dataclass(frozen=True)
class LedgerBaseline:
    """The whole ledger's balances and the gateway's last operation at one moment."""

    balances: dict[BalanceKey, int]
    last_operation_id: int


def _global_balances() -> dict[BalanceKey, int]:
    rows = LedgerLine.objects.order_by().values("account", "vendor_id", "currency").annotate(total=Sum("amount_minor"))
    return {(row["account"], row["vendor_id"], row["currency"]): row["total"] for row in rows if row["total"]}


def ledger_baseline() -> LedgerBaseline:
    last = LocalGatewayOperation.objects.aggregate(last=Max("id"))["last"] or 0
    return LedgerBaseline(balances=_global_balances(), last_operation_id=last)


def _without_zeros(balances: dict) -> dict:
    return {key: value for key, value in balances.items() if value}


def assert_money_invariants(
    *, booking_ids: Iterable[int] | None = None, baseline: LedgerBaseline | None = None
) -> dict[str, int]:
    """Check every invariant (see the module docstring); returns totals for exact assertions."""
    transactions = Transaction.objects.all()
    movements = Movement.objects.all()
    if booking_ids is not None:
        booking_ids = list(booking_ids)
        transactions = transactions.filter(booking_id__in=booking_ids)
        movements = movements.filter(booking_id__in=booking_ids)
    transactions = list(transactions.select_related("booking"))
    movements = list(movements.order_by("id"))
    operations = list(  # what moved money at the gateway: an authorisation or a 3-D Secure wait moves nothing
        LocalGatewayOperation.objects.filter(
            id__gt=baseline.last_operation_id if baseline else 0, status=LocalGatewayOperation.Status.SUCCEEDED
        ).order_by("id")
    )
    entries = list(
        LedgerEntry.objects.filter(transaction_id__in=[t.pk for t in transactions])
        .prefetch_related("lines")
        .order_by("id")
    )
    by_transaction = {t.pk: t for t in transactions}

    # --- Every entry balances; the scoped balances -------------------------------------------
    balances: dict[BalanceKey, int] = defaultdict(int)
    per_transaction: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    executed: dict[tuple[int, str], list[LedgerEntry]] = defaultdict(list)
    flows: dict[str, int] = defaultdict(int)
    for entry in entries:
        lines = list(entry.lines.all())
        label = f"ledger entry {entry.pk} ({entry.kind}, {entry.memo!r})"
        assert lines, f"{label} has no lines"
        assert sum(line.amount_minor for line in lines) == 0, f"{label} is unbalanced: {lines}"
        assert all(line.amount_minor for line in lines), f"{label} has a zero line"
        assert {line.currency for line in lines} == {by_transaction[entry.transaction_id].currency}, label
        if entry.movement_id is not None:
            executed[(entry.movement_id, entry.kind)].append(entry)
        for line in lines:
            balances[(line.account, line.vendor_id, line.currency)] += line.amount_minor
            per_transaction[entry.transaction_id][line.account] += line.amount_minor
            if entry.kind in (EntryKind.CAPTURE, EntryKind.RELEASE) and line.account == LedgerAccount.CUSTOMER_ESCROW:
                flows[entry.kind] += abs(line.amount_minor)
            if entry.kind == EntryKind.REFUND and line.account == LedgerAccount.REFUNDS_PAYABLE:
                flows["refund_decided"] -= line.amount_minor
    balances = _without_zeros(balances)

    if baseline is not None:
        moved = _without_zeros(
            {
                key: _global_balances().get(key, 0) - baseline.balances.get(key, 0)
                for key in {*_global_balances(), *baseline.balances}
            }
        )
        assert moved == balances, f"the ledger moved by {moved}, but these bookings' postings say {balances}"

    def balance(account: str, *, vendor_id: int | None = None) -> int:
        return sum(
            amount
            for (line_account, line_vendor, _), amount in balances.items()
            if line_account == account and (vendor_id is None or line_vendor == vendor_id)
        )

    # --- The gateway, the movements and the postings agree -----------------------------------
    movement_by_key = {m.idempotency_key: m for m in movements}
    operations_by_key: dict[str, list[LocalGatewayOperation]] = defaultdict(list)
    for operation in operations:
        operations_by_key[operation.idempotency_key].append(operation)
        movement = movement_by_key.get(operation.idempotency_key)
        label = f"gateway {operation.kind} {operation.reference} ({operation.idempotency_key})"
        assert movement is not None, f"{label} belongs to no movement of these bookings"
        assert (operation.kind, operation.amount_minor, operation.currency) == (
            movement.kind,
            movement.amount_minor,
            movement.currency,
        ), f"{label} does not match its movement {movement.pk}"
        assert movement.state != MovementState.FAILED, f"{label} happened, but its movement is marked failed"
        if movement.state == MovementState.SUCCEEDED:
            assert movement.gateway_reference == operation.reference, label

    gateway = Counter()
    gateway_pending = Counter()
    ledger_executed = Counter()
    cash = 0
    for movement in movements:
        label = f"{movement.kind} movement {movement.pk} ({movement.idempotency_key}, {movement.state})"
        posted = executed[(movement.pk, EXECUTED_ENTRY[movement.kind])]
        done = operations_by_key[movement.idempotency_key]
        assert len(done) <= 1, f"{label} was done {len(done)} times by the gateway"
        for operation in done:
            gateway[movement.kind] += operation.amount_minor
            if movement.state == MovementState.PENDING:
                gateway_pending[movement.kind] += operation.amount_minor
        if movement.state == MovementState.SUCCEEDED and movement.amount_minor > 0:
            assert len(done) == 1, f"{label} succeeded with {len(done)} gateway operations"
            assert len(posted) == 1, f"{label} succeeded with {len(posted)} {EXECUTED_ENTRY[movement.kind]} postings"
            assert posted[0].gateway_reference == done[0].reference, label
            cash_lines = [line for line in posted[0].lines.all() if line.account == LedgerAccount.PROCESSOR_CASH]
            assert [line.amount_minor for line in cash_lines] == [CASH_SIGN[movement.kind] * movement.amount_minor]
            ledger_executed[movement.kind] += movement.amount_minor
            cash += CASH_SIGN[movement.kind] * movement.amount_minor
        elif movement.state == MovementState.SUCCEEDED:
            assert movement.kind == MovementKind.TRANSFER, f"{label}: only a payout may be of zero"
            assert not done and not posted, f"{label}: a payout of nothing calls no gateway and posts nothing"
        else:
            assert not posted, f"{label} is not done but was posted"
        if movement.state == MovementState.FAILED:
            assert not done, label
    assert gateway - gateway_pending == ledger_executed, (
        f"the gateway did {dict(gateway)} ({dict(gateway_pending)} for pending movements) "
        f"but the ledger booked {dict(ledger_executed)}"
    )
    pending = [m for m in movements if m.state == MovementState.PENDING]
    if not pending:
        assert gateway == ledger_executed
    assert balance(LedgerAccount.PROCESSOR_CASH) == cash, "processor_cash is not what the gateway moved"

    charges_left = Counter()
    transfers_left = Counter()
    for operation in operations:
        if operation.kind == LocalGatewayOperation.Kind.CHARGE:
            charges_left[operation.reference] += operation.amount_minor
        elif operation.kind == LocalGatewayOperation.Kind.TRANSFER:
            transfers_left[operation.reference] += operation.amount_minor
    for operation in operations:
        if operation.kind == LocalGatewayOperation.Kind.REFUND:
            charges_left[operation.source_reference] -= operation.amount_minor
        elif operation.kind == LocalGatewayOperation.Kind.REVERSAL:
            transfers_left[operation.source_reference] -= operation.amount_minor
    assert min([0, *charges_left.values()]) == 0, f"a charge was refunded more than it took: {charges_left}"
    assert min([0, *transfers_left.values()]) == 0, f"a transfer was reversed more than it paid: {transfers_left}"

    # --- Each payment -----------------------------------------------------------------------
    movements_by_booking: dict[int, list[Movement]] = defaultdict(list)
    for movement in movements:
        movements_by_booking[movement.booking_id].append(movement)
    charged_bookings = {
        m.booking_id for m in movements if m.kind == MovementKind.CHARGE and m.state == MovementState.SUCCEEDED
    }
    captured = {t.booking_id for t in transactions if t.captured_at is not None}
    assert charged_bookings == captured, "a captured payment without its charge, or the reverse"
    held = 0
    commission = 0
    for txn in transactions:
        label = f"payment {txn.pk} of {txn.booking.reference} ({txn.status})"
        own = movements_by_booking[txn.booking_id]
        ledger = per_transaction[txn.pk]
        if txn.captured_at is None:  # authorised on the card, or released before capture: nothing moved
            [charge] = [m for m in own if m.kind == MovementKind.CHARGE and m.transaction_id == txn.pk]
            expected = {
                TransactionStatus.AUTHORIZED: {MovementState.AUTHORIZED},
                TransactionStatus.VOIDED: {MovementState.CANCELED, MovementState.FAILED},
            }[txn.status]
            assert charge.state in expected, f"{label}: its charge is {charge.state}"
            assert not ledger, f"{label} was never captured but has ledger entries"
            assert txn.refunded_minor == 0, label
            continue
        assert min(txn.platform_fee_minor, txn.vendor_payout_minor, txn.refunded_minor) >= 0, label
        assert txn.platform_fee_minor + txn.vendor_payout_minor + txn.refunded_minor == txn.amount_minor, label
        fee, _ = txn.kept.split_by_bps(txn.commission_bps, txn.minimum_fee_minor)
        assert txn.platform_fee_minor == fee.minor, f"{label}: the fee is not the split rule of what is kept"
        charge = [m for m in own if m.kind == MovementKind.CHARGE and m.state == MovementState.SUCCEEDED]
        assert [(m.amount_minor, m.gateway_reference) for m in charge] == [(txn.amount_minor, txn.payment_reference)], (
            label
        )
        refunds = [m for m in own if m.kind == MovementKind.REFUND]
        assert txn.refunded_minor == sum(m.amount_minor for m in refunds), f"{label}: refunds != refund movements"
        assert (txn.status == TransactionStatus.REFUNDED) == (txn.refunded_minor == txn.amount_minor), label
        escrow = -ledger[LedgerAccount.CUSTOMER_ESCROW]
        expected_escrow = txn.kept.minor if txn.status == TransactionStatus.HELD else 0
        assert escrow == expected_escrow, f"{label}: escrow {escrow}, expected {expected_escrow}"
        if txn.status == TransactionStatus.HELD:
            held += txn.kept.minor
        released = txn.released_at is not None
        own_commission = txn.platform_fee_minor if released else 0
        assert -ledger[LedgerAccount.PLATFORM_COMMISSION] == own_commission, f"{label}: commission"
        commission += own_commission
        payouts = [m for m in own if m.kind == MovementKind.TRANSFER]
        assert len(payouts) == (1 if released else 0), f"{label}: {len(payouts)} payouts"
        for payout in payouts:
            netted_entries = executed[(payout.pk, EntryKind.DEBT_NETTED)]
            netted = sum(
                line.amount_minor
                for entry in netted_entries
                for line in entry.lines.all()
                if line.account == LedgerAccount.VENDOR_PAYABLE
            )
            assert netted == payout.details.get("debt_netted_minor", 0), f"{label}: debt netted"
            assert payout.amount_minor + netted == payout.details["vendor_share_minor"], label
    assert balance(LedgerAccount.CUSTOMER_ESCROW) == -held, "escrow held != sum of held payments' amount - refunded"
    assert held >= 0
    assert balance(LedgerAccount.PLATFORM_COMMISSION) == -commission

    # --- What is owed to customers and organizers, and by organizers ----------------------------
    refunds_owed = sum(m.amount_minor for m in movements if m.kind == MovementKind.REFUND and m.state in OWING)
    assert -balance(LedgerAccount.REFUNDS_PAYABLE) == refunds_owed, "refunds_payable != refunds not paid"
    vendor_ids = {m.vendor_id for m in movements if m.vendor_id} | {
        vendor for (_, vendor, _) in balances if vendor is not None
    }
    vendor_owed = 0
    for vendor_id in vendor_ids:
        mine = [m for m in movements if m.vendor_id == vendor_id]
        owed = sum(m.amount_minor for m in mine if m.kind == MovementKind.TRANSFER and m.state in OWING)
        coming_back = sum(
            m.amount_minor for m in mine if m.kind == MovementKind.REVERSAL and m.state == MovementState.PENDING
        )
        payable = balance(LedgerAccount.VENDOR_PAYABLE, vendor_id=vendor_id)
        assert payable == coming_back - owed, (
            f"vendor {vendor_id}: vendor_payable {payable}, expected {coming_back - owed} "
            f"(payouts owed {owed}, reversals pending {coming_back})"
        )
        assert balance(LedgerAccount.VENDOR_DEBT, vendor_id=vendor_id) >= 0, f"vendor {vendor_id} debt is negative"
        global_debt = (
            LedgerLine.objects.filter(account=LedgerAccount.VENDOR_DEBT, vendor_id=vendor_id).aggregate(
                total=Sum("amount_minor")
            )["total"]
            or 0
        )
        assert global_debt >= 0, f"vendor {vendor_id} debt is negative in the whole ledger"
        vendor_owed += owed
    assert (
        balance(LedgerAccount.VENDOR_PAYABLE)
        == sum(
            m.amount_minor for m in movements if m.kind == MovementKind.REVERSAL and m.state == MovementState.PENDING
        )
        - vendor_owed
    )

    return {
        "captured": flows[EntryKind.CAPTURE],
        "released": flows[EntryKind.RELEASE],
        "refunded": flows["refund_decided"],
        "escrow_held": held,
        "commission": commission,
        "charged": gateway[MovementKind.CHARGE],
        "refund_paid": ledger_executed[MovementKind.REFUND],
        "paid_out": ledger_executed[MovementKind.TRANSFER],
        "reversed": ledger_executed[MovementKind.REVERSAL],
        "refunds_owed": refunds_owed,
        "vendor_owed": vendor_owed,
        "vendor_debt": balance(LedgerAccount.VENDOR_DEBT),
        "pending": len(pending),
    }


def vendor_debt(vendor) -> int:
    """What the organizer owes the platform now, from the whole ledger (minor units)."""
    return (
        LedgerLine.objects.filter(account=LedgerAccount.VENDOR_DEBT, vendor=vendor).aggregate(
            total=Sum("amount_minor")
        )["total"]
        or 0
    )


def vendor_payable(vendor) -> int:
    """What the platform owes the organizer now (a credit balance, shown positive)."""
    return -(
        LedgerLine.objects.filter(account=LedgerAccount.VENDOR_PAYABLE, vendor=vendor).aggregate(
            total=Sum("amount_minor")
        )["total"]
        or 0
    )


def money_snapshot() -> dict:
    """Every marketplace table (``tests.snapshots``) plus the money rows it does not watch."""
    state = data_snapshot()
    for model in (Movement, ReleaseHold):
        state[model._meta.label] = list(model.objects.order_by("pk").values_list())
    return state


def usd(minor: int) -> Money:
    return Money(minor, "USD")
