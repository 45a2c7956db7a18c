"""Stripe webhooks: each verified event is stored once by its id, then applied once by a job.

Receiving (``stripe_event_receive``, called by the API's webhook route) verifies the
signature (``gateways.stripe_webhooks``), refuses a type no handler takes, and stores
the event by Stripe's id with the ``stripe_event_apply`` job in one unit of work; a
repeated delivery finds the row and stores nothing. Answering fast matters: Stripe
waits only seconds and delivers again on a timeout.

Applying (``stripe_event_apply``) runs the event's handler from ``EVENT_HANDLERS`` and
sets ``applied_at``, under the event's row lock: running the job twice, or at once on
two workers, applies it once. A handler that fails leaves the event unapplied with its
error, for the ``stripe_events_apply_pending`` sweep. Events may arrive in any order:
each handler reads the state Stripe reports in the event's object rather than the
change the event names, and an older event never overwrites what a newer one set.

The handlers:

- money movements (payment intents, refunds, transfers and their reversals): the event
  names an object of a movement we recorded (its ``metadata["idempotency_key"]``, or its
  id as the movement's ``gateway_reference``). A pending movement is finished by
  ``services.movement_execute``, which asks the gateway with the movement's own key and
  applies the answer exactly once; it calls the gateway, so these handlers run with no
  transaction open, before the event is marked applied.
- card disputes: a ``Chargeback`` row for the back office, and a chargeback hold on the
  booking's escrow while the dispute is open or was lost (``services.escrow_hold``); a
  dispute the platform won lifts it (``services.escrow_hold_lift``).
- an organizer's bank payouts: recorded; a failed one is logged.
- ``account.updated``: the organizer's payout account (``payout_accounts.payout_account_sync``:
  payouts enabled, requirements, the pause of new bookings, the payouts that waited).

An event about an object we never recorded (another system on the same Stripe account)
is applied with a note saying so: it is not an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from marketplace.core.audit import audit_log
from marketplace.core.db import unit_of_work
from marketplace.core.jobs import enqueue

from .errors import StripeEventTypeNotHandled
from .gateways.base import AccountStatus
from .gateways.stripe_webhooks import stripe_event_verify
from .models import (
    CHARGEBACK_CLOSED,
    CHARGEBACK_KEPT,
    Chargeback,
    ChargebackStatus,
    HoldReason,
    Movement,
    MovementKind,
    MovementState,
    StripeEvent,
    Transaction,
    TransactionStatus,
)
from .payout_accounts import payout_account_sync
from .services import escrow_hold, escrow_hold_lift, movement_execute, movement_has_work

logger = logging.getLogger(__name__)

APPLY_JOB = "marketplace.payments.tasks.stripe_event_apply"


class MovementLeftPending(Exception):
    """The gateway did not answer for a movement an event is about: the event is tried again later."""


@dataclass(frozen=True)
class EventHandler:
    """How one type of event is applied. ``apply`` returns a note saying what it did.

    ``calls_gateway``: it may call the payment gateway, so it runs with no transaction
    open (the event is then marked applied in a transaction of its own); otherwise it
    runs under the event's row lock, in the transaction that marks it applied.
    """

    apply: Callable[[StripeEvent], str]
    calls_gateway: bool = False


EVENT_HANDLERS: dict[str, EventHandler] = {}


def handles(*types: str, calls_gateway: bool = False):
    def register(apply: Callable[[StripeEvent], str]) -> Callable[[StripeEvent], str]:
        for event_type in types:
            EVENT_HANDLERS[event_type] = EventHandler(apply=apply, calls_gateway=calls_gateway)
        return apply

    return register


# --- Receiving ---------------------------------------------------------------------------------


def stripe_event_receive(*, payload: bytes, signature_header: str | None) -> tuple[StripeEvent, bool]:
    """Store a verified event once by its id and queue its application; returns (event, duplicate).

    ``payload`` is the raw request body, exactly as received (the signature covers its
    bytes). A refused event (see ``stripe_event_verify``, or a type no handler takes)
    writes nothing. A repeated delivery of a stored event writes nothing either.
    """
    verified = stripe_event_verify(payload=payload, signature_header=signature_header)
    if verified.type not in EVENT_HANDLERS:
        raise StripeEventTypeNotHandled(
            f"Stripe events of type {verified.type!r} are not handled here; "
            f"send only: {', '.join(sorted(EVENT_HANDLERS))}."
        )
    with unit_of_work():
        event, created = StripeEvent.objects.get_or_create(
            stripe_id=verified.id,
            defaults={
                "type": verified.type,
                "created": verified.created,
                "livemode": verified.livemode,
                "account": verified.account,
                "payload": verified.payload,
            },
        )
        if created:
            enqueue(APPLY_JOB, verified.id)
    return event, not created


# --- Applying ------------------------------------------------------------------------------------


def _lock(event_pk: int) -> StripeEvent:
    return StripeEvent.objects.select_for_update().get(pk=event_pk)


def _mark_applied(event: StripeEvent, note: str) -> None:
    event.applied_at = timezone.now()
    event.note = note
    event.last_error = ""
    event.save(update_fields=["applied_at", "note", "last_error"])


def stripe_event_apply(*, event_id: str) -> str:
    """Apply one stored event (Stripe's id), exactly once however often it runs; returns what happened.

    ``applied``, ``already applied``, ``failed`` (the error is recorded on the event,
    which stays for the sweep) or ``unknown`` (no such event stored).
    """
    event = StripeEvent.objects.filter(stripe_id=event_id).first()
    if event is None:
        return "unknown"
    if event.applied_at is not None:
        return "already applied"
    StripeEvent.objects.filter(pk=event.pk).update(attempts=F("attempts") + 1, attempted_at=timezone.now())
    handler = EVENT_HANDLERS.get(event.type)
    try:
        if handler is None:
            raise LookupError(f"no handler for Stripe events of type {event.type!r}")
        if handler.calls_gateway:
            note = handler.apply(event)  # no transaction open: movement_execute applies its answer once itself
            with unit_of_work():
                locked = _lock(event.pk)
                if locked.applied_at is not None:
                    return "already applied"
                _mark_applied(locked, note)
        else:
            with unit_of_work():
                locked = _lock(event.pk)
                if locked.applied_at is not None:
                    return "already applied"
                _mark_applied(locked, handler.apply(locked))
    except Exception as error:
        logger.exception("Stripe event %s (%s) not applied; the sweep tries again", event.stripe_id, event.type)
        StripeEvent.objects.filter(pk=event.pk, applied_at__isnull=True).update(
            last_error=f"{type(error).__name__}: {error}"[:2000]
        )
        return "failed"
    return "applied"


def stripe_event_list_pending(*, older_than: timedelta) -> QuerySet[StripeEvent]:
    """Events not applied, received (and last tried, if ever) longer ago than ``older_than``, oldest first."""
    cutoff = timezone.now() - older_than
    return (
        StripeEvent.objects.filter(applied_at__isnull=True, received_at__lt=cutoff)
        .exclude(attempted_at__gte=cutoff)
        .order_by("received_at", "id")
    )


# --- Money movements ------------------------------------------------------------------------------


def _key(stripe_object: dict[str, Any]) -> str:
    metadata = stripe_object.get("metadata")
    key = metadata.get("idempotency_key") if isinstance(metadata, dict) else None
    return key if isinstance(key, str) else ""


def _listed(stripe_object: dict[str, Any], field: str) -> list[dict[str, Any]]:
    """The objects of a list field (a charge's refunds, a transfer's reversals) when Stripe included them."""
    listed = stripe_object.get(field)
    items = listed.get("data") if isinstance(listed, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _movements(kind: str, objects: Iterable[dict[str, Any]], *, pending_from: Iterable[str] = ()) -> list[Movement]:
    """Our movements of ``kind`` for these Stripe objects: by idempotency key, else by gateway id.

    ``pending_from``: the charge or transfer they take money back from; a pending refund
    or reversal of it is found that way when the event does not list its objects.
    """
    objects = list(objects)
    keys = {_key(item) for item in objects} - {""}
    references = {item.get("id") for item in objects if isinstance(item.get("id"), str)} - {""}
    sources = set(pending_from) - {""}
    if not (keys or references or sources):
        return []
    match = Q(idempotency_key__in=keys) | Q(gateway_reference__in=references)
    if sources:
        match |= Q(source_reference__in=sources, state=MovementState.PENDING)
    return list(Movement.objects.filter(match, kind=kind).order_by("pk"))


def _finish(event: StripeEvent, kind: str, movements: list[Movement]) -> str:
    """Execute each movement with work left (the money service applies the answer once); say what became of them."""
    if not movements:
        label = MovementKind(kind).label.lower()
        return f"No {label} of ours matches {event.data_object.get('id')}: another system's object."
    notes = []
    for movement in movements:
        if not movement_has_work(movement):
            notes.append(f"{movement.idempotency_key} was already {movement.state}")
            continue
        movement = movement_execute(movement.pk)
        if movement_has_work(movement):
            raise MovementLeftPending(f"{movement.idempotency_key} is still pending: {movement.last_error}")
        notes.append(f"{movement.idempotency_key} executed: {movement.state}")
    return "; ".join(notes) + "."


@handles(
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.amount_capturable_updated",
    calls_gateway=True,
)
def _payment_intent(event: StripeEvent) -> str:
    return _finish(event, MovementKind.CHARGE, _movements(MovementKind.CHARGE, [event.data_object]))


@handles("charge.refunded", calls_gateway=True)
def _charge_refunded(event: StripeEvent) -> str:
    charge = event.data_object
    # The charge's own metadata names the charge, not its refunds: only the refunds are looked up.
    refunds = _movements(
        MovementKind.REFUND,
        _listed(charge, "refunds"),
        pending_from=[value for value in (charge.get("id"), charge.get("payment_intent")) if isinstance(value, str)],
    )
    return _finish(event, MovementKind.REFUND, refunds)


@handles("transfer.created", "transfer.updated", calls_gateway=True)
def _transfer(event: StripeEvent) -> str:
    return _finish(event, MovementKind.TRANSFER, _movements(MovementKind.TRANSFER, [event.data_object]))


@handles("transfer.reversed", calls_gateway=True)
def _transfer_reversed(event: StripeEvent) -> str:
    transfer = event.data_object
    transfer_id = transfer.get("id") if isinstance(transfer.get("id"), str) else ""
    reversals = _movements(MovementKind.REVERSAL, _listed(transfer, "reversals"), pending_from=[transfer_id])
    return _finish(event, MovementKind.REVERSAL, reversals)


# --- Card disputes (chargebacks) -----------------------------------------------------------------

# Within one second (Stripe's clock), a later stage of a dispute wins over an earlier one.
STATUS_STAGE = {
    ChargebackStatus.WARNING_NEEDS_RESPONSE: 0,
    ChargebackStatus.WARNING_UNDER_REVIEW: 1,
    ChargebackStatus.NEEDS_RESPONSE: 2,
    ChargebackStatus.UNDER_REVIEW: 3,
}
CLOSED_STAGE = 4


def _stage(status: str) -> int:
    return CLOSED_STAGE if status in CHARGEBACK_CLOSED else STATUS_STAGE.get(status, 0)


def _moment(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def _disputed_payment(dispute: dict[str, Any]) -> Transaction | None:
    """Our payment of a dispute: Transaction.payment_reference holds the PaymentIntent (Stripe) or the charge."""
    references = [dispute.get(field) for field in ("payment_intent", "charge")]
    references = [value for value in references if isinstance(value, str) and value]
    if not references:
        return None
    return Transaction.objects.filter(payment_reference__in=references).order_by("pk").first()


def _chargeback_hold_sync(txn: Transaction, *, dispute_id: str) -> str:
    """Hold the escrow while any chargeback of the payment is open or lost; lift the hold once none is."""
    must_hold = Chargeback.objects.filter(transaction=txn).exclude(status__in=CHARGEBACK_KEPT).exists()
    txn.refresh_from_db(fields=["status", "hold_reasons"])
    held = HoldReason.CHARGEBACK.value in txn.hold_reasons
    if must_hold and not held:
        if txn.status != TransactionStatus.HELD:
            logger.warning("chargeback %s on a payment already %s: nothing to hold", dispute_id, txn.status)
            return f" The payment was already {txn.status}: nothing to hold; an admin follows up."
        escrow_hold(
            booking_id=txn.booking_id,
            reason=HoldReason.CHARGEBACK,
            actor=None,
            note=f"Stripe dispute {dispute_id}",
        )
        return " Escrow held."
    if held and not must_hold:
        escrow_hold_lift(
            booking_id=txn.booking_id,
            reason=HoldReason.CHARGEBACK,
            actor=None,
            note=f"Stripe dispute {dispute_id} closed in the platform's favour",
        )
        return " Chargeback hold lifted."
    return ""


@handles("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed")
def _dispute(event: StripeEvent) -> str:
    dispute = event.data_object
    dispute_id = dispute.get("id")
    if not isinstance(dispute_id, str) or not dispute_id:
        return "The dispute has no id: nothing recorded."
    txn = _disputed_payment(dispute)
    if txn is None:
        return f"Dispute {dispute_id} is about a payment we never recorded: another system's object."
    status = str(dispute.get("status") or ChargebackStatus.NEEDS_RESPONSE)[:32]
    amount = dispute.get("amount")
    currency = dispute.get("currency")
    evidence = dispute.get("evidence_details")
    fields = {
        "amount_minor": amount if isinstance(amount, int) and not isinstance(amount, bool) else txn.amount_minor,
        "currency": currency.upper()[:3] if isinstance(currency, str) and currency else txn.currency,
        "reason": str(dispute.get("reason") or "")[:64],
        "status": status,
        "evidence_due_by": _moment(evidence.get("due_by")) if isinstance(evidence, dict) else None,
        "created": _moment(dispute.get("created")) or event.created,
        "stripe_updated": event.created,
    }
    chargeback = Chargeback.objects.select_for_update().filter(stripe_dispute_id=dispute_id).first()
    if chargeback is None:
        closed_at = event.created if status in CHARGEBACK_CLOSED else None
        chargeback = Chargeback.objects.create(
            stripe_dispute_id=dispute_id, transaction=txn, booking_id=txn.booking_id, closed_at=closed_at, **fields
        )
        note = f"Chargeback {dispute_id} recorded: {status}."
    elif (event.created, _stage(status)) >= (chargeback.stripe_updated, _stage(chargeback.status)):
        was_closed = chargeback.is_closed
        for name, value in fields.items():
            setattr(chargeback, name, value)
        if status in CHARGEBACK_CLOSED and not was_closed:
            chargeback.closed_at = event.created
        chargeback.save()
        note = f"Chargeback {dispute_id} updated: {status}."
    else:
        note = f"Chargeback {dispute_id} is already {chargeback.status} (a newer event): this one changes nothing."
    audit_log(
        actor=None,
        action="payment.chargeback",
        target=txn,
        reason=note,
        data={"dispute": dispute_id, "status": chargeback.status, "event": event.stripe_id},
    )
    if chargeback.status == ChargebackStatus.LOST:
        logger.warning("chargeback %s lost: the escrow stays held for an admin", dispute_id)
        note += " Lost: the hold stays until an admin decides."
    return note + _chargeback_hold_sync(txn, dispute_id=dispute_id)


# --- Organizers' bank payouts and accounts -----------------------------------------------------------


@handles("payout.paid", "payout.failed")
def _bank_payout(event: StripeEvent) -> str:
    payout = event.data_object
    amount = f"{payout.get('amount')} {str(payout.get('currency') or '').upper()}"
    if event.type == "payout.failed":
        logger.warning(
            "bank payout %s of %s from account %s failed: %s (%s)",
            payout.get("id"),
            amount,
            event.account or "(platform)",
            payout.get("failure_message") or "",
            payout.get("failure_code") or "",
        )
        reason = str(payout.get("failure_message") or "no reason given").rstrip(".")
        return f"Bank payout {payout.get('id')} of {amount} failed: {reason}."
    return f"Bank payout {payout.get('id')} of {amount} paid."


def _codes(requirements: dict[str, Any], field: str) -> tuple[str, ...]:
    listed = requirements.get(field)
    return tuple(code for code in listed if isinstance(code, str)) if isinstance(listed, list) else ()


def account_status_of(account: dict[str, Any]) -> AccountStatus:
    """An ``account.updated`` event's Account object as the gateway interface reports accounts."""
    requirements = account.get("requirements")
    requirements = requirements if isinstance(requirements, dict) else {}
    disabled_reason = requirements.get("disabled_reason")
    return AccountStatus(
        reference=account.get("id") if isinstance(account.get("id"), str) else "",
        payouts_enabled=account.get("payouts_enabled") is True,
        details_submitted=account.get("details_submitted") is True,
        requirements_due=_codes(requirements, "currently_due"),
        requirements_past_due=_codes(requirements, "past_due"),
        disabled_reason=disabled_reason if isinstance(disabled_reason, str) else "",
    )


@handles("account.updated")
def _account_updated(event: StripeEvent) -> str:
    """The organizer's payout account changed: ``payout_account_sync`` applies it (an older event changes nothing)."""
    return payout_account_sync(
        status=account_status_of(event.data_object), as_of=event.created, source=f"Stripe event {event.stripe_id}"
    )
