"""What a booking allows, waits for, and what happens to its money next: answered once.

The booking services enforce these answers (``can_pay(...).require()`` raises the
refusal), and every face asks them to decide which button to show and which sentence
to print, so a button is never offered that the service would refuse, and no page or
email tells a different story about the money than the back office.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.accounts.permissions import Perm
from marketplace.accounts.policy import has_permission
from marketplace.catalog.cancellation import cancellation_terms, hours_text, refund_percent
from marketplace.catalog.models import PricingModel
from marketplace.core.errors import DomainError, InvalidTransition, NotFound
from marketplace.core.money import Money
from marketplace.payments.errors import AlreadyPaid
from marketplace.payments.models import MovementState, Transaction, TransactionStatus
from marketplace.payments.policy import (
    EscrowState,
    escrow_state,
    hold_reasons_text,
    payment_of,
    payout_approval_grounds,
    payout_of,
    payout_waiting_text,
    percent_of,
    refund_split,
)
from marketplace.vendors.errors import VendorDocumentsExpired, VendorNewBookingsPaused, VendorUnavailable
from marketplace.vendors.models import Vendor

from .errors import AwaitingPayment, AwaitingQuote, BookingStarted, NoProposal, NotStarted, RescheduleClosed
from .models import ACTIVE_STATUSES, Booking, BookingStatus, CancelledBy

# The verb for each status in "This booking is <status> and cannot be <verb>."
TRANSITION_WORDS = {
    BookingStatus.CONFIRMED: "confirmed",
    BookingStatus.COMPLETED: "completed",
    BookingStatus.DECLINED: "declined",
    BookingStatus.EXPIRED: "expired",
    BookingStatus.CANCELLED: "cancelled",
    BookingStatus.DISPUTED: "disputed",
    BookingStatus.REFUNDED: "refunded",
}

# Statuses after which nothing more happens to the booking: it never took place.
CLOSED_STATUSES = (BookingStatus.DECLINED, BookingStatus.EXPIRED, BookingStatus.CANCELLED, BookingStatus.REFUNDED)
# Statuses in which something is still to happen (a payment, an answer, the work, a dispute's outcome).
OPEN_STATUSES = (BookingStatus.REQUESTED, BookingStatus.CONFIRMED, BookingStatus.DISPUTED)


@dataclass(frozen=True)
class Verdict:
    """The answer to "may this user do this now?": allowed, or the refusal the service would raise."""

    refusal: DomainError | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    def __bool__(self) -> bool:
        return self.allowed

    def require(self) -> None:
        """Raise the refusal, if any: how a service enforces the verdict."""
        if self.refusal is not None:
            raise self.refusal


ALLOWED = Verdict()


def _refused(error: DomainError) -> Verdict:
    return Verdict(refusal=error)


def _not_yours() -> Verdict:
    return _refused(NotFound("Booking not found."))  # other people's bookings do not exist for you


def transition_verdict(booking: Booking, to_status: str, *, verb: str | None = None) -> Verdict:
    """Whether BOOKING_TRANSITIONS allows the move, with the sentence that refuses it."""
    if booking.can_transition_to(to_status):
        return ALLOWED
    status = booking.get_status_display().lower()
    return _refused(InvalidTransition(f"This booking is {status} and cannot be {verb or TRANSITION_WORDS[to_status]}."))


def is_paid(booking: Booking) -> bool:
    """The customer's money is held: captured into escrow, or authorised on their card (a request)."""
    payment = payment_of(booking)
    return payment is not None and payment.status != TransactionStatus.VOIDED


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


# --- What an open request waits for ---------------------------------------------------------


class WaitingFor(models.TextChoices):
    QUOTE = "quote", "the organizer's quote"  # a quote request the organizer has not priced yet
    PAYMENT = "payment", "the customer's payment"  # priced, not paid
    QUOTE_PAYMENT = "quote_payment", "the customer's payment of the quote"  # quoted, not paid
    ANSWER = "answer", "the organizer's answer"  # paid, waiting for the organizer to accept or decline


def waiting_for(booking: Booking) -> WaitingFor | None:
    """What a requested booking waits for; None once it is no longer a request."""
    if booking.status != BookingStatus.REQUESTED:
        return None
    if booking.price_minor is None:
        return WaitingFor.QUOTE
    if is_paid(booking):
        return WaitingFor.ANSWER
    return WaitingFor.QUOTE_PAYMENT if booking.quoted_at else WaitingFor.PAYMENT


# What an open request waits for when the organizer's move is next (a quote to send, a paid request
# to answer); the others wait for the customer.
ORGANIZER_MOVES = frozenset({WaitingFor.QUOTE, WaitingFor.ANSWER})


# What an open request waits for, as each audience reads it: (organizer, customer, staff).
WAITING_LABELS = {
    WaitingFor.QUOTE: ("Needs a quote", "Awaiting quote", "Awaiting the vendor's quote"),
    WaitingFor.QUOTE_PAYMENT: ("Quote sent", "Quote received", "Quoted, awaiting payment"),
    WaitingFor.PAYMENT: ("Awaiting payment", "Awaiting payment", "Awaiting payment"),
    WaitingFor.ANSWER: ("Needs your answer", "Awaiting organizer", "Paid, awaiting the vendor's answer"),
}
AUDIENCES = ("vendor", "customer", "staff")


def status_label(booking: Booking, *, audience: str = "customer") -> str:
    """The booking's status in words; an open request says what it waits for, to whoever is looking."""
    wait = waiting_for(booking)
    if wait is None:
        return booking.get_status_display()
    return WAITING_LABELS[wait][AUDIENCES.index(audience)]


def confirms_on_payment(booking: Booking) -> bool:
    """Paying confirms the booking at once (an instant service, or a quote the organizer priced)."""
    return booking.service.instant_booking or booking.quoted_at is not None


def request_deadline(booking: Booking) -> tuple[datetime, str] | None:
    """When an open request expires, and why; None if it is not an open request.

    An unpaid request expires after the payment window; a quote nobody sends, a quote
    nobody pays, or a paid request nobody answers, after the response window. Never
    later than the appointment itself.
    """
    wait = waiting_for(booking)
    if wait is None:
        return None
    response_window = timedelta(hours=settings.BOOKING_RESPONSE_WINDOW_HOURS)
    if wait == WaitingFor.ANSWER:
        deadline, reason = booking.created_at + response_window, "The organizer did not answer in time."
    elif wait == WaitingFor.QUOTE:
        deadline, reason = booking.created_at + response_window, "The organizer did not send a quote in time."
    elif wait == WaitingFor.QUOTE_PAYMENT:
        deadline, reason = booking.quoted_at + response_window, "The quote was not paid in time."
    else:
        deadline = booking.created_at + timedelta(minutes=settings.BOOKING_PAYMENT_WINDOW_MINUTES)
        reason = "The booking was not paid in time."
    return min(deadline, booking.starts_at), reason


def payment_deadline(booking: Booking) -> datetime | None:
    """Until when the customer can pay an unpaid request (None: not waiting for a payment)."""
    if waiting_for(booking) not in (WaitingFor.PAYMENT, WaitingFor.QUOTE_PAYMENT):
        return None
    return request_deadline(booking)[0]


# --- May this user do this now? --------------------------------------------------------------


def takes_new_bookings(vendor: Vendor) -> Verdict:
    """Whether the organizer takes new bookings now: a request, a payment that confirms one, an acceptance.

    Verified by an admin, not hidden because a required document expired
    (``Vendor.documents_expired_at``, kept by ``vendors.documents``), and not paused because
    their payout account's information is past due (``Vendor.new_bookings_paused_at``, kept
    by the payments service). Bookings already confirmed go on either way.
    """
    if not vendor.is_verified:
        return _refused(VendorUnavailable("This organizer is not taking bookings at the moment."))
    if vendor.documents_expired:
        return _refused(
            VendorDocumentsExpired(
                "This organizer is not taking new bookings until their expired documents are renewed."
            )
        )
    if vendor.new_bookings_paused:
        return _refused(
            VendorNewBookingsPaused(
                f"This organizer is not taking new bookings at the moment. {vendor.new_bookings_paused_reason}"
            )
        )
    return ALLOWED


def can_pay(booking: Booking, *, user: User, now: datetime | None = None) -> Verdict:
    """The customer pays the full price into escrow. Paying is a step towards confirmation, so it is
    allowed only while the move to confirmed is."""
    if booking.customer_id != user.pk:
        return _not_yours()
    # Paid and still on (requested, confirmed, completed, disputed): that is the answer, not the status move.
    if is_paid(booking) and booking.status in ACTIVE_STATUSES:
        return _refused(AlreadyPaid("This booking is already paid."))
    if not booking.can_transition_to(BookingStatus.CONFIRMED):
        return transition_verdict(booking, BookingStatus.CONFIRMED, verb="paid")
    if booking.starts_at <= _now(now):
        return _refused(BookingStarted("This booking's time has passed."))
    if not (verdict := takes_new_bookings(booking.vendor)):
        return verdict
    if booking.price_minor is None:
        return _refused(AwaitingQuote("The organizer has not sent a quote yet. You can pay once they do."))
    return ALLOWED


def can_confirm_payment(booking: Booking, *, user: User) -> Verdict:
    """The customer is back from their bank's 3-D Secure step and asks how their payment ended.

    Only the booking's customer may; any status is fine, because the answer is the
    gateway's (a booking that closed meanwhile gets a payment that went through back).
    """
    if booking.customer_id != user.pk:
        return _not_yours()
    return ALLOWED


def can_quote(booking: Booking, *, user: User) -> Verdict:
    """The organizer prices an open quote request (again, until the customer pays)."""
    if booking.vendor.user_id != user.pk:
        return _not_yours()
    if not booking.can_transition_to(BookingStatus.CONFIRMED) or booking.service.pricing_model != PricingModel.QUOTE:
        return _refused(InvalidTransition("Only an open quote request can be quoted."))
    if is_paid(booking):
        return _refused(AlreadyPaid("The customer has already paid this quote."))
    return ALLOWED


def can_accept(booking: Booking, *, user: User, now: datetime | None = None) -> Verdict:
    """The organizer accepts a paid request before its start."""
    if booking.vendor.user_id != user.pk:
        return _not_yours()
    if booking.status == BookingStatus.REQUESTED:
        if not is_paid(booking):
            return _refused(AwaitingPayment("The customer has not paid yet; you can accept once payment is held."))
        if booking.starts_at <= _now(now):
            # The request expired at its start (booking_expire refunds it); too late to accept.
            return _refused(BookingStarted("This booking's time has passed."))
        if not (verdict := takes_new_bookings(booking.vendor)):
            return verdict
    return transition_verdict(booking, BookingStatus.CONFIRMED)


def can_decline(booking: Booking, *, user: User) -> Verdict:
    """The organizer declines an open request; its authorised payment is released (a captured one refunded)."""
    if booking.vendor.user_id != user.pk:
        return _not_yours()
    return transition_verdict(booking, BookingStatus.DECLINED)


def can_cancel(booking: Booking, *, user: User, now: datetime | None = None) -> Verdict:
    """The customer or the organizer calls a booking off before it starts; staff who manage bookings, at any time."""
    is_admin = has_permission(user, Perm.MANAGE_BOOKINGS)
    if booking.customer_id != user.pk and booking.vendor.user_id != user.pk and not is_admin:
        return _not_yours()
    if booking.starts_at <= _now(now) and not is_admin:
        return _refused(BookingStarted("This booking has already started and can no longer be cancelled."))
    return transition_verdict(booking, BookingStatus.CANCELLED)


def can_confirm_completion(booking: Booking, *, user: User, now: datetime | None = None) -> Verdict:
    """The customer confirms the work was done, once the appointment has started."""
    if booking.customer_id != user.pk:
        return _not_yours()
    if booking.status == BookingStatus.CONFIRMED and booking.starts_at > _now(now):
        return _refused(NotStarted("You can confirm the work once the appointment has started."))
    if booking.status == BookingStatus.DISPUTED:
        # Only the dispute's end completes a disputed booking (withdrawn, or decided by our support team).
        return _refused(
            InvalidTransition("A problem report is open for this booking: withdraw it if you are happy with the work.")
        )
    return transition_verdict(booking, BookingStatus.COMPLETED)


# --- Moving a booking to another time ---------------------------------------------------------


def reschedule_hours(booking: Booking) -> int:
    """How many hours before the start the customer may still move the booking (its policy's window).

    The terms are the ones the booking was made on; a booking made before terms were kept
    on bookings follows its service's policy as it stands.
    """
    terms = booking.cancellation_terms or cancellation_terms(booking.service.cancellation_policy)
    return terms["reschedule_hours"]


def reschedule_deadline(booking: Booking) -> datetime:
    """Until when the customer may move the booking."""
    return booking.starts_at - timedelta(hours=reschedule_hours(booking))


def _confirmed_and_ahead(booking: Booking, now: datetime | None) -> Verdict:
    if booking.status != BookingStatus.CONFIRMED:
        words = TRANSITION_WORDS.get(booking.status, "waiting for payment or an answer")
        return _refused(RescheduleClosed(f"Only a confirmed booking can be moved; this one is {words}."))
    if booking.starts_at <= _now(now):
        return _refused(BookingStarted("This booking has already started and can no longer be moved."))
    return ALLOWED


def can_reschedule(booking: Booking, *, user: User, now: datetime | None = None) -> Verdict:
    """The customer moves a confirmed booking until its policy's window closes; booking staff, until it starts.

    The organizer does not move a booking by themselves: they propose a time the customer answers.
    """
    is_admin = has_permission(user, Perm.MANAGE_BOOKINGS)
    if booking.customer_id != user.pk and not is_admin:
        return _not_yours()
    verdict = _confirmed_and_ahead(booking, now)
    if verdict and not is_admin and reschedule_deadline(booking) < _now(now):
        window = hours_text(reschedule_hours(booking))
        return _refused(
            RescheduleClosed(
                f"This booking can be moved up to {window} before it starts, and that time has passed. "
                "Ask the organizer, or cancel under the booking's policy."
            )
        )
    return verdict


def can_propose_reschedule(booking: Booking, *, user: User, now: datetime | None = None) -> Verdict:
    """The organizer proposes another time for a confirmed booking that has not started."""
    if booking.vendor.user_id != user.pk:
        return _not_yours()
    return _confirmed_and_ahead(booking, now)


def can_answer_proposal(booking: Booking, *, user: User, now: datetime | None = None) -> Verdict:
    """The customer accepts or declines the organizer's proposed time while it is open."""
    if booking.customer_id != user.pk:
        return _not_yours()
    verdict = _confirmed_and_ahead(booking, now)
    if verdict and booking.proposed_starts_at is None:
        return _refused(NoProposal("The organizer has not proposed a new time for this booking."))
    return verdict


# The moves a user may ask for on a booking, by the name the API uses for each.
BOOKING_ACTIONS = {
    "pay": can_pay,
    "quote": can_quote,
    "accept": can_accept,
    "decline": can_decline,
    "cancel": can_cancel,
    "confirm_completion": can_confirm_completion,
    "reschedule": can_reschedule,
    "propose_reschedule": can_propose_reschedule,
    "answer_proposal": can_answer_proposal,
}


def booking_actions(booking: Booking, *, user: User) -> list[str]:
    """The moves ``user`` may make on the booking right now (names of BOOKING_ACTIONS)."""
    return [name for name, verdict in BOOKING_ACTIONS.items() if verdict(booking, user=user)]


def is_due_for_automatic_completion(booking: Booking, *, now: datetime | None = None) -> bool:
    """The release timer: a confirmed booking completes by itself ESCROW_AUTO_RELEASE_DAYS after it ends."""
    due = booking.ends_at + timedelta(days=settings.ESCROW_AUTO_RELEASE_DAYS)
    return booking.status == BookingStatus.CONFIRMED and due <= _now(now)


# --- What happens to the money next -----------------------------------------------------------


@dataclass(frozen=True)
class MoneyOutlook:
    """Where the booking's money is, and what happens to it next, in the words a page or email shows."""

    state: EscrowState
    label: str
    tone: str  # neutral, warning, info, success
    detail: str
    payment: Transaction | None = None


def money_outlook(booking: Booking, *, audience: str = "customer") -> MoneyOutlook:
    """The one answer every face gives about a booking's money (``audience``: "customer" or "vendor")."""
    payment = payment_of(booking)
    state = escrow_state(payment)
    for_vendor = audience == "vendor"
    vendor_name = booking.vendor.business_name
    if state == EscrowState.NOT_PAID:
        if booking.price_minor is None:
            detail = "The customer pays once you send a quote." if for_vendor else "You pay once the organizer quotes."
            return MoneyOutlook(state, "No payment yet", "neutral", detail)
        return MoneyOutlook(state, "Not paid", "warning", "Nothing has been charged.")
    if state == EscrowState.AUTHORIZED:
        detail = (
            "Held on the customer's card: taken when you accept; declining releases it."
            if for_vendor
            else "Held on your card, not taken yet: charged when the organizer accepts, released if they decline."
        )
        return MoneyOutlook(state, state.label, "info", detail, payment)
    if state == EscrowState.VOIDED:
        return MoneyOutlook(state, state.label, "neutral", "Nothing was charged: the hold on the card was released.")
    if state == EscrowState.HELD:
        if booking.status == BookingStatus.REQUESTED:
            detail = (
                "Held until you accept; declining refunds the customer in full."
                if for_vendor
                else "Held securely. If the organizer declines, you are refunded in full."
            )
        elif for_vendor:
            detail = "Paid out when the customer confirms the work, or automatically a few days after the appointment."
        else:
            detail = "Held securely until the work is confirmed."
        return MoneyOutlook(state, state.label, "info", detail, payment)
    if state == EscrowState.AWAITING_APPROVAL:
        detail = (
            "The work is confirmed; your payout is waiting for our team's approval."
            if for_vendor
            else "The work is confirmed; the payout is waiting for our team's approval."
        )
        return MoneyOutlook(state, EscrowState.HELD.label, "info", detail, payment)
    if state == EscrowState.RELEASE_DUE and payment.refunded_minor:
        keeps = "you keep" if for_vendor else f"{vendor_name} keeps"
        detail = f"{payment.refunded} was refunded to the customer; {keeps} the rest under the cancellation policy."
        return MoneyOutlook(state, state.label, "info", detail, payment)
    if state == EscrowState.RELEASE_DUE:
        detail = (
            "The work is confirmed; your payout is on its way."
            if for_vendor
            else (f"The work is confirmed; the payment is on its way to {vendor_name}.")
        )
        return MoneyOutlook(state, state.label, "info", detail, payment)
    if state == EscrowState.ON_HOLD:
        detail = f"On hold ({hold_reasons_text(payment).lower()}): nothing is paid out until it is resolved."
        return MoneyOutlook(state, state.label, "warning", detail, payment)
    if state == EscrowState.RELEASED:
        detail = "Paid out to you." if for_vendor else "Paid to the organizer."
        payout = payout_of(payment) if for_vendor else None
        if payout is not None and payout.state == MovementState.WAITING:
            waiting = payout_waiting_text(payout, getattr(booking.vendor, "profile", None))
            detail = f"Released to you: {payout.amount} waits for your payout account. {waiting}"
        if payment.refunded_minor:
            detail += f" {payment.refunded} was refunded to the customer."
        return MoneyOutlook(state, state.label, "success", detail, payment)
    return MoneyOutlook(state, state.label, "neutral", "Returned to the customer in full.", payment)


def confirmation_preview(booking: Booking) -> str:
    """What confirming the work will do with the money, told before the customer confirms."""
    price, vendor_name = booking.price, booking.vendor.business_name
    if payout_approval_grounds(amount_minor=booking.price_minor or 0, vendor=booking.vendor):
        return f"We then release {price} to {vendor_name} once our team has approved the payout."
    return f"We then release {price} to {vendor_name}."


def release_sentence(booking: Booking) -> str:
    """What the customer is told right after confirming the work, from the same answer as the outlook."""
    state = escrow_state(payment_of(booking))
    vendor_name = booking.vendor.business_name
    if state == EscrowState.AWAITING_APPROVAL:
        return f"The payment goes to {vendor_name} once our team approves the payout."
    if state == EscrowState.RELEASE_DUE:
        return f"The payment is on its way to {vendor_name}."
    if state == EscrowState.RELEASED:
        return f"The payment is released to {vendor_name}."
    return ""


# --- Cancellation: who gets what back ---------------------------------------------------------


@dataclass(frozen=True)
class CancellationRefund:
    """What a cancellation by this user, now, refunds: a percentage of what is left of the payment, and why."""

    by: CancelledBy
    percent: int
    reason: str


def cancelled_by(booking: Booking, *, user: User) -> CancelledBy:
    if booking.customer_id == user.pk:
        return CancelledBy.CUSTOMER
    if booking.vendor.user_id == user.pk:
        return CancelledBy.ORGANIZER
    return CancelledBy.ADMIN


def cancellation_refund(booking: Booking, *, user: User, now: datetime | None = None) -> CancellationRefund:
    """The refund a cancellation gives, by the terms copied onto the booking when it was made.

    An organizer's or an admin's cancellation refunds in full (and an organizer's counts
    against them); so does the customer's before the organizer accepted. Otherwise the
    booking's refund tiers decide by how many hours before the start the customer cancels.
    """
    by = cancelled_by(booking, user=user)
    if not is_paid(booking):
        return CancellationRefund(by, 100, "Nothing has been paid, so there is nothing to refund.")
    if by == CancelledBy.ORGANIZER:
        return CancellationRefund(by, 100, "The organizer cancelled: the customer is refunded in full.")
    if by == CancelledBy.ADMIN:
        return CancellationRefund(by, 100, "Cancelled by Tidy Nest: the customer is refunded in full.")
    if booking.status == BookingStatus.REQUESTED:
        return CancellationRefund(by, 100, "The organizer had not accepted yet: you are refunded in full.")
    hours = (booking.starts_at - _now(now)).total_seconds() / 3600
    percent = refund_percent(booking.cancellation_terms, hours_before_start=hours)
    tiers = booking.cancellation_terms["refund_tiers"]
    policy = booking.cancellation_terms.get("policy", "").capitalize()
    tier_hours = next((tier_hours for tier_hours, _ in tiers if hours >= tier_hours), 0)
    when = f"at least {hours_text(tier_hours)} before the start" if tier_hours else "this close to the start"
    what = "a full refund" if percent == 100 else "no refund" if percent == 0 else f"a {percent}% refund"
    return CancellationRefund(by, percent, f"{policy} policy: cancelling {when} gives {what}.")


@dataclass(frozen=True)
class CancellationPreview:
    """Exactly what cancelling now does with the money, shown before anyone cancels."""

    verdict: Verdict
    refund: CancellationRefund
    paid: Money | None  # what is left of the payment now; None when nothing was paid
    customer_gets_back: Money
    organizer_keeps: Money
    platform_fee: Money
    terms: dict


def cancellation_preview(booking: Booking, *, user: User, now: datetime | None = None) -> CancellationPreview:
    """The refund preview: the customer's refund, the organizer's share and the fee of what is kept."""
    refund = cancellation_refund(booking, user=user, now=now)
    payment = payment_of(booking)
    currency = booking.currency
    if payment is None:
        zero = Money.zero(currency)
        return CancellationPreview(
            can_cancel(booking, user=user, now=now), refund, None, zero, zero, zero, booking.cancellation_terms
        )
    back = percent_of(payment.kept, refund.percent)
    split = refund_split(payment, back)
    return CancellationPreview(
        verdict=can_cancel(booking, user=user, now=now),
        refund=refund,
        paid=payment.kept,
        customer_gets_back=back,
        organizer_keeps=split.vendor_payout,
        platform_fee=split.platform_fee,
        terms=booking.cancellation_terms,
    )


# --- When an admin suspends the organizer -----------------------------------------------------

# The one rule, as the back office states it before an admin suspends and docs/architecture.md records it.
SUSPENSION_RULE = (
    "Suspending an organizer cancels each of their confirmed bookings that has not started yet and refunds "
    "its customer in full, fee included: no cancellation policy applies, since it is not the customer's doing. "
    "Their open requests (waiting for a quote, a payment or their answer) are declined, and any payment or "
    "hold on the card is given back in full. Bookings already under way or done (started, completed, "
    "disputed) stay as they are and their money follows the usual rules, except that the organizer's "
    "payouts wait for an admin's approval while they are suspended. Each customer is emailed."
)

# What customers read (the email, the booking's page): never the admins' own reason for the suspension,
# which is between the platform and the organizer.
SUSPENSION_CUSTOMER_REASON = "The organizer is no longer available for bookings on our platform."


class SuspensionStep(models.TextChoices):
    CANCEL = "cancel", "Cancelled, refunded in full"  # confirmed and not started yet
    DECLINE = "decline", "Declined, nothing charged"  # an open request; any payment or card hold given back


# The bookings SUSPENSION_RULE may touch, as a query (each is decided again by ``suspension_step``).
SUSPENSION_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.REQUESTED)


def suspension_step(booking: Booking, *, now: datetime | None = None) -> SuspensionStep | None:
    """What SUSPENSION_RULE does to this booking of a suspended organizer now; None: it is left as it is.

    A confirmed booking that starts later is cancelled with a full refund; an open request
    is declined. A booking under way, done, disputed or already closed is left alone.
    """
    if booking.status == BookingStatus.CONFIRMED and booking.starts_at > _now(now):
        return SuspensionStep.CANCEL
    if booking.status == BookingStatus.REQUESTED:
        return SuspensionStep.DECLINE
    return None
