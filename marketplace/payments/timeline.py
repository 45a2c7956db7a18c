"""A booking's money timeline: every step its money took, oldest first, in the words of one audience.

Read from the rows the money service already writes (the payment, its movements, holds,
ledger entries and audit entries), never from a booking's status: the payments layer sits
below bookings. A handful of queries whatever the booking's history.

Audiences:

- ``"organizer"``: the booking's organizer. Their share and what happens to it; who did
  something by role ("you", "the customer", "our team"); no admin notes, no refund reason
  written by our team (it may carry what the customer told support), no failed card attempts.
- ``"staff"``: the back office. Everything, with names, notes, reasons and gateway references.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import zip_longest
from typing import Literal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from marketplace.core.models import AuditLogEntry
from marketplace.core.money import Money

from .models import (
    EntryKind,
    HoldReason,
    LedgerAccount,
    LedgerEntry,
    Movement,
    MovementKind,
    MovementState,
    Payout,
    ReleaseHold,
    Transaction,
)
from .policy import payment_of, payout_waiting_text

Audience = Literal["organizer", "staff"]
AUDIENCES = ("organizer", "staff")


@dataclass(frozen=True)
class MoneyEvent:
    """One step of a booking's money.

    ``code`` is stable (tests, CSS, the API may key on it); ``title`` and ``detail`` are
    the words shown; ``amount`` the main figure, ``lines`` labelled figures beside it.
    """

    at: datetime
    code: str
    title: str
    detail: str = ""
    amount: Money | None = None
    tone: str = "neutral"  # neutral, info, success, warning
    lines: tuple[tuple[str, Money], ...] = field(default_factory=tuple)


# The order of steps written in one database transaction at (nearly) the same instant.
_STEP_ORDER = {
    "authorized": 0,
    "paid": 1,
    "captured": 1,
    "authorization_released": 1,
    "charge_failed": 1,
    "hold_placed": 2,
    "hold_lifted": 3,
    "refund": 4,
    "reversal": 5,
    "debt": 6,
    "released": 7,
    "debt_netted": 8,
    "payout_waiting": 9,
    "payout_pending": 10,
    "payout_sent": 11,
    "payout_failed": 11,
}

# Per hold reason: the title when placed, what it means, what lifting it means.
_HOLD_WORDS = {
    HoldReason.DISPUTE: (
        "Payout on hold: a dispute is open",
        "Nothing is paid out until the dispute is resolved.",
        "The dispute is resolved.",
    ),
    HoldReason.CHARGEBACK: (
        "Payout on hold: the customer's bank contests the card payment",
        "Nothing is paid out until the bank decides.",
        "The bank's contest of the card payment is settled.",
    ),
    HoldReason.ADMIN: (
        "Payout on hold by our team",
        "Nothing is paid out until our team lifts the hold.",
        "Our team lifted the hold.",
    ),
}


def booking_money_timeline(*, booking, audience: Audience = "organizer") -> list[MoneyEvent]:
    """Every step of the booking's money, oldest first, as ``audience`` may see it. Empty when nothing was paid.

    At most six queries (the payment, movements, holds, ledger entries with their lines,
    audit entries), whatever the number of refunds, holds or attempts.
    """
    if audience not in AUDIENCES:
        raise ValueError(f"Unknown audience {audience!r}: one of {', '.join(AUDIENCES)}.")
    payment = payment_of(booking)
    if payment is None:
        return []
    staff = audience == "staff"
    movements = list(
        Movement.objects.filter(booking_id=booking.pk).select_related("actor").order_by("created_at", "id")
    )
    holds = list(
        ReleaseHold.objects.filter(transaction=payment).select_related("placed_by", "lifted_by").order_by("placed_at")
    )
    entries = list(
        LedgerEntry.objects.filter(transaction=payment, kind__in=[EntryKind.RELEASE, EntryKind.DEBT])
        .prefetch_related("lines")
        .order_by("created_at", "id")
    )
    payout_ids = [m.pk for m in movements if m.kind == MovementKind.TRANSFER]
    audits = list(
        AuditLogEntry.objects.filter(
            Q(target_type=ContentType.objects.get_for_model(Transaction), target_id=str(payment.pk))
            | Q(
                target_type=ContentType.objects.get_for_model(Payout, for_concrete_model=False),
                target_id__in=[str(pk) for pk in payout_ids],
            ),
            action__in=["payment.refunded", "payout.waiting_for_account", "escrow.released"],
        )
        .select_related("actor")
        .order_by("created_at", "id")
    )
    release = next((entry for entry in audits if entry.action == "escrow.released"), None)
    words = _Words(booking=booking, payment=payment, staff=staff, approver=release.actor if release else None)
    events: list[MoneyEvent] = []
    events += words.payment_events(movements)
    events += words.hold_events(holds)
    refund_audits = [entry for entry in audits if entry.action == "payment.refunded"]
    refunds = [m for m in movements if m.kind == MovementKind.REFUND]
    # One "payment.refunded" audit entry per refund, written in the refund's transaction: same order.
    for refund, audit in zip_longest(refunds, refund_audits[: len(refunds)]):
        events.append(words.refund_event(refund, audit))
    events += [words.reversal_event(m) for m in movements if m.kind == MovementKind.REVERSAL]
    events += [words.ledger_event(entry) for entry in entries]
    waited_at = {
        int(entry.target_id): entry.created_at for entry in audits if entry.action == "payout.waiting_for_account"
    }
    for payout in (m for m in movements if m.kind == MovementKind.TRANSFER):
        events += words.payout_events(payout, waited_at=waited_at.get(payout.pk))
    return sorted(events, key=lambda event: (event.at, _STEP_ORDER.get(event.code, 99)))


class _Words:
    """The sentences of one audience about one booking's money."""

    def __init__(self, *, booking, payment: Transaction, staff: bool, approver=None):
        self.booking, self.payment, self.staff = booking, payment, staff
        self.approver = approver  # who approved the release, if anyone (from its audit entry: no extra query)
        self.currency = payment.currency

    def money(self, minor: int) -> Money:
        return Money(minor, self.currency)

    def who(self, user) -> str:
        """Who acted, as this audience may read it."""
        if user is None:
            return "automatically"
        if self.staff:
            return f"by {user.get_full_name() or user.email}"
        if user.pk == self.booking.customer_id:
            return "by the customer"
        if user.pk == self.booking.vendor.user_id:
            return "by you"
        return "by our team"

    def _is_team(self, user) -> bool:
        return user is not None and user.pk not in (self.booking.customer_id, self.booking.vendor.user_id)

    # --- The customer's payment ------------------------------------------------------------------

    def payment_events(self, movements: list[Movement]) -> list[MoneyEvent]:
        payment, events = self.payment, []
        charges = [m for m in movements if m.kind == MovementKind.CHARGE]
        if self.staff:
            events += [
                MoneyEvent(
                    at=m.settled_at or m.created_at,
                    code="charge_failed",
                    title="Card payment failed",
                    detail=m.last_error,
                    amount=m.amount,
                    tone="warning",
                )
                for m in charges
                if m.state == MovementState.FAILED and m.transaction_id is None
            ]
        authorised_first = any(m.details.get("capture") is False for m in charges if m.transaction_id)
        if authorised_first:
            events.append(
                MoneyEvent(
                    at=payment.authorized_at,
                    code="authorized",
                    title="Payment authorised on the customer's card",
                    detail="Held on the card, not taken yet: taken when the request is accepted.",
                    amount=payment.amount,
                    tone="info",
                )
            )
            if payment.captured_at:
                events.append(
                    MoneyEvent(
                        at=payment.captured_at,
                        code="captured",
                        title="Captured on acceptance",
                        detail="The request was accepted: the payment is held in escrow until the work is confirmed.",
                        amount=payment.amount,
                        tone="info",
                    )
                )
            elif payment.status == "voided":
                closed = next((m for m in charges if m.state == MovementState.CANCELED), None)
                events.append(
                    MoneyEvent(
                        at=(closed.settled_at if closed and closed.settled_at else payment.authorized_at),
                        code="authorization_released",
                        title="Authorisation released",
                        detail="The request closed before it was accepted: nothing was taken from the card.",
                        amount=payment.amount,
                    )
                )
        elif payment.captured_at:
            events.append(
                MoneyEvent(
                    at=payment.captured_at,
                    code="paid",
                    title="Paid by the customer",
                    detail="Held in escrow until the work is confirmed.",
                    amount=payment.amount,
                    tone="info",
                )
            )
        return events

    # --- Holds ---------------------------------------------------------------------------------------

    def hold_events(self, holds: list[ReleaseHold]) -> list[MoneyEvent]:
        events = []
        for hold in holds:
            title, detail, lifted = _HOLD_WORDS[HoldReason(hold.reason)]
            if self.staff:
                detail = " ".join(part for part in (detail, f"Placed {self.who(hold.placed_by)}.", hold.note) if part)
            events.append(MoneyEvent(at=hold.placed_at, code="hold_placed", title=title, detail=detail, tone="warning"))
            if hold.lifted_at:
                if self.staff:
                    lifted = " ".join(part for part in (f"Lifted {self.who(hold.lifted_by)}.", hold.lift_note) if part)
                events.append(
                    MoneyEvent(at=hold.lifted_at, code="hold_lifted", title="Hold lifted", detail=lifted, tone="info")
                )
        return events

    # --- Refunds and what they take back -------------------------------------------------------------

    def refund_event(self, refund: Movement, audit: AuditLogEntry | None) -> MoneyEvent:
        state_words = {
            MovementState.SUCCEEDED: "Refunded to the customer",
            MovementState.FAILED: "Refund to the customer failed" if self.staff else "Refund to the customer delayed",
        }
        title = f"{state_words.get(refund.state, 'Refund on its way to the customer')} {self.who(refund.actor)}"
        parts = []
        # The reason our team wrote may carry what the customer told support: staff only. A cancellation's
        # reason (the customer's, the organizer's, or an automatic one) is the booking's close reason,
        # which the organizer already reads on the booking.
        if refund.reason and (self.staff or not self._is_team(refund.actor)):
            parts.append(f"Reason: {refund.reason}")
        lines: tuple[tuple[str, Money], ...] = ()
        if audit is not None:
            share = self.money(audit.data.get("vendor_payout_returned_minor", 0))
            fee = self.money(audit.data.get("platform_fee_returned_minor", 0))
            lines = (
                (("Your share goes down by", share),)
                if not self.staff
                else (
                    ("Organizer's share down by", share),
                    ("Commission down by", fee),
                )
            )
        if refund.state == MovementState.FAILED:
            parts.append(refund.last_error if self.staff else "Our team is following it up.")
        return MoneyEvent(
            at=refund.created_at,
            code="refund",
            title=title,
            detail=" ".join(parts),
            amount=refund.amount,
            tone="warning" if refund.state == MovementState.FAILED else "neutral",
            lines=lines,
        )

    def reversal_event(self, reversal: Movement) -> MoneyEvent:
        if reversal.state == MovementState.SUCCEEDED:
            title, detail, tone = (
                "Taken back from the payout",
                "Your account gave back your share of the refund.",
                "neutral",
            )
        elif reversal.state == MovementState.FAILED:
            title = "Could not be taken back from the payout"
            detail = "You owe it to the platform: it is netted from your next payouts."
            tone = "warning"
        else:
            title, detail, tone = "Being taken back from the payout", "Your share of the refund.", "neutral"
        if self.staff:
            detail = detail.replace("Your account", "The organizer's account").replace("You owe", "The organizer owes")
            detail = detail.replace("your next", "their next").replace("Your share", "The organizer's share")
            if reversal.last_error:
                detail += f" {reversal.last_error}"
        return MoneyEvent(
            at=reversal.settled_at or reversal.created_at,
            code="reversal",
            title=title,
            detail=detail,
            amount=reversal.amount,
            tone=tone,
        )

    # --- Release, and debts from the ledger -------------------------------------------------------------

    def ledger_event(self, entry: LedgerEntry) -> MoneyEvent:
        lines = list(entry.lines.all())
        if entry.kind == EntryKind.DEBT:
            owed = sum(line.amount_minor for line in lines if line.account == LedgerAccount.VENDOR_DEBT)
            return MoneyEvent(
                at=entry.created_at,
                code="debt",
                title="Owed to the platform" if not self.staff else "Organizer debt recorded",
                detail="Netted from the next payouts." + (f" {entry.memo}" if self.staff else ""),
                amount=self.money(owed),
                tone="warning",
            )
        commission = -sum(line.amount_minor for line in lines if line.account == LedgerAccount.PLATFORM_COMMISSION)
        share = -sum(line.amount_minor for line in lines if line.account == LedgerAccount.VENDOR_PAYABLE)
        detail = "The work is confirmed: the platform keeps its commission, the rest is yours."
        if self.payment.released_by_id:
            detail += " " + (
                f"Payout approved {self.who(self.approver)}." if self.staff else "Our team approved the payout."
            )
        return MoneyEvent(
            at=entry.created_at,
            code="released",
            title="Released from escrow",
            detail=detail if not self.staff else detail.replace("the rest is yours", "the rest is the organizer's"),
            amount=self.money(share),
            tone="success",
            lines=(
                ("Commission", self.money(commission)),
                ("Your share" if not self.staff else "Organizer's share", self.money(share)),
            ),
        )

    # --- The payout ---------------------------------------------------------------------------------

    def payout_events(self, payout: Movement, *, waited_at: datetime | None) -> list[MoneyEvent]:
        events = []
        netted = payout.details.get("debt_netted_minor", 0)
        if netted:
            events.append(
                MoneyEvent(
                    at=payout.created_at,
                    code="debt_netted",
                    title="Debt netted from this payout",
                    detail="What you owed the platform from an earlier refund is taken from this payout."
                    if not self.staff
                    else "The organizer's debt from an earlier refund is taken from this payout.",
                    amount=self.money(netted),
                )
            )
        waited_for = payout.details.get("waited_for_account")
        if waited_for is not None:
            detail = waited_for or "The payout account could not receive payouts."
            if payout.state == MovementState.WAITING:  # why it waits now, which may differ from why it began
                detail = payout_waiting_text(payout, getattr(self.booking.vendor, "profile", None))
            events.append(
                MoneyEvent(
                    at=waited_at or payout.created_at,
                    code="payout_waiting",
                    title="Payout waiting for your payout account"
                    if not self.staff
                    else "Payout waiting for the organizer's payout account",
                    detail=detail,
                    amount=payout.amount,
                    tone="warning",
                )
            )
        if payout.state == MovementState.SUCCEEDED:
            to = "to your account" if not self.staff else f"to {payout.destination or 'the organizer'}"
            detail = f"Transfer {payout.gateway_reference}." if self.staff and payout.gateway_reference else ""
            if not payout.amount_minor:
                detail = "Nothing left to transfer after the debt netted and refunds."
            events.append(
                MoneyEvent(
                    at=payout.settled_at or payout.created_at,
                    code="payout_sent",
                    title=f"Payout sent {to}",
                    detail=detail,
                    amount=payout.amount,
                    tone="success",
                )
            )
        elif payout.state == MovementState.FAILED:
            events.append(
                MoneyEvent(
                    at=payout.settled_at or payout.created_at,
                    code="payout_failed",
                    title="Payout failed",
                    detail=(payout.last_error + " " if payout.last_error else "") + "Our team follows up.",
                    amount=payout.amount,
                    tone="warning",
                )
            )
        elif payout.state == MovementState.PENDING:
            events.append(
                MoneyEvent(
                    at=payout.attempted_at or payout.created_at,
                    code="payout_pending",
                    title="Payout on its way",
                    detail="To your payout account." if not self.staff else "To the organizer's payout account.",
                    amount=payout.amount,
                    tone="info",
                )
            )
        return events
