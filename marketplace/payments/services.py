"""Money movements: capture into escrow, refunds (partial too), escrow release, payouts, holds.

The money service sits below bookings: the booking workflow calls it and it never
reads a booking's status. It keeps its own state on the Transaction (held, due for
release, on hold, released, refunded), takes what it needs as arguments, and reads
the booking row only for its reference and its vendor.

Every call to the payment gateway takes three steps, and no transaction or row lock
is open during the call:

1. the movement is recorded as a pending ``Movement`` with its idempotency key, in the
   transaction that decides it (the booking's, the release's, the admin's refund);
2. ``movement_execute`` calls the gateway, outside any transaction;
3. it applies the answer in a new transaction: the ledger posting with the gateway's
   object id, the payment's state.

A crash, a timeout or a gateway error between the steps leaves the movement pending;
``movement_recover_sweep`` calls again with the same key (the gateway answers a
repeated key with its first result) and applies the answer, so every movement
happens exactly once. A definitive refusal is compensated: a failed reversal becomes
the organizer's debt, netted against their next payouts.

The jobs work in batches with the same steps: ``escrow_release_due`` releases many
escrows in one transaction (bulk writes), and ``movement_execute_many`` makes one
gateway call per movement, then applies every answer in one transaction.

Vocabulary (one name per concept): a payment is *captured* into escrow; when the
work is confirmed an *escrow release* is *requested* (``escrow_release_request``),
which decides whether the payout needs an admin's approval; the *escrow release*
keeps the commission, books the vendor's share as payable and creates the *payout*,
which ``payouts_execute`` transfers; a *refund* returns money to the customer and,
after a payout, *reverses* the transfer; a *hold* freezes the release.

The ledger's accounts and postings (debit positive):

- capture:      processor_cash +A, customer_escrow -A
- refund held:  customer_escrow +r, refunds_payable -r
- refund paid:  refunds_payable +r, processor_cash -r            (gateway refund id)
- release:      customer_escrow +kept, platform_commission -fee, vendor_payable -payout
- debt netted:  vendor_payable +d, vendor_debt -d
- payout:       vendor_payable +p, processor_cash -p              (gateway transfer id)
- refund after release: platform_commission +fee_back, vendor_payable +payout_back, refunds_payable -r
- reversal:     processor_cash +x, vendor_payable -x              (gateway reversal id)
- debt:         vendor_debt +y, vendor_payable -y                 (a reversal that failed)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.accounts.permissions import Perm
from marketplace.accounts.policy import require_permission, require_refund_permission
from marketplace.catalog.models import Service
from marketplace.core.audit import audit_log, audit_log_many
from marketplace.core.db import after_commit, unit_of_work, update_rows
from marketplace.core.errors import DomainError, NotFound, PaymentFailed, ValidationFailed
from marketplace.core.jobs import enqueue
from marketplace.core.metrics import record_payment_captured, record_payout_failed, record_payouts_sent
from marketplace.core.money import Money
from marketplace.vendors.models import Vendor, VendorProfile

from .errors import (
    AlreadyPaid,
    AuthenticationFailed,
    CurrencyMismatch,
    InvalidAmount,
    NoActiveHold,
    NothingToRefund,
    PaymentNotForBooking,
    PaymentNotHeld,
    PaymentProcessing,
    PayoutFailed,
    PayoutInProgress,
    PayoutNeedsApproval,
    RefundTooLarge,
)
from .gateways import GatewayTimeout, GatewayUnavailable, assert_outside_transaction, get_gateway
from .gateways.base import GatewayResult, PaymentStatus
from .gateways.local import local_gateway_authenticate
from .models import (
    EntryKind,
    HoldReason,
    LedgerAccount,
    LedgerEntry,
    LedgerLine,
    Movement,
    MovementKind,
    MovementState,
    Payout,
    ReleaseHold,
    Transaction,
    TransactionStatus,
)
from .policy import (
    escrow_state,
    payout_account_can_receive,
    payout_account_problem,
    payout_approval_grounds,
    payout_approval_refusal,
    payout_hold_refusal,
    percent_of,
    refund_split,
)
from .selectors import escrow_list_due_for_release, vendor_debts_minor

logger = logging.getLogger(__name__)

Line = tuple[str, int, Vendor | None]


# --- Commission --------------------------------------------------------------------------


def commission_bps_for(service: Service) -> int:
    """Vendor override, else category override, else the platform default."""
    if service.vendor.commission_bps is not None:
        return service.vendor.commission_bps
    if service.category.commission_bps is not None:
        return service.category.commission_bps
    return settings.PLATFORM_COMMISSION_BPS


def minimum_fee_for(service: Service) -> int:
    """The least the platform keeps of a booking of this service: category override, else the platform's."""
    if service.category.minimum_fee_minor is not None:
        return service.category.minimum_fee_minor
    return settings.PLATFORM_MINIMUM_FEE_MINOR


# --- Ledger ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Posting:
    """One ledger entry to write: lines of (account, amount, vendor) that sum to zero; zero lines are dropped."""

    transaction: Transaction
    kind: str
    lines: list[Line]
    memo: str = ""
    movement: Movement | None = None
    gateway_reference: str | None = None


def ledger_post_many(postings: Iterable[Posting]) -> list[LedgerEntry]:
    """Write balanced entries, all of them in two INSERTs (the entries, then their lines).

    Refuses an entry whose lines do not sum to zero; a posting with no line left writes
    no entry. A batch of releases or payouts costs the same two statements as one.
    """
    written: list[tuple[LedgerEntry, list[Line]]] = []
    for posting in postings:
        lines = [line for line in posting.lines if line[1] != 0]
        if sum(amount for _, amount, _ in lines) != 0:
            raise ValueError(f"unbalanced ledger entry {posting.kind}: {lines}")
        if lines:
            entry = LedgerEntry(
                transaction=posting.transaction,
                kind=posting.kind,
                memo=posting.memo[:255],
                movement=posting.movement,
                gateway_reference=posting.gateway_reference,
            )
            written.append((entry, lines))
    if not written:
        return []
    LedgerEntry.objects.bulk_create([entry for entry, _ in written])
    LedgerLine.objects.bulk_create(
        LedgerLine(
            entry=entry, account=account, amount_minor=amount, vendor=vendor, currency=entry.transaction.currency
        )
        for entry, lines in written
        for account, amount, vendor in lines
    )
    return [entry for entry, _ in written]


def ledger_post(**posting) -> LedgerEntry | None:
    """Write one balanced entry (the fields of ``Posting``); None when no line is left."""
    entries = ledger_post_many([Posting(**posting)])
    return entries[0] if entries else None


# --- Locks and keys ----------------------------------------------------------------------


def _lock(booking_id: int) -> Transaction | None:
    return (
        Transaction.objects.select_for_update(of=("self",))
        .select_related("booking__vendor__profile")
        .filter(booking_id=booking_id)
        .first()
    )


def _lock_or_refuse(booking_id: int, *, nothing: str) -> Transaction:
    txn = _lock(booking_id)
    if txn is None:
        # The booking model is reached through the relation: the money service never imports bookings.
        if not Transaction._meta.get_field("booking").related_model.objects.filter(pk=booking_id).exists():
            raise NotFound("Booking not found.")
        raise PaymentNotHeld(nothing)
    return txn


def _attempt_key(reference: str, kind: str, booking_id: int) -> str:
    """A fresh idempotency key for one more movement of this kind on a booking (charge 1, refund 2...)."""
    number = Movement.objects.filter(booking_id=booking_id, kind=kind).count() + 1
    return f"{reference}:{kind}:{number}"


def _check_amount(amount: Money, *, currency: str) -> None:
    if isinstance(amount.minor, bool) or amount.minor <= 0:
        raise InvalidAmount("The amount must be above zero.", field="amount_minor")
    if amount.currency != currency:
        raise CurrencyMismatch(f"The amount must be in {currency}, the payment's currency.", field="currency")


def _execute_after_commit(movement: Movement) -> None:
    """Step 2 and 3 of a movement, once the transaction that recorded it has committed."""
    movement_id = movement.pk
    after_commit(lambda: movement_execute(movement_id))


# --- Executing a movement (steps 2 and 3) ---------------------------------------------------


def _call_gateway(movement: Movement) -> GatewayResult:
    gateway = get_gateway()
    booking_reference = movement.booking.reference
    if movement.kind == MovementKind.CHARGE and movement.state == MovementState.AUTHORIZED:
        if movement.pending_step == "capture":
            return gateway.capture(
                payment_reference=movement.gateway_reference,
                amount=movement.amount,
                idempotency_key=f"{movement.idempotency_key}:capture",
            )
        return gateway.cancel_authorization(
            payment_reference=movement.gateway_reference, idempotency_key=f"{movement.idempotency_key}:cancel"
        )
    if movement.kind == MovementKind.CHARGE and movement.gateway_reference:
        # Made already, waiting for the customer's 3-D Secure step: ask where it stands. One the
        # customer left for longer than the payment window is cancelled, so the booking can expire.
        result = gateway.payment_status(payment_reference=movement.gateway_reference)
        abandoned = timezone.now() - timedelta(minutes=settings.BOOKING_PAYMENT_WINDOW_MINUTES)
        if result.status == PaymentStatus.REQUIRES_ACTION and movement.created_at < abandoned:
            result = gateway.cancel_authorization(
                payment_reference=movement.gateway_reference, idempotency_key=f"{movement.idempotency_key}:cancel"
            )
        return result
    if movement.kind == MovementKind.CHARGE:
        return gateway.charge(
            amount=movement.amount,
            payment_method=movement.payment_method,
            transfer_group=booking_reference,
            idempotency_key=movement.idempotency_key,
            description=movement.details.get("description", booking_reference),
            capture=movement.details.get("capture", True),
        )
    if movement.kind == MovementKind.REFUND:
        return gateway.refund(
            payment_reference=movement.source_reference,
            amount=movement.amount,
            idempotency_key=movement.idempotency_key,
        )
    if movement.kind == MovementKind.TRANSFER:
        return gateway.transfer(
            amount=movement.amount,
            destination=movement.destination,
            transfer_group=booking_reference,
            idempotency_key=movement.idempotency_key,
            source_reference=movement.source_reference,
        )
    return gateway.reverse_transfer(
        transfer_reference=movement.source_reference, amount=movement.amount, idempotency_key=movement.idempotency_key
    )


def movement_execute(movement_id: int, *, raise_refusal: bool = False) -> Movement:
    """Call the gateway for one recorded movement and apply its answer (see ``movement_execute_many``)."""
    return movement_execute_many([movement_id], raise_refusal=raise_refusal)[0]


def _nothing_to_move(movement: Movement) -> bool:
    return movement.kind == MovementKind.TRANSFER and movement.amount_minor == 0  # a payout the debt netting took


# A movement the gateway has something to do for: recorded and not answered yet, or an
# authorised charge asked to be captured or cancelled.
ACTIONABLE = Q(state=MovementState.PENDING) | (Q(state=MovementState.AUTHORIZED) & ~Q(pending_step=""))


def movement_has_work(movement: Movement) -> bool:
    """Whether the gateway still has something to do for this movement (``ACTIONABLE``, for one row)."""
    return movement.state == MovementState.PENDING or (
        movement.state == MovementState.AUTHORIZED and movement.pending_step != ""
    )


def movement_execute_many(movement_ids: list[int], *, raise_refusal: bool = False) -> list[Movement]:
    """Call the gateway for recorded movements, one call each, then apply every answer in one transaction.

    Safe to run twice, or at once in two places: a movement with nothing to do is left
    alone, and one another run settled (or moved on) while the gateway answered is not
    applied again (its row lock, then its state and step, decide). Returns the
    movements in the order asked: succeeded, authorised, cancelled, failed (the gateway
    refused for good; with ``raise_refusal`` the refusal is raised once it is recorded),
    or still pending (the gateway was unavailable or did not answer, or the customer's
    3-D Secure step is outstanding; ``movement_recover_sweep`` asks again, same key).
    """
    todo = list(Movement.objects.select_related("booking").filter(ACTIONABLE, pk__in=movement_ids).order_by("pk"))
    called_as = {movement.pk: (movement.state, movement.pending_step) for movement in todo}
    answers: dict[int, tuple[str, object]] = {
        movement.pk: ("done", None) for movement in todo if _nothing_to_move(movement)
    }
    waiting: dict[int, str] = {}  # charges made but waiting for the customer's 3-D Secure step
    calls = [movement for movement in todo if not _nothing_to_move(movement)]
    if calls:
        assert_outside_transaction()
        Movement.objects.filter(pk__in=[movement.pk for movement in calls]).update(
            attempts=F("attempts") + 1, attempted_at=timezone.now()
        )
    for movement in calls:
        try:
            result = _call_gateway(movement)
        except (GatewayUnavailable, GatewayTimeout) as error:
            Movement.objects.filter(pk=movement.pk).update(last_error=str(error)[:1000])
            logger.warning("%s %s left pending: %s", movement.kind, movement.idempotency_key, error)
            continue
        except PaymentFailed as refusal:
            answers[movement.pk] = ("refused", refusal)
            continue
        answer = _answer(movement, result)
        if answer[0] == "waiting":
            waiting[movement.pk] = result.reference
        elif answer[0] != "unexpected":
            answers[movement.pk] = answer
    for movement_id, reference in waiting.items():
        # Still pending: the next run (the customer back from their bank, a webhook, the sweep) asks again.
        Movement.objects.filter(pk=movement_id, state=MovementState.PENDING).update(gateway_reference=reference)
    if answers:
        with unit_of_work():
            locked = [
                movement
                for movement in Movement.objects.select_for_update(of=("self",))
                .select_related("booking", "vendor")
                .filter(ACTIONABLE, pk__in=list(answers))
                .order_by("pk")
                if (movement.state, movement.pending_step) == called_as[movement.pk]
            ]
            _apply_many([(m, answers[m.pk][1]) for m in locked if answers[m.pk][0] == "done"])
            for movement in locked:
                outcome, detail = answers[movement.pk]
                if outcome == "authorized":
                    _apply_authorization(movement, reference=detail)
                elif outcome == "canceled":
                    _apply_void(movement)
                elif outcome == "refused":
                    _fail(movement, refusal=detail)
    refusals = [detail for outcome, detail in answers.values() if outcome == "refused"]
    if raise_refusal and refusals:
        raise refusals[0]
    movements = Movement.objects.select_related("booking").in_bulk(movement_ids)
    return [movements[pk] for pk in movement_ids]


def _answer(movement: Movement, result: GatewayResult) -> tuple[str, object]:
    """What the gateway's answer means for this movement: (outcome, reference or refusal)."""
    if movement.kind != MovementKind.CHARGE or result.status == PaymentStatus.SUCCEEDED:
        return ("done", result.reference)
    if result.status == PaymentStatus.REQUIRES_ACTION:
        return ("waiting", result.reference)
    if result.status == PaymentStatus.AUTHORIZED and movement.state == MovementState.PENDING:
        return ("authorized", result.reference)
    if result.status == PaymentStatus.CANCELED and movement.pending_step == "cancel":
        return ("canceled", result.reference)
    if result.status == PaymentStatus.CANCELED:
        return ("refused", AuthenticationFailed("The payment was abandoned; nothing was charged."))
    logger.error("charge %s: unexpected answer %s; left for the next run", movement.idempotency_key, result.status)
    return ("unexpected", None)


def _mark_settled(
    movement: Movement, state: str, *, reference: str | None = None, error: DomainError | None = None
) -> list[str]:
    """Set a movement's outcome on the instance; returns the fields to save."""
    movement.state = state
    movement.gateway_reference = reference or movement.gateway_reference  # a refused 3-D Secure payment keeps its id
    movement.settled_at = timezone.now()
    movement.pending_step = ""
    if error is None:
        return ["state", "gateway_reference", "settled_at", "pending_step"]
    movement.failure_code = error.code
    movement.last_error = error.message
    return ["state", "gateway_reference", "settled_at", "pending_step", "failure_code", "last_error"]


def _settle(movement: Movement, state: str, *, reference: str | None = None, error: DomainError | None = None) -> None:
    fields = _mark_settled(movement, state, reference=reference, error=error)
    movement.save(update_fields=[*fields, "transaction"])


# What the gateway's answer books, per movement kind: (posting, account debited, account credited).
GATEWAY_POSTINGS = {
    MovementKind.CHARGE: (EntryKind.CAPTURE, LedgerAccount.PROCESSOR_CASH, LedgerAccount.CUSTOMER_ESCROW),
    MovementKind.REFUND: (EntryKind.REFUND_PAID, LedgerAccount.REFUNDS_PAYABLE, LedgerAccount.PROCESSOR_CASH),
    MovementKind.TRANSFER: (EntryKind.PAYOUT, LedgerAccount.VENDOR_PAYABLE, LedgerAccount.PROCESSOR_CASH),
    MovementKind.REVERSAL: (EntryKind.REVERSAL, LedgerAccount.PROCESSOR_CASH, LedgerAccount.VENDOR_PAYABLE),
}
# Where the payment row keeps the gateway's latest object of a kind.
PAYMENT_REFERENCE_FIELDS = {MovementKind.REFUND: "refund_reference", MovementKind.TRANSFER: "transfer_reference"}
VENDOR_ACCOUNTS = (LedgerAccount.VENDOR_PAYABLE, LedgerAccount.VENDOR_DEBT)


def _moved(debit: str, credit: str, amount: int, vendor: Vendor | None = None) -> list[Line]:
    """The two lines of ``amount`` moving from the ``credit`` account to the ``debit`` one."""
    return [
        (debit, amount, vendor if debit in VENDOR_ACCOUNTS else None),
        (credit, -amount, vendor if credit in VENDOR_ACCOUNTS else None),
    ]


def _answer_posting(txn: Transaction, movement: Movement, *, reference: str | None) -> Posting:
    kind, debit, credit = GATEWAY_POSTINGS[movement.kind]
    booking_reference = movement.booking.reference
    if movement.kind == MovementKind.CHARGE:
        memo = f"Payment for {booking_reference}"
    elif movement.kind == MovementKind.REFUND:
        memo = f"Refund of {booking_reference} paid"
    elif movement.kind == MovementKind.TRANSFER:
        memo = f"Payout to {movement.vendor.business_name} for {booking_reference}"
    else:
        memo = f"Transfer for {booking_reference} reversed"
    return Posting(
        transaction=txn,
        kind=kind,
        lines=_moved(debit, credit, movement.amount_minor, movement.vendor),
        memo=memo,
        movement=movement,
        gateway_reference=reference,
    )


def _apply_many(answered: list[tuple[Movement, str | None]]) -> None:
    """Step 3: the gateway did these; book them. Runs under the movements' row locks, in bulk but for charges."""
    for movement, reference in answered:
        if movement.kind == MovementKind.CHARGE:
            _apply_charge(movement, reference=reference)
    answered = [(movement, reference) for movement, reference in answered if movement.kind != MovementKind.CHARGE]
    if not answered:
        return
    payments = {
        txn.pk: txn
        for txn in Transaction.objects.select_for_update(of=("self",))
        .filter(pk__in={movement.transaction_id for movement, _ in answered})
        .order_by("pk")
    }
    ledger_post_many(
        _answer_posting(payments[movement.transaction_id], movement, reference=reference)
        for movement, reference in answered
    )
    for movement, reference in answered:
        if reference and movement.kind in PAYMENT_REFERENCE_FIELDS:
            setattr(payments[movement.transaction_id], PAYMENT_REFERENCE_FIELDS[movement.kind], reference)
        _mark_settled(movement, MovementState.SUCCEEDED, reference=reference)
    references = list(PAYMENT_REFERENCE_FIELDS.values())
    update_rows(
        Transaction, references, {txn.pk: [getattr(txn, name) for name in references] for txn in payments.values()}
    )
    settled = ["state", "gateway_reference", "settled_at"]
    update_rows(
        Movement, settled, {movement.pk: [getattr(movement, name) for name in settled] for movement, _ in answered}
    )
    paid_out = [movement.pk for movement, _ in answered if movement.kind == MovementKind.TRANSFER]
    if paid_out:  # one job for the batch: the organizers hear their payouts went out
        record_payouts_sent(count=len(paid_out))
        enqueue("marketplace.notifications.tasks.send_payout_notifications", paid_out, "sent")


def _payment_create(movement: Movement, *, reference: str | None, status: str) -> Transaction:
    """The booking's payment row, with the commission terms the charge fixed when it was recorded."""
    terms = movement.details
    fee, payout = movement.amount.split_by_bps(terms["commission_bps"], terms["minimum_fee_minor"])
    now = timezone.now()
    return Transaction.objects.create(
        booking_id=movement.booking_id,
        currency=movement.currency,
        amount_minor=movement.amount_minor,
        commission_bps=terms["commission_bps"],
        minimum_fee_minor=terms["minimum_fee_minor"],
        platform_fee_minor=fee.minor,
        vendor_payout_minor=payout.minor,
        status=status,
        gateway=get_gateway().name,
        payment_reference=reference,
        authorized_at=now,
        captured_at=now if status == TransactionStatus.HELD else None,
    )


def _apply_charge(movement: Movement, *, reference: str | None) -> None:
    """The money is captured into escrow: at once (an instant booking), or an authorisation the organizer accepted."""
    if movement.transaction_id is None:
        txn = _payment_create(movement, reference=reference, status=TransactionStatus.HELD)
    else:
        txn = Transaction.objects.select_for_update(of=("self",)).get(pk=movement.transaction_id)
        txn.status = TransactionStatus.HELD
        txn.captured_at = timezone.now()
        txn.save(update_fields=["status", "captured_at"])
    ledger_post_many([_answer_posting(txn, movement, reference=reference)])
    movement.transaction = txn
    _settle(movement, MovementState.SUCCEEDED, reference=reference)
    audit_log(
        actor=movement.actor,
        action="payment.captured",
        target=txn,
        data={"amount_minor": txn.amount_minor, "currency": txn.currency, "commission_bps": txn.commission_bps},
    )
    record_payment_captured()
    _tell_the_booking(movement)


def _tell_the_booking(movement: Movement) -> None:
    # The booking workflow takes the payment into account (confirms the booking, waits for the
    # organizer, or gives back the money of a booking that closed while the charge was on its
    # way); queued with this commit, so it is never lost, and safe to run again.
    enqueue("marketplace.bookings.tasks.booking_payment_settled", movement.booking_id)


def _apply_authorization(movement: Movement, *, reference: str) -> None:
    """A request's payment is held on the customer's card; nothing is in escrow until it is captured."""
    txn = _payment_create(movement, reference=reference, status=TransactionStatus.AUTHORIZED)
    movement.transaction = txn
    movement.state = MovementState.AUTHORIZED
    movement.gateway_reference = reference
    movement.save(update_fields=["state", "gateway_reference", "transaction"])
    audit_log(
        actor=movement.actor,
        action="payment.authorized",
        target=txn,
        data={"amount_minor": txn.amount_minor, "currency": txn.currency, "commission_bps": txn.commission_bps},
    )
    _tell_the_booking(movement)


def _apply_void(movement: Movement) -> None:
    """An authorisation was released (the request closed before the organizer accepted): nothing was taken."""
    _settle(movement, MovementState.CANCELED, reference=movement.gateway_reference)
    txn = Transaction.objects.select_for_update(of=("self",)).get(pk=movement.transaction_id)
    txn.status = TransactionStatus.VOIDED
    txn.save(update_fields=["status"])
    audit_log(actor=None, action="payment.authorization_released", target=txn, data={"amount_minor": txn.amount_minor})
    _tell_the_booking(movement)  # a request whose capture was refused closes now


def _fail(movement: Movement, *, refusal: PaymentFailed) -> None:
    """The gateway refused for good: record it, and compensate what the refusal leaves undone."""
    step = movement.pending_step
    if movement.kind == MovementKind.CHARGE and step == "capture":
        # The organizer accepted, but the bank refused the capture: nothing was taken. Release the
        # hold on the customer's card; once released, the booking workflow closes the request.
        movement.pending_step = "cancel"
        movement.failure_code, movement.last_error = refusal.code, refusal.message
        movement.save(update_fields=["pending_step", "failure_code", "last_error"])
        audit_log(actor=None, action="payment.capture_failed", target=movement.transaction, reason=refusal.message)
        _execute_after_commit(movement)
        return
    _settle(movement, MovementState.FAILED, error=refusal)
    if movement.kind == MovementKind.CHARGE and step == "cancel":
        # The gateway would not release the authorisation (it lapsed, or is gone): nothing is ours
        # to take either way. The payment is void; the booking workflow closes what is still open.
        logger.error("authorisation %s could not be released: %s", movement.idempotency_key, refusal.message)
        Transaction.objects.filter(pk=movement.transaction_id).update(status=TransactionStatus.VOIDED)
        _tell_the_booking(movement)
        return
    if movement.kind == MovementKind.CHARGE:
        return  # nothing moved; the customer may pay again with another card
    txn = Transaction.objects.select_for_update(of=("self",)).get(pk=movement.transaction_id)
    if movement.kind == MovementKind.REVERSAL:
        # The organizer's account could not give the money back: they owe it to the platform,
        # and it is netted against their next payouts (_payouts_create).
        ledger_post(
            transaction=txn,
            kind=EntryKind.DEBT,
            lines=_moved(
                LedgerAccount.VENDOR_DEBT, LedgerAccount.VENDOR_PAYABLE, movement.amount_minor, movement.vendor
            ),
            memo=f"Refund of {movement.booking.reference} owed by {movement.vendor.business_name}: {refusal.message}",
            movement=movement,
        )
        audit_log(
            actor=None,
            action="payment.vendor_debt",
            target=txn,
            reason=refusal.message,
            data={"amount_minor": movement.amount_minor},
        )
        return
    # A refused refund stays owed to the customer (refunds_payable); a refused payout stays owed
    # to the organizer (vendor_payable). Both wait for an admin; the back office lists them.
    logger.error("%s %s failed: %s", movement.kind, movement.idempotency_key, refusal.message)
    if movement.kind == MovementKind.TRANSFER:
        record_payout_failed()
        enqueue("marketplace.notifications.tasks.send_payout_notifications", [movement.pk], "failed")
    audit_log(
        actor=None,
        action=f"payment.{movement.kind}_failed",
        target=txn,
        reason=refusal.message,
        data={"amount_minor": movement.amount_minor},
    )


# --- Capture --------------------------------------------------------------------------------


def charge_begin(
    *,
    booking_id: int,
    reference: str,
    service: Service,
    amount: Money,
    payer: User,
    payment_method: str,
    description: str,
    capture: bool = True,
) -> Movement:
    """Record the intent to charge a booking's full price into escrow (step 1). The caller holds the booking's lock.

    ``capture=False`` (a request the organizer has not accepted) only authorises it: the
    money stays on the customer's card until ``charge_capture_request`` (the organizer
    accepts) or the request closes (``escrow_refund`` releases the authorisation).

    A charge still pending for the booking is either in flight (another request is making
    it: refused with ``payment_processing``) or was left by a crash or a timeout longer
    than ``PAYMENTS_RETRY_AFTER_SECONDS`` ago: then it is returned, to be finished with
    its own key. Paying again never charges twice. The commission in
    force now is fixed on the movement, then on the payment, so a later change of rate
    never changes what this booking pays.
    """
    live = (
        Movement.objects.filter(booking_id=booking_id, kind=MovementKind.CHARGE)
        .exclude(state=MovementState.FAILED)
        .first()
    )
    if live is not None:
        if live.state != MovementState.PENDING:  # captured or authorised (or released: the booking closed)
            raise AlreadyPaid("This booking is already paid.")
        if live.gateway_reference:
            # Made, and waiting for the customer's 3-D Secure step: paying again asks the gateway where
            # that step stands (still open: the same step is shown again) instead of charging twice.
            return live
        if (live.attempted_at or live.created_at) > timezone.now() - timedelta(
            seconds=settings.PAYMENTS_RETRY_AFTER_SECONDS
        ):
            raise PaymentProcessing(
                "Your payment is being processed. We finish it automatically within minutes; please do not pay again."
            )
        return live  # left pending by a crash or a timeout a while ago: finish it, with its own key
    _check_amount(amount, currency=settings.MARKETPLACE_CURRENCY)
    return Movement.objects.create(
        kind=MovementKind.CHARGE,
        booking_id=booking_id,
        amount_minor=amount.minor,
        currency=amount.currency,
        idempotency_key=_attempt_key(reference, MovementKind.CHARGE, booking_id),
        payment_method=payment_method,
        details={
            "commission_bps": commission_bps_for(service),
            "minimum_fee_minor": minimum_fee_for(service),
            "description": description,
            "capture": capture,
        },
        actor=payer,
    )


def charge_pending(*, booking_id: int) -> bool:
    """Whether a charge of this booking is on its way (recorded, or being captured or released): the
    booking must not expire meanwhile."""
    return Movement.objects.filter(ACTIONABLE, booking_id=booking_id, kind=MovementKind.CHARGE).exists()


@dataclass(frozen=True)
class PaymentAction:
    """What the customer's browser needs to finish a charge that waits for their 3-D Secure step.

    Asked of the gateway each time it is needed (``charge_action``), never stored: the
    client secret lets whoever holds it complete the payment, so it lives only at the
    gateway and in the customer's page.
    """

    payment_reference: str
    client_secret: str
    gateway: str  # "stripe": Stripe.js finishes it; "local": the local gateway's stand-in for the bank


def _waiting_charge(booking_id: int, *, payment_reference: str | None = None) -> Movement | None:
    """The booking's charge made at the gateway and still waiting for the customer (3-D Secure)."""
    charges = Movement.objects.filter(
        booking_id=booking_id, kind=MovementKind.CHARGE, state=MovementState.PENDING, gateway_reference__isnull=False
    ).exclude(gateway_reference="")
    if payment_reference is not None:
        charges = charges.filter(gateway_reference=payment_reference)
    return charges.first()


def charge_action(*, booking_id: int) -> PaymentAction | None:
    """The 3-D Secure step a booking's charge waits for, as the gateway tells it now; None when it waits for none.

    Asks the gateway (so it runs outside any transaction). A step that failed, or a gateway
    that cannot answer now, is no step to show: the confirmation (``charge_confirm``) or
    the recovery sweep records the outcome.
    """
    charge = _waiting_charge(booking_id)
    if charge is None:
        return None
    assert_outside_transaction()
    gateway = get_gateway()
    try:
        result = gateway.payment_status(payment_reference=charge.gateway_reference)
    except (PaymentFailed, GatewayUnavailable, GatewayTimeout):
        return None
    if result.status != PaymentStatus.REQUIRES_ACTION or not result.client_secret:
        return None
    return PaymentAction(payment_reference=result.reference, client_secret=result.client_secret, gateway=gateway.name)


def charge_confirm(*, booking_id: int, payment_reference: str) -> Movement:
    """The customer is back from their 3-D Secure step: ask the gateway how it ended and apply its answer.

    Only this booking's own charge can be confirmed: any other reference is refused
    (``payment_not_for_booking``) before anything is asked or written. The booking is
    paid only when the gateway says so (``movement_execute`` asks ``payment_status``). A
    charge already settled (a webhook came first) is returned as it is; a step that failed
    is refused with the bank's reason (``authentication_failed``), and the customer may pay
    again with another card; a step still open leaves the charge pending.
    """
    charge = None
    if payment_reference:
        charge = Movement.objects.filter(
            booking_id=booking_id, kind=MovementKind.CHARGE, gateway_reference=payment_reference
        ).first()
    if charge is None:
        raise PaymentNotForBooking("That payment does not belong to this booking.", field="payment_reference")
    if charge.state == MovementState.FAILED:
        raise AuthenticationFailed(_nothing_charged(charge.last_error or "Your bank could not confirm the payment."))
    if charge.state != MovementState.PENDING:
        return charge
    try:
        return movement_execute(charge.pk, raise_refusal=True)
    except PaymentFailed as refusal:
        raise AuthenticationFailed(_nothing_charged(refusal.message)) from refusal


def _nothing_charged(reason: str) -> str:
    return reason if "nothing was charged" in reason.lower() else f"{reason} Nothing was charged."


def charge_authenticate_locally(*, booking_id: int, payment_reference: str, approve: bool) -> None:
    """The local gateway's stand-in for the customer's bank: pass or fail the 3-D Secure step of a booking's charge.

    What Stripe.js and the bank do in the browser, for the embedded default (no network,
    no Stripe account). Refused unless the local gateway is the one configured, and for
    any payment that is not this booking's charge waiting for that step. Our books are
    not written here: ``charge_confirm`` asks the gateway afterwards, as with Stripe.
    """
    if settings.PAYMENTS_GATEWAY != "local":
        raise NotFound("There is no local payment step: the payment gateway is not the local one.")
    if not payment_reference or _waiting_charge(booking_id, payment_reference=payment_reference) is None:
        raise PaymentNotForBooking(
            "That payment does not belong to this booking, or waits for no authentication.", field="payment_reference"
        )
    local_gateway_authenticate(payment_reference, approve=approve)


def charge_capture_request(*, booking_id: int) -> Movement | None:
    """The organizer accepted a request whose payment is authorised: capture it (after the caller's commit).

    Runs in the caller's unit of work, with the booking locked. Returns the charge to
    execute, or None when the payment was captured already (nothing to do).
    """
    with unit_of_work():
        txn = _lock(booking_id)
        if txn is not None and txn.status == TransactionStatus.HELD:
            return None
        if txn is None or txn.status != TransactionStatus.AUTHORIZED:
            raise PaymentNotHeld("This request has no payment to capture.")
        charge = Movement.objects.select_for_update(of=("self",)).get(
            transaction=txn, kind=MovementKind.CHARGE, state=MovementState.AUTHORIZED
        )
        if charge.pending_step == "cancel":
            raise PaymentNotHeld("The customer's payment is being released; it can no longer be captured.")
        charge.pending_step = "capture"
        charge.save(update_fields=["pending_step"])
    return charge


def _authorization_release(txn: Transaction, *, actor: User | None, reason: str) -> Movement:
    """Release a request's authorised payment in full (the request closed): nothing was taken, nothing to refund."""
    charge = Movement.objects.select_for_update(of=("self",)).get(
        transaction=txn, kind=MovementKind.CHARGE, state=MovementState.AUTHORIZED
    )
    if charge.pending_step == "capture":
        raise PaymentProcessing("The payment is being captured; try again in a moment.")
    if charge.pending_step != "cancel":
        charge.pending_step = "cancel"
        charge.save(update_fields=["pending_step"])
        audit_log(actor=actor, action="payment.authorization_released", target=txn, reason=reason)
        _execute_after_commit(charge)
    return charge


# --- Refunds --------------------------------------------------------------------------------


def escrow_refund(
    *, booking_id: int, actor: User | None, reason: str, amount: Money | None = None, percent: int | None = None
) -> Movement | None:
    """Refund part or all of what is left of a booking's payment; runs in the caller's unit of work.

    ``amount`` (or ``percent`` of what is left) is refunded; neither: everything left.
    Before the release it comes out of escrow; after it, the platform gives back its
    share of the fee and the organizer's share is reversed from their transfer (what
    the reversal cannot take back becomes their debt). The refund itself is paid by the
    gateway after the commit. Returns the refund movement, or None when nothing was paid
    and no amount was asked for (or the percentage comes to nothing).
    """
    with unit_of_work():
        txn = _lock(booking_id)
        if txn is None or txn.status in (TransactionStatus.REFUNDED, TransactionStatus.VOIDED):
            if amount is None:
                return None
            raise NothingToRefund("Nothing of this booking's payment is left to refund.")
        if txn.status == TransactionStatus.AUTHORIZED:
            if (amount is not None and amount != txn.kept) or (percent is not None and percent != 100):
                raise InvalidAmount(
                    "The payment is only authorised on the card: it is released in full, not in part.",
                    field="amount_minor",
                )
            return _authorization_release(txn, actor=actor, reason=reason)
        kept = txn.kept
        if amount is None:
            amount = kept if percent is None else percent_of(kept, percent)
            if amount.minor == 0:
                return None
        _check_amount(amount, currency=txn.currency)
        if kept < amount:
            raise RefundTooLarge(f"At most {kept} of this payment is left to refund.", field="amount_minor")
        payout = Payout.objects.filter(transaction=txn).first() if txn.status == TransactionStatus.RELEASED else None
        if payout is not None and payout.state == MovementState.WAITING:
            payout = _lock_waiting_payout(payout)
        if payout is not None and payout.state == MovementState.PENDING:
            raise PayoutInProgress("The payout of this booking is on its way; refund once it has settled.")
        if payout is not None and payout.state == MovementState.FAILED:
            raise PayoutFailed("The payout of this booking failed; resolve it before refunding.")
        split = refund_split(txn, amount)
        state_before = escrow_state(txn)
        vendor = txn.booking.vendor
        reference = txn.booking.reference
        refund = Movement.objects.create(
            kind=MovementKind.REFUND,
            booking_id=booking_id,
            transaction=txn,
            vendor=vendor,
            amount_minor=amount.minor,
            currency=amount.currency,
            idempotency_key=_attempt_key(reference, MovementKind.REFUND, booking_id),
            source_reference=txn.payment_reference,
            actor=actor,
            reason=reason,
        )
        if txn.status == TransactionStatus.HELD:
            lines = [
                (LedgerAccount.CUSTOMER_ESCROW, amount.minor, None),
                (LedgerAccount.REFUNDS_PAYABLE, -amount.minor, None),
            ]
        else:
            lines = [
                (LedgerAccount.PLATFORM_COMMISSION, split.fee_returned.minor, None),
                (LedgerAccount.VENDOR_PAYABLE, split.payout_returned.minor, vendor),
                (LedgerAccount.REFUNDS_PAYABLE, -amount.minor, None),
            ]
        ledger_post(
            transaction=txn,
            kind=EntryKind.REFUND,
            lines=lines,
            memo=f"Refund of {reference}: {reason}",
            movement=refund,
        )
        if txn.status == TransactionStatus.RELEASED and split.payout_returned.minor:
            _take_back_from_vendor(txn, payout=payout, refund=refund, amount=split.payout_returned.minor)
        txn.platform_fee_minor = split.platform_fee.minor
        txn.vendor_payout_minor = split.vendor_payout.minor
        txn.refunded_minor += amount.minor
        fields = ["platform_fee_minor", "vendor_payout_minor", "refunded_minor"]
        if txn.refunded_minor == txn.amount_minor:
            txn.status = TransactionStatus.REFUNDED
            txn.refunded_at = timezone.now()
            fields += ["status", "refunded_at"]
        txn.save(update_fields=fields)
        audit_log(
            actor=actor,
            action="payment.refunded",
            target=txn,
            reason=reason,
            data={
                "amount_minor": amount.minor,
                "platform_fee_returned_minor": split.fee_returned.minor,
                "vendor_payout_returned_minor": split.payout_returned.minor,
                "refunded_before_minor": txn.refunded_minor - amount.minor,
                "refunded_after_minor": txn.refunded_minor,
                "from": state_before.value,
                "to": escrow_state(txn).value,
            },
        )
        _execute_after_commit(refund)
    return refund


def _lock_waiting_payout(payout: Payout) -> Payout:
    """The waiting payout, locked and still waiting; else the refund waits (PayoutInProgress).

    Without waiting for the lock: the account may have just been enabled and the payout be
    on its way, and that job locks the payout before the payment (the refund's order is the
    reverse).
    """
    try:
        with transaction.atomic():
            current = Payout.objects.select_for_update(nowait=True).get(pk=payout.pk)
    except DatabaseError:
        current = None
    if current is None or current.state != MovementState.WAITING:
        raise PayoutInProgress("The payout of this booking is on its way; refund once it has settled.")
    return current


def _take_back_from_vendor(txn: Transaction, *, payout: Payout | None, refund: Movement, amount: int) -> None:
    """After a payout: reverse what the transfer can give back; the rest is the organizer's debt at once.

    A payout still waiting for the organizer's account was never sent: it is made smaller
    instead (a payout left with nothing settles with no transfer).
    """
    if payout is not None and payout.state == MovementState.WAITING:
        smaller = min(amount, payout.amount_minor)
        payout.amount_minor -= smaller
        payout.details = {
            **payout.details,
            "vendor_share_minor": payout.details["vendor_share_minor"] - smaller,
            "refunded_before_payout_minor": payout.details.get("refunded_before_payout_minor", 0) + smaller,
        }
        if payout.amount_minor == 0:
            payout.state = MovementState.PENDING
            _execute_after_commit(payout)
        payout.save(update_fields=["amount_minor", "details", "state"])
        amount -= smaller
        payout = None  # what is left (a share netted against a debt before) is owed by the organizer
    transferred = payout.amount_minor if payout and payout.state == MovementState.SUCCEEDED else 0
    reversed_before = sum(
        Movement.objects.filter(transaction=txn, kind=MovementKind.REVERSAL)
        .exclude(state=MovementState.FAILED)
        .values_list("amount_minor", flat=True)
    )
    reversible = min(amount, transferred - reversed_before)
    vendor = txn.booking.vendor
    if reversible > 0:
        reversal = Movement.objects.create(
            kind=MovementKind.REVERSAL,
            booking_id=txn.booking_id,
            transaction=txn,
            vendor=vendor,
            amount_minor=reversible,
            currency=txn.currency,
            idempotency_key=_attempt_key(txn.booking.reference, MovementKind.REVERSAL, txn.booking_id),
            source_reference=payout.gateway_reference,
            actor=refund.actor,
            reason=refund.reason,
        )
        _execute_after_commit(reversal)
    if amount - reversible > 0:
        ledger_post(
            transaction=txn,
            kind=EntryKind.DEBT,
            lines=_moved(LedgerAccount.VENDOR_DEBT, LedgerAccount.VENDOR_PAYABLE, amount - reversible, vendor),
            memo=f"Refund of {txn.booking.reference} owed by {vendor.business_name}: more than the transfer left",
            movement=refund,
        )


def escrow_refund_by_admin(*, admin: User, booking_id: int, amount: Money | None, reason: str) -> Movement:
    """Staff refund part or all of a payment, before or after the payout.

    Finance (and admins) refund any amount; support up to ``STAFF_REFUND_LIMIT_MINOR`` at
    once. Everything left is checked once it is known, and refused with nothing written.
    """
    require_refund_permission(admin, amount or Money(1, settings.MARKETPLACE_CURRENCY))
    if not (reason or "").strip():
        raise ValidationFailed("Say why you refund.", field="reason")
    with unit_of_work():
        refund = escrow_refund(booking_id=booking_id, actor=admin, reason=reason, amount=amount)
        if refund is None:
            raise NothingToRefund("Nothing of this booking's payment is left to refund.")
        require_refund_permission(admin, refund.amount)
    refund.refresh_from_db()
    return refund


# --- Release and payout ------------------------------------------------------------------------


def _release_is_due(txn: Transaction) -> bool:
    return (
        txn.status == TransactionStatus.HELD
        and txn.releasable_at is not None
        and not txn.payout_needs_approval
        and not txn.hold_reasons
    )


def escrow_release_request(*, booking_id: int) -> Transaction:
    """The work is confirmed (or a cancellation leaves the organizer part of the price): release is due.

    Decides, once, whether the payout waits for an admin (``payout_approval_grounds``);
    if it need not and no hold is active, queues the ``escrow_release_due`` job, which
    releases it with whatever else is due. Called by the booking workflow inside its
    unit of work.
    """
    with unit_of_work():
        txn = _lock(booking_id)
        if txn is not None and txn.status == TransactionStatus.REFUNDED:
            return txn  # everything was refunded (an admin's goodwill): nothing left to release
        if txn is None or txn.status != TransactionStatus.HELD:
            raise PaymentNotHeld("This booking has no payment held in escrow.")
        grounds = payout_approval_grounds(amount_minor=txn.kept.minor, vendor=txn.booking.vendor)
        txn.releasable_at = timezone.now()
        txn.payout_needs_approval = bool(grounds)
        txn.payout_approval_grounds = grounds
        txn.save(update_fields=["releasable_at", "payout_needs_approval", "payout_approval_grounds"])
        if _release_is_due(txn):
            enqueue("marketplace.payments.tasks.escrow_release_due")
    return txn


def escrow_release(*, booking_id: int, approved_by: User | None = None, reason: str = "") -> Transaction:
    """Release one booking's escrow, saying why when it cannot be released.

    ``approved_by`` is the admin approving a payout that waits for approval. Without one
    it releases only a payout that needs none (the jobs release those in batches with
    ``escrow_release_due``). Running it twice releases once. The payout is transferred
    by the ``payouts_execute`` job after commit.
    """
    if approved_by is not None:
        require_permission(approved_by, Perm.APPROVE_PAYOUTS, to="release payouts")
    with unit_of_work():
        txn = _lock_or_refuse(booking_id, nothing="This booking has no payment to release.")
        if txn.status == TransactionStatus.RELEASED and approved_by is None:
            return txn  # the job ran twice: nothing to do
        if (refusal := payout_approval_refusal(txn)) is not None:
            raise refusal
        if txn.payout_needs_approval and approved_by is None:
            raise PayoutNeedsApproval("This payout waits for an admin's approval.")
        _release([txn], approved_by=approved_by, reason=reason)
    return txn


def escrow_release_due(*, limit: int) -> list[Transaction]:
    """Release up to ``limit`` escrows that are due (no approval needed, no hold), in one transaction.

    The escrows are claimed with ``SKIP LOCKED``: release jobs running at once on several
    workers share the backlog without waiting for each other, and an escrow that a
    refund or a hold has locked right now is left for the next job. Returns the released
    payments, oldest due first.
    """
    with unit_of_work():
        txns = list(
            escrow_list_due_for_release()
            .select_for_update(of=("self",), skip_locked=True)
            .select_related("booking__vendor__profile")[:limit]
        )
        if txns:
            _release(txns)
    return txns


def _release(txns: list[Transaction], *, approved_by: User | None = None, reason: str = "") -> list[Payout]:
    """Release locked escrows: keep the commission, owe each vendor their share, create the payouts.

    A handful of statements whatever the number of escrows (bulk inserts and one
    update), so a batch costs one commit. The payouts are transferred after the commit
    by ``payouts_execute`` jobs of at most ``PAYMENTS_PAYOUT_BATCH_SIZE`` each.
    """
    states_before = {txn.pk: escrow_state(txn).value for txn in txns}
    ledger_post_many(
        Posting(
            transaction=txn,
            kind=EntryKind.RELEASE,
            lines=[
                (LedgerAccount.CUSTOMER_ESCROW, txn.kept.minor, None),
                (LedgerAccount.PLATFORM_COMMISSION, -txn.platform_fee_minor, None),
                (LedgerAccount.VENDOR_PAYABLE, -txn.vendor_payout_minor, txn.booking.vendor),
            ],
            memo=f"Release of {txn.booking.reference}",
        )
        for txn in txns
    )
    payouts = _payouts_create(txns)
    released_at = timezone.now()
    Transaction.objects.filter(pk__in=[txn.pk for txn in txns]).update(
        status=TransactionStatus.RELEASED, released_at=released_at, released_by=approved_by
    )
    for txn in txns:
        txn.status, txn.released_at, txn.released_by = TransactionStatus.RELEASED, released_at, approved_by
    audit_log_many(
        actor=approved_by,
        action="escrow.released",
        reason=reason,
        targets=(
            (
                txn,
                {
                    "vendor_payout_minor": txn.vendor_payout_minor,
                    "platform_fee_minor": txn.platform_fee_minor,
                    "from": states_before[txn.pk],
                    "to": escrow_state(txn).value,
                },
            )
            for txn in txns
        ),
    )
    to_send = [payout.pk for payout in payouts if payout.state != MovementState.WAITING]
    waiting = [payout.pk for payout in payouts if payout.state == MovementState.WAITING]
    if waiting:  # the organizers hear their money waits for their payout account
        enqueue("marketplace.notifications.tasks.send_payout_notifications", waiting, "waiting")
    size = settings.PAYMENTS_PAYOUT_BATCH_SIZE
    for start in range(0, len(to_send), size):
        enqueue("marketplace.payments.tasks.payouts_execute", to_send[start : start + size])
    return payouts


def _payouts_create(txns: list[Transaction]) -> list[Payout]:
    """One payout per release: the vendor's share, less what they owe the platform (netted here).

    A payout to an organizer whose account cannot receive it (none, or payouts not
    enabled) is created waiting, with no call to make: it is owed (vendor_payable) and
    ``payout_accounts.payout_account_sync`` sends it once the account can receive.
    """
    # Organizers whose account cannot receive are locked too, with their profile read again under
    # the lock: payout_account_sync (which locks the vendor first) then either sees this payout
    # waiting, or has enabled the account before it is created. Nearly all vendors are not locked.
    unable = {
        txn.booking.vendor_id
        for txn in txns
        if txn.vendor_payout_minor and not payout_account_can_receive(getattr(txn.booking.vendor, "profile", None))
    }
    debts = _vendor_debts_locked(
        {(txn.booking.vendor_id, txn.currency) for txn in txns if txn.vendor_payout_minor}, also_lock=unable
    )
    if unable:
        profiles = {profile.vendor_id: profile for profile in VendorProfile.objects.filter(vendor_id__in=unable)}
        for txn in txns:
            if txn.booking.vendor_id in profiles:
                txn.booking.vendor.profile = profiles[txn.booking.vendor_id]
    payouts = []
    for txn in txns:
        vendor, share = txn.booking.vendor, txn.vendor_payout_minor
        owed = debts.get((vendor.pk, txn.currency), 0)
        netted = min(share, owed)
        if netted:
            debts[(vendor.pk, txn.currency)] = owed - netted
        profile = getattr(vendor, "profile", None)
        details = {"vendor_share_minor": share, "debt_netted_minor": netted}
        waits = share - netted > 0 and not payout_account_can_receive(profile)
        if waits:
            details["waited_for_account"] = payout_account_problem(profile)
        payouts.append(
            Payout(
                kind=MovementKind.TRANSFER,
                state=MovementState.WAITING if waits else MovementState.PENDING,
                booking=txn.booking,
                transaction=txn,
                vendor=vendor,
                amount_minor=share - netted,
                currency=txn.currency,
                idempotency_key=f"{txn.booking.reference}:payout",
                destination=profile.stripe_account_id if profile else "",
                source_reference=txn.payment_reference,  # the payment that funds it (Stripe: source_transaction)
                details=details,
            )
        )
    Payout.objects.bulk_create(payouts)
    ledger_post_many(
        Posting(
            transaction=payout.transaction,
            kind=EntryKind.DEBT_NETTED,
            lines=_moved(
                LedgerAccount.VENDOR_PAYABLE, LedgerAccount.VENDOR_DEBT, payout.debt_netted.minor, payout.vendor
            ),
            memo=f"Debt of {payout.vendor.business_name} netted against the payout for {payout.booking.reference}",
            movement=payout,
        )
        for payout in payouts
        if payout.debt_netted.minor
    )
    return payouts


def _vendor_debts_locked(
    keys: set[tuple[int, str]], *, also_lock: set[int] | frozenset[int] = frozenset()
) -> dict[tuple[int, str], int]:
    """What each (vendor, currency) of ``keys`` owes the platform, read under the vendors' row locks.

    The lock makes one netting of a vendor's debt at a time; vendors who never owed
    anything (no debt line: nearly all) are not locked, so releases of their payouts
    never wait for each other. ``also_lock``: more vendors to lock in the same ordered
    statement (one lock order, so no two releases deadlock).
    """
    with_debt_lines = vendor_debts_minor(vendor_ids={vendor_id for vendor_id, _ in keys}) if keys else {}
    owing = sorted({vendor_id for vendor_id, _ in with_debt_lines})
    if owing or also_lock:
        list(Vendor.objects.select_for_update().filter(pk__in={*owing, *also_lock}).order_by("pk"))
    if not owing:
        return {}
    return {key: total for key, total in vendor_debts_minor(vendor_ids=owing).items() if key in keys and total > 0}


def payouts_execute(*, payout_ids: list[int]) -> list[Movement]:
    """Transfer payouts, one gateway call each, and book them all in one transaction. Exactly one transfer each.

    A payout whose organizer's account can no longer receive it (payouts disabled since
    the release) waits for the account instead of being refused by the gateway.
    """
    _payouts_wait_for_account(payout_ids)
    return movement_execute_many(payout_ids)


def _payouts_wait_for_account(payout_ids: list[int]) -> None:
    """Park the never-tried payouts among these whose organizer's account cannot receive now.

    Only a payout never sent (no attempt) is parked: one that was sent may have happened at
    the gateway, and is finished with its own key and destination.
    """
    candidates = (
        Payout.objects.filter(pk__in=payout_ids, state=MovementState.PENDING, attempts=0, amount_minor__gt=0)
        .select_related("vendor__profile")
        .order_by("pk")
    )
    parked = {
        payout.pk: payout_account_problem(getattr(payout.vendor, "profile", None))
        for payout in candidates
        if not payout_account_can_receive(getattr(payout.vendor, "profile", None))
    }
    if not parked:
        return
    with unit_of_work():
        # The vendors first (payout_account_sync's order), then their profiles as they are now.
        vendor_ids = sorted(Payout.objects.filter(pk__in=list(parked)).values_list("vendor_id", flat=True).distinct())
        list(Vendor.objects.select_for_update().filter(pk__in=vendor_ids).order_by("pk"))
        profiles = {profile.vendor_id: profile for profile in VendorProfile.objects.filter(vendor_id__in=vendor_ids)}
        locked = Payout.objects.select_for_update().filter(pk__in=list(parked), state=MovementState.PENDING, attempts=0)
        for payout in locked:
            profile = profiles.get(payout.vendor_id)
            if payout_account_can_receive(profile):
                continue
            problem = payout_account_problem(profile)
            payout.state = MovementState.WAITING
            payout.details = {**payout.details, "waited_for_account": problem}
            payout.save(update_fields=["state", "details"])
            audit_log(actor=None, action="payout.waiting_for_account", target=payout, reason=problem)
            enqueue("marketplace.notifications.tasks.send_payout_notifications", [payout.pk], "waiting")


# --- Holds ---------------------------------------------------------------------------------------


def escrow_hold(*, booking_id: int, reason: str, actor: User | None, note: str = "") -> ReleaseHold:
    """Freeze a booking's escrow release for a reason (a dispute, a chargeback, an admin). Idempotent per reason.

    An admin's hold needs an admin; disputes and chargebacks are placed by the services
    that handle them.
    """
    reason = HoldReason(reason)
    if reason == HoldReason.ADMIN:
        require_permission(actor, Perm.APPROVE_PAYOUTS, to="hold payouts")
    with unit_of_work():
        txn = _lock_or_refuse(booking_id, nothing="This booking has no payment to hold.")
        if txn.status != TransactionStatus.HELD:
            raise PaymentNotHeld(f"The payment was {txn.get_status_display().lower()}; there is no escrow to hold.")
        active = ReleaseHold.objects.filter(transaction=txn, reason=reason, lifted_at__isnull=True).first()
        if active is not None:
            return active
        hold = ReleaseHold.objects.create(transaction=txn, reason=reason, note=note, placed_by=actor)
        before = escrow_state(txn)
        txn.hold_reasons = sorted({*txn.hold_reasons, reason.value})
        txn.save(update_fields=["hold_reasons"])
        audit_log(
            actor=actor,
            action="escrow.held",
            target=txn,
            reason=note,
            data={"hold": reason.value, "from": before.value, "to": escrow_state(txn).value},
        )
    return hold


def payout_hold(*, booking_id: int, actor: User, note: str) -> ReleaseHold:
    """An admin holds a payout (``escrow_hold`` with the reason "admin"), saying why.

    Unlike ``escrow_hold``, which is idempotent per reason for the services that hold on
    their own, an admin asking again is refused: their reason would otherwise be kept
    nowhere while they were told the payout was held.
    """
    require_permission(actor, Perm.APPROVE_PAYOUTS, to="hold payouts")
    with unit_of_work():
        txn = _lock_or_refuse(booking_id, nothing="This booking has no payment to hold.")
        if (refusal := payout_hold_refusal(txn)) is not None:
            raise refusal
        return escrow_hold(booking_id=booking_id, reason=HoldReason.ADMIN, actor=actor, note=note)


def escrow_hold_lift(*, booking_id: int, reason: str, actor: User | None, note: str = "") -> ReleaseHold:
    """Lift a hold; when it was the last one and the release is due, the release job is queued again."""
    reason = HoldReason(reason)
    if reason == HoldReason.ADMIN:
        require_permission(actor, Perm.APPROVE_PAYOUTS, to="lift payout holds")
    with unit_of_work():
        txn = _lock_or_refuse(booking_id, nothing="This booking has no payment to hold.")
        hold = ReleaseHold.objects.filter(transaction=txn, reason=reason, lifted_at__isnull=True).first()
        if hold is None:
            raise NoActiveHold(f"Nothing to lift: the escrow is not on hold for this reason ({reason.label.lower()}).")
        hold.lifted_at = timezone.now()
        hold.lifted_by = actor
        hold.lift_note = note
        hold.save(update_fields=["lifted_at", "lifted_by", "lift_note"])
        before = escrow_state(txn)
        txn.hold_reasons = [code for code in txn.hold_reasons if code != reason.value]
        txn.save(update_fields=["hold_reasons"])
        audit_log(
            actor=actor,
            action="escrow.hold_lifted",
            target=txn,
            reason=note,
            data={"hold": reason.value, "from": before.value, "to": escrow_state(txn).value},
        )
        if _release_is_due(txn):
            enqueue("marketplace.payments.tasks.escrow_release_due")
    return hold


# --- Recovery ------------------------------------------------------------------------------------------


def movement_list_to_recover(*, older_than: timedelta):
    """Pending movements nobody is working on: recorded, or last tried, longer ago than ``older_than``."""
    cutoff = timezone.now() - older_than
    return (
        Movement.objects.filter(ACTIONABLE, created_at__lt=cutoff)
        .exclude(attempted_at__gte=cutoff)
        .order_by("created_at", "id")
    )
