"""Who may open, answer, add to, withdraw and see a dispute, and when: answered once.

The dispute services enforce these verdicts (``.require()``); the storefront, the API
and the back office ask them which controls to show. A booking can be disputed from
the moment its appointment starts until its money leaves escrow (released to the
organizer, or refunded); one dispute per booking.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.bookings.policy import ALLOWED, Verdict
from marketplace.core.errors import NotFound
from marketplace.payments.models import TransactionStatus
from marketplace.payments.policy import payment_of

from .errors import AlreadyAnswered, AlreadyDisputed, DisputeClosed, DisputeNotAllowed, ResponseTooLate
from .evidence import too_many_files
from .models import Dispute, DisputeStatus, Side


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def dispute_of(booking: Booking) -> Dispute | None:
    """The booking's dispute, or None (without raising on the missing reverse row)."""
    try:
        return booking.dispute
    except Dispute.DoesNotExist:
        return None


def side_of(booking: Booking, user: User) -> str | None:
    """Which side of the booking ``user`` is on: customer, organizer, or None (staff and strangers)."""
    if booking.customer_id == user.pk:
        return Side.CUSTOMER
    if booking.vendor.user_id == user.pk:
        return Side.ORGANIZER
    return None


def can_open_dispute(booking: Booking, *, user: User, now: datetime | None = None) -> Verdict:
    """The customer (about the work) or the organizer (a customer no-show), after the start, before the money moves."""
    if side_of(booking, user) is None:
        return Verdict(refusal=NotFound("Booking not found."))
    if dispute_of(booking) is not None:
        return Verdict(refusal=AlreadyDisputed("This booking already has a dispute."))
    if booking.status not in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED):
        return Verdict(
            refusal=DisputeNotAllowed(
                f"This booking is {booking.get_status_display().lower()}: only a confirmed or completed booking "
                "can be disputed."
            )
        )
    if booking.starts_at > _now(now):
        return Verdict(
            refusal=DisputeNotAllowed(
                "The appointment has not started yet. Before it starts you can cancel the booking instead."
            )
        )
    payment = payment_of(booking)
    if payment is None or payment.status != TransactionStatus.HELD:
        state = "paid to the organizer" if payment and payment.status == TransactionStatus.RELEASED else "settled"
        return Verdict(
            refusal=DisputeNotAllowed(
                f"The money for this booking was already {state}, so it can no longer be disputed here. "
                "Please contact our support team."
            )
        )
    return ALLOWED


def can_see_dispute(dispute: Dispute, *, user: User) -> Verdict:
    """The two sides see their dispute (staff see every dispute in the back office, through their own views)."""
    if side_of(dispute.booking, user) is None:
        return Verdict(refusal=NotFound("Dispute not found."))
    return ALLOWED


def _closed(dispute: Dispute) -> Verdict | None:
    if not dispute.is_open:
        return Verdict(refusal=DisputeClosed(f"This dispute was already {dispute.get_status_display().lower()}."))
    return None


def can_resolve(dispute: Dispute) -> Verdict:
    """Staff decide a dispute while it is open (who may is ``Perm.RESOLVE_DISPUTES``, checked by the service)."""
    closed = _closed(dispute)
    return closed if closed is not None else ALLOWED  # a refusal is falsy: `or` would drop it


def can_respond(dispute: Dispute, *, user: User, now: datetime | None = None) -> Verdict:
    """The other side answers once, before ``respond_by``."""
    side = side_of(dispute.booking, user)
    if side is None:
        return Verdict(refusal=NotFound("Dispute not found."))
    if side != dispute.responding_side:
        return Verdict(refusal=DisputeNotAllowed("You opened this dispute: the other side answers it."))
    if (closed := _closed(dispute)) is not None:
        return closed
    if dispute.responded_at is not None:
        return Verdict(refusal=AlreadyAnswered("This dispute has already been answered."))
    if dispute.status != DisputeStatus.AWAITING_RESPONSE or dispute.respond_by <= _now(now):
        return Verdict(
            refusal=ResponseTooLate(
                "The time to answer this dispute has passed; our support team is reviewing it and will contact you "
                "if they need more."
            )
        )
    return ALLOWED


def evidence_count(dispute: Dispute, side: str) -> int:
    return sum(1 for item in dispute.evidence.all() if item.side == side)


def can_add_evidence(dispute: Dispute, *, user: User, count: int = 1) -> Verdict:
    """Either side adds files while the dispute is open, up to DISPUTE_EVIDENCE_MAX_FILES each."""
    side = side_of(dispute.booking, user)
    if side is None:
        return Verdict(refusal=NotFound("Dispute not found."))
    if (closed := _closed(dispute)) is not None:
        return closed
    if (refusal := too_many_files(already=evidence_count(dispute, side), adding=count)) is not None:
        return Verdict(refusal=refusal)
    return ALLOWED


def can_withdraw(dispute: Dispute, *, user: User) -> Verdict:
    """The side that opened the dispute may take it back while it is open: the booking then completes."""
    side = side_of(dispute.booking, user)
    if side is None:
        return Verdict(refusal=NotFound("Dispute not found."))
    if side != dispute.opened_by_side:
        return Verdict(refusal=DisputeNotAllowed("Only the side that opened a dispute can withdraw it."))
    if (closed := _closed(dispute)) is not None:
        return closed
    return ALLOWED


def reminder_due_at(dispute: Dispute) -> datetime:
    """When the side that has not answered is reminded (once)."""
    return dispute.respond_by - timedelta(hours=settings.DISPUTE_REMINDER_HOURS)


def next_to_act(dispute: Dispute) -> str:
    """Who the dispute waits for, in words: the side that has not answered, our support team, or nobody."""
    if dispute.status == DisputeStatus.AWAITING_RESPONSE:
        return f"The {Side(dispute.responding_side).label.lower()}, to answer"
    if dispute.status == DisputeStatus.UNDER_REVIEW:
        return "Support, to decide"
    return "Nobody: it is closed"
