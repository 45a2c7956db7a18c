"""Disputes: open, answer, add evidence, withdraw, resolve, and the deadline sweep.

Every step runs in one unit of work with the booking (then the payment) locked, writes
the audit log and queues the notifications. The money only ever moves through the
money service: opening a dispute places the escrow's dispute hold (``escrow_hold``),
which the automatic release respects, and a decision refunds (``escrow_refund``) and
releases (``escrow_release_request``) before lifting the hold. A dispute racing the
release: both lock the payment row, so exactly one wins; a dispute that comes second
finds the money paid out and is refused with ``dispute_not_allowed``.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import IO

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.accounts.permissions import Perm
from marketplace.accounts.policy import require_permission, require_refund_permission
from marketplace.bookings import services as bookings
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.core.audit import audit_log
from marketplace.core.db import unit_of_work
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.jobs import enqueue
from marketplace.core.money import Money
from marketplace.core.validation import clean_text
from marketplace.payments import services as payments
from marketplace.payments.errors import PaymentNotHeld, RefundTooLarge
from marketplace.payments.models import HoldReason
from marketplace.payments.policy import payment_of

from .errors import DisputeNotAllowed
from .evidence import CheckedFile, check_files
from .models import REASONS_FOR, Dispute, DisputeReason, DisputeStatus, Evidence, Outcome
from .policy import can_add_evidence, can_open_dispute, can_resolve, can_respond, can_withdraw, side_of

STATEMENT_MAX_LENGTH = 4000
Upload = tuple[IO[bytes], str]  # a file and the name it came with


def _notify(dispute: Dispute, step: str) -> None:
    enqueue("marketplace.notifications.tasks.send_dispute_notification", dispute.pk, step)


def _lock_booking(booking_id: int) -> Booking:
    """Locked as the booking services lock it (FOR NO KEY UPDATE: see ``bookings.services._lock``)."""
    booking = (
        Booking.objects.select_for_update(of=("self",), no_key=True)
        .select_related("vendor__user", "customer", "service")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        raise NotFound("Booking not found.")
    return booking


def _lock_dispute(dispute_id: int) -> Dispute:
    """The dispute and its booking, locked in the order every booking step takes: booking first."""
    booking_id = Dispute.objects.filter(pk=dispute_id).values_list("booking_id", flat=True).first()
    if booking_id is None:
        raise NotFound("Dispute not found.")
    _lock_booking(booking_id)
    return Dispute.objects.select_for_update(of=("self",)).select_related("booking__vendor__user").get(pk=dispute_id)


def _statement(text: str, *, field: str, label: str) -> str:
    return clean_text(text, field=field, label=label, max_length=STATEMENT_MAX_LENGTH, required=True, multiline=True)


def _store(dispute: Dispute, side: str, user: User, files: list[CheckedFile], stored: list[Evidence]) -> None:
    for checked in files:
        evidence = Evidence(
            dispute=dispute,
            side=side,
            uploaded_by=user,
            token=secrets.token_hex(16),
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
        )
        evidence.file.save("evidence", checked.file, save=False)
        stored.append(evidence)
        evidence.save()


@contextlib.contextmanager
def _evidence_written() -> Iterator[list[Evidence]]:
    """Files are written to storage inside the unit of work; if it rolls back, they are deleted again."""
    stored: list[Evidence] = []
    try:
        yield stored
    except BaseException:
        for evidence in stored:
            evidence.file.storage.delete(evidence.file.name)
        raise


def dispute_open(
    *, user: User, booking_id: int, reason: str, description: str, files: Iterable[Upload] = ()
) -> Dispute:
    """The customer disputes the work (or reports the organizer did not come); the organizer reports a no-show.

    The booking becomes disputed and its escrow is held until staff decide; the other
    side is asked to answer within DISPUTE_RESPONSE_HOURS. Files are checked before
    anything is written; a refusal writes nothing.
    """
    description = _statement(description, field="description", label="The description")
    checked = check_files(files)
    with _evidence_written() as stored, unit_of_work():
        booking = _lock_booking(booking_id)
        can_open_dispute(booking, user=user).require()
        side = side_of(booking, user)
        if reason not in REASONS_FOR[side]:
            choices = ", ".join(str(code) for code in REASONS_FOR[side])
            raise ValidationFailed(f"Choose a reason from the list: {choices}.", field="reason")
        payment = payment_of(booking)
        dispute = Dispute.objects.create(
            booking=booking,
            opened_by=user,
            opened_by_side=side,
            reason=reason,
            description=description,
            respond_by=timezone.now() + timedelta(hours=settings.DISPUTE_RESPONSE_HOURS),
            currency=payment.currency,
        )
        label = DisputeReason(reason).label
        try:
            payments.escrow_hold(booking_id=booking.pk, reason=HoldReason.DISPUTE, actor=user, note=label)
        except PaymentNotHeld:  # the release job paid it out a moment ago: it won the race
            raise DisputeNotAllowed(
                "The money for this booking was already paid to the organizer, so it can no longer be disputed "
                "here. Please contact our support team."
            ) from None
        bookings.booking_dispute_opened(booking_id=booking.pk, actor=user, reason=f"Dispute: {label}")
        _store(dispute, side, user, checked, stored)
        audit_log(actor=user, action="dispute.opened", target=dispute, reason=description, data={"reason": reason})
        _notify(dispute, "opened")
    return dispute


def dispute_respond(*, user: User, dispute_id: int, statement: str, files: Iterable[Upload] = ()) -> Dispute:
    """The other side answers, once, before the deadline: the dispute goes to staff."""
    statement = _statement(statement, field="statement", label="Your answer")
    checked = check_files(files)
    with _evidence_written() as stored, unit_of_work():
        dispute = _lock_dispute(dispute_id)
        can_respond(dispute, user=user).require()
        can_add_evidence(dispute, user=user, count=len(checked)).require()
        dispute.response = statement
        dispute.responded_by = user
        dispute.responded_at = timezone.now()
        dispute.status = DisputeStatus.UNDER_REVIEW
        dispute.save(update_fields=["response", "responded_by", "responded_at", "status", "updated_at"])
        _store(dispute, dispute.responding_side, user, checked, stored)
        audit_log(actor=user, action="dispute.answered", target=dispute, reason=statement)
        _notify(dispute, "answered")
    return dispute


def dispute_evidence_add(*, user: User, dispute_id: int, files: Iterable[Upload]) -> list[Evidence]:
    """Either side adds files while the dispute is open (up to DISPUTE_EVIDENCE_MAX_FILES each)."""
    checked = check_files(files)
    if not checked:
        raise ValidationFailed("Choose at least one file.", field="files")
    with _evidence_written() as stored, unit_of_work():
        dispute = _lock_dispute(dispute_id)
        can_add_evidence(dispute, user=user, count=len(checked)).require()
        _store(dispute, side_of(dispute.booking, user), user, checked, stored)
        audit_log(actor=user, action="dispute.evidence_added", target=dispute, data={"files": [e.pk for e in stored]})
    return stored


def dispute_withdraw(*, user: User, dispute_id: int) -> Dispute:
    """The side that opened the dispute takes it back: the hold is lifted and the booking completes (paid out)."""
    with unit_of_work():
        dispute = _lock_dispute(dispute_id)
        can_withdraw(dispute, user=user).require()
        _close(dispute, status=DisputeStatus.WITHDRAWN, actor=user, reason="Withdrawn by the side that opened it")
        _pay_out(dispute, actor=user, reason="The dispute was withdrawn")
        audit_log(actor=user, action="dispute.withdrawn", target=dispute)
        _notify(dispute, "withdrawn")
    return dispute


def dispute_resolve(*, staff: User, dispute_id: int, outcome: str, reason: str, refund: Money | None = None) -> Dispute:
    """Staff decide: release to the organizer, refund the customer in full, or split (``refund`` to the customer).

    The reason is shown to both sides. A split refunds part of what is held and releases
    the rest (less the platform's fee on it), exactly as a partial refund does elsewhere.
    """
    require_permission(staff, Perm.RESOLVE_DISPUTES, to="resolve disputes")
    reason = _statement(reason, field="reason", label="The reason for the decision")
    if outcome not in Outcome.values:
        raise ValidationFailed("outcome must be one of: release, refund, split.", field="outcome")
    if outcome == Outcome.SPLIT and refund is None:
        raise ValidationFailed("Say how much the customer gets back.", field="refund_minor")
    if outcome != Outcome.SPLIT and refund is not None:
        raise ValidationFailed("Only a split takes an amount.", field="refund_minor")
    with unit_of_work():
        dispute = _lock_dispute(dispute_id)
        can_resolve(dispute).require()
        status_before = dispute.status
        payment = payment_of(dispute.booking)
        held = payment.kept
        if outcome == Outcome.SPLIT:
            if refund.currency != held.currency or refund.minor <= 0:
                raise ValidationFailed(
                    f"The refund must be a positive amount in {held.currency}.", field="refund_minor"
                )
            if refund >= held:
                raise RefundTooLarge(
                    f"{held} is held for this booking: a split gives the customer less than that "
                    "(to give back everything, refund in full).",
                    field="refund_minor",
                )
        given_back = held if outcome == Outcome.REFUND else refund or Money(0, held.currency)
        if given_back.minor:
            require_refund_permission(staff, given_back)  # a decision refunds within the same limits
            payments.escrow_refund(
                booking_id=dispute.booking_id, actor=staff, reason=f"Dispute decision: {reason}", amount=given_back
            )
        dispute.outcome = outcome
        dispute.refunded_minor = given_back.minor
        dispute.decision_reason = reason
        dispute.decided_by = staff
        _close(dispute, status=DisputeStatus.RESOLVED, actor=staff, reason=reason)
        if outcome == Outcome.REFUND:
            bookings.booking_dispute_closed(
                booking_id=dispute.booking_id, actor=staff, to_status=BookingStatus.REFUNDED, reason=reason
            )
        else:
            _pay_out(dispute, actor=staff, reason=reason)
        audit_log(
            actor=staff,
            action="dispute.resolved",
            target=dispute,
            reason=reason,
            data={
                "outcome": outcome,
                "refunded_minor": given_back.minor,
                "from": status_before,
                "to": DisputeStatus.RESOLVED.value,
            },
        )
        _notify(dispute, "resolved")
    return dispute


def _close(dispute: Dispute, *, status: str, actor: User, reason: str) -> None:
    dispute.status = status
    dispute.closed_at = timezone.now()
    dispute.save()
    payments.escrow_hold_lift(booking_id=dispute.booking_id, reason=HoldReason.DISPUTE, actor=actor, note=reason)


def _pay_out(dispute: Dispute, *, actor: User, reason: str) -> None:
    """The booking completes and what is held goes to the organizer (after any approval the payout needs)."""
    bookings.booking_dispute_closed(
        booking_id=dispute.booking_id, actor=actor, to_status=BookingStatus.COMPLETED, reason=reason
    )
    payments.escrow_release_request(booking_id=dispute.booking_id)


# --- Deadlines ------------------------------------------------------------------------------------


def dispute_deadlines_run(*, now=None) -> dict[str, int]:
    """Remind the side that has not answered (once, DISPUTE_REMINDER_HOURS before the end), and send
    unanswered disputes to staff at the deadline. Safe to run twice; each dispute is locked as it is changed."""
    now = now or timezone.now()
    reminded = escalated = 0
    waiting = Dispute.objects.filter(status=DisputeStatus.AWAITING_RESPONSE)
    for dispute_id in waiting.filter(respond_by__lte=now).values_list("pk", flat=True):
        with unit_of_work():
            dispute = _lock_dispute(dispute_id)
            if dispute.status != DisputeStatus.AWAITING_RESPONSE or dispute.respond_by > now:
                continue
            dispute.status = DisputeStatus.UNDER_REVIEW
            dispute.escalated_at = now
            dispute.save(update_fields=["status", "escalated_at", "updated_at"])
            audit_log(actor=None, action="dispute.escalated", target=dispute, reason="Not answered in time")
            _notify(dispute, "escalated")
            escalated += 1
    reminder_window = Q(respond_by__gt=now, respond_by__lte=now + timedelta(hours=settings.DISPUTE_REMINDER_HOURS))
    for dispute_id in waiting.filter(reminder_window, reminded_at__isnull=True).values_list("pk", flat=True):
        with unit_of_work():
            dispute = _lock_dispute(dispute_id)
            if dispute.status != DisputeStatus.AWAITING_RESPONSE or dispute.reminded_at is not None:
                continue
            dispute.reminded_at = now
            dispute.save(update_fields=["reminded_at", "updated_at"])
            _notify(dispute, "reminder")
            reminded += 1
    return {"reminded": reminded, "escalated": escalated}
