"""What the money service answers about a payment: where the money is, and why a payout waits.

Every face that shows a payment (storefront, emails, back office, API) asks these
functions; the services that move the money decide with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from marketplace.core.errors import DomainError
from marketplace.core.money import Money, divide_round_half_up
from marketplace.vendors.models import Vendor, VendorProfile, VerificationStatus

from .errors import AlreadyReleased, BookingNotCompleted, EscrowOnHold, PaymentNotHeld, PayoutAlreadyHeld
from .gateways.base import AccountStatus
from .models import (
    CHARGEBACK_CLOSED,
    CHARGEBACK_KEPT,
    Chargeback,
    ChargebackStatus,
    HoldReason,
    Movement,
    MovementState,
    Payout,
    Transaction,
    TransactionStatus,
)


class EscrowState(models.TextChoices):
    NOT_PAID = "not_paid", "Not paid"  # nothing captured
    AUTHORIZED = "authorized", "Authorized on the card"  # a request's payment, captured when the organizer accepts
    VOIDED = "voided", "Authorization released"  # the request closed before capture: nothing was taken
    HELD = "held", "Held in escrow"  # captured; the work is not confirmed yet
    ON_HOLD = "on_hold", "On hold"  # held, and frozen by a dispute, a chargeback or an admin
    RELEASE_DUE = "release_due", "Being released"  # the work is confirmed; the release job is on its way
    AWAITING_APPROVAL = "awaiting_approval", "Waiting for payout approval"  # due, but an admin must approve
    RELEASED = "released", "Released"  # commission kept, the vendor's share transferred
    REFUNDED = "refunded", "Refunded"  # returned to the customer


def escrow_state(payment: Transaction | None) -> EscrowState:
    """Where a booking's money is right now."""
    if payment is None:
        return EscrowState.NOT_PAID
    if payment.status == TransactionStatus.AUTHORIZED:
        return EscrowState.AUTHORIZED
    if payment.status == TransactionStatus.VOIDED:
        return EscrowState.VOIDED
    if payment.status == TransactionStatus.RELEASED:
        return EscrowState.RELEASED
    if payment.status == TransactionStatus.REFUNDED:
        return EscrowState.REFUNDED
    if payment.hold_reasons:
        return EscrowState.ON_HOLD
    if payment.releasable_at is None:
        return EscrowState.HELD
    return EscrowState.AWAITING_APPROVAL if payment.payout_needs_approval else EscrowState.RELEASE_DUE


# Why a payout waits for an admin instead of the release job: code -> how the back office says it.
APPROVAL_GROUNDS = {
    "amount_above_threshold": "amount above the approval threshold",
    "vendor_flagged": "vendor flagged for payout review",
    "vendor_suspended": "organizer suspended",
}


def payout_approval_grounds(*, amount_minor: int, vendor: Vendor) -> list[str]:
    """The grounds (codes of APPROVAL_GROUNDS) on which a payout must wait for an admin; empty: none.

    Payouts above ``PAYOUT_APPROVAL_THRESHOLD_MINOR``, every payout of a vendor flagged
    for review, and every payout of a suspended vendor (work done before the suspension:
    bookings.policy.SUSPENSION_RULE) wait. Decided once, when the escrow becomes due, and
    kept on the payment; a reinstatement ends the last ground for later escrows.
    """
    grounds = []
    if amount_minor > settings.PAYOUT_APPROVAL_THRESHOLD_MINOR:
        grounds.append("amount_above_threshold")
    if vendor.payouts_need_approval:
        grounds.append("vendor_flagged")
    if vendor.verification_status == VerificationStatus.SUSPENDED:
        grounds.append("vendor_suspended")
    return grounds


def payout_approval_grounds_text(payment: Transaction) -> str:
    """Why this payout waits, in words, as decided when the work was confirmed."""
    words = [APPROVAL_GROUNDS.get(code, code) for code in payment.payout_approval_grounds]
    return ", ".join(words).capitalize() or "Flagged when the booking completed"


# --- Risk flags beside a payout waiting for approval ------------------------------------------

# An organizer verified less than this many days ago is "new".
NEW_ORGANIZER_DAYS = 30
# Chargebacks on any of the organizer's bookings opened within this many days are "recent".
RECENT_CHARGEBACK_DAYS = 90


class PayoutRisk(models.TextChoices):
    FIRST_PAYOUT = "first_payout", "First payout"  # the organizer has never been paid out
    NEW_ORGANIZER = "new_organizer", "New organizer"  # verified within NEW_ORGANIZER_DAYS (or not at all)
    ABOVE_THRESHOLD = "above_threshold", "Over threshold"  # more than PAYOUT_APPROVAL_THRESHOLD_MINOR
    OPEN_DISPUTE = "open_dispute", "Open dispute"  # the booking's escrow carries a dispute hold
    RECENT_CHARGEBACKS = "recent_chargebacks", "Recent chargebacks"  # on any of the organizer's bookings


@dataclass(frozen=True)
class RiskFlag:
    code: str
    label: str
    sentence: str


def _flag(risk: PayoutRisk, sentence: str) -> RiskFlag:
    return RiskFlag(risk.value, risk.label, sentence)


def _days_ago(days: int) -> str:
    return "today" if days == 0 else f"{days} day{'' if days == 1 else 's'} ago"


def payout_risk_flags(payment: Transaction) -> list[RiskFlag]:
    """What an admin should weigh before approving this payout, in PayoutRisk order; empty: nothing stands out.

    Reads the facts ``selectors.payout_annotate_risk`` puts on the payment (the organizer's
    earlier payouts and recent chargebacks, for a whole listing in one query) and what the
    payment and its organizer already carry. An open dispute is the escrow's dispute hold:
    the disputes service places it when a dispute opens and lifts it when the dispute ends,
    so the money service knows without asking the disputes app (which sits above it).
    """
    vendor = payment.booking.vendor
    now = timezone.now()
    flags = []
    if not payment.vendor_has_succeeded_payout:
        flags.append(_flag(PayoutRisk.FIRST_PAYOUT, "No payout to this organizer has succeeded yet."))
    if vendor.verified_at is None:
        flags.append(_flag(PayoutRisk.NEW_ORGANIZER, "The organizer is not verified."))
    elif vendor.verified_at > now - timedelta(days=NEW_ORGANIZER_DAYS):
        days = (now - vendor.verified_at).days
        flags.append(
            _flag(PayoutRisk.NEW_ORGANIZER, f"Verified {_days_ago(days)}, less than {NEW_ORGANIZER_DAYS} days ago.")
        )
    threshold = Money(settings.PAYOUT_APPROVAL_THRESHOLD_MINOR, payment.currency)
    if payment.kept.minor > threshold.minor:
        flags.append(
            _flag(PayoutRisk.ABOVE_THRESHOLD, f"{payment.kept} is above the approval threshold of {threshold}.")
        )
    if HoldReason.DISPUTE in payment.hold_reasons:
        flags.append(_flag(PayoutRisk.OPEN_DISPUTE, "A dispute about this booking is open."))
    count = payment.vendor_recent_chargebacks
    if count:
        chargebacks = f"{count} chargeback{'' if count == 1 else 's'}"
        flags.append(
            _flag(
                PayoutRisk.RECENT_CHARGEBACKS,
                f"{chargebacks} on this organizer's bookings in the last {RECENT_CHARGEBACK_DAYS} days.",
            )
        )
    return flags


def payout_approval_refusal(payment: Transaction) -> DomainError | None:
    """Why an admin's approval would not release this payout now, as ``escrow_release`` refuses it; None: it would.

    Released already, not in escrow (authorised, void, refunded), the work not confirmed yet,
    or frozen by a hold.
    """
    if payment.status == TransactionStatus.RELEASED:
        return AlreadyReleased("The payout for this booking was already released.")
    if payment.status != TransactionStatus.HELD:
        return PaymentNotHeld(f"The payment was {payment.get_status_display().lower()}.")
    if payment.releasable_at is None:
        return BookingNotCompleted("The payout is released only after the booking is completed.")
    if payment.hold_reasons:
        return EscrowOnHold(f"The escrow is on hold: {hold_reasons_text(payment).lower()}.")
    return None


def payout_can_be_approved(payment: Transaction) -> bool:
    """Whether an admin's approval would release this payout now (as ``escrow_release`` checks): due, no hold."""
    return payout_approval_refusal(payment) is None


def payout_hold_refusal(payment: Transaction) -> DomainError | None:
    """Why an admin cannot hold this payout (``payout_hold``), in its words; None: they can (in escrow, and no
    admin's hold on it yet)."""
    if payment.status != TransactionStatus.HELD:
        return PaymentNotHeld(f"The payment was {payment.get_status_display().lower()}; there is no escrow to hold.")
    if HoldReason.ADMIN in payment.hold_reasons:
        return PayoutAlreadyHeld("This payout is already on hold by an admin.")
    return None


def payout_can_be_held(payment: Transaction) -> bool:
    """Whether an admin can hold this payout (``payout_hold``): still in escrow, and no admin's hold on it yet."""
    return payout_hold_refusal(payment) is None


def payout_hold_can_be_lifted(payment: Transaction) -> bool:
    """Whether an admin can lift a hold here (``escrow_hold_lift`` with "admin"): an admin's hold is on it.

    A dispute's hold is lifted by the dispute's decision, a chargeback's by the card network's.
    """
    return payment.status == TransactionStatus.HELD and HoldReason.ADMIN in payment.hold_reasons


def payment_of(booking) -> Transaction | None:
    """A booking's payment, or None when it was never paid (without raising on the missing reverse row)."""
    try:
        return booking.transaction
    except Transaction.DoesNotExist:
        return None


def refundable(payment: Transaction | None) -> Money:
    """What is left of a payment that staff can give back: what is kept, before or after the payout.

    Nothing for an authorisation (it is released, not refunded: ``escrow_refund`` does
    that on a cancellation), nor for a payment already refunded or void.
    """
    if payment is None or payment.status not in (TransactionStatus.HELD, TransactionStatus.RELEASED):
        return Money(0, settings.MARKETPLACE_CURRENCY)
    return payment.kept


def hold_reasons_text(payment: Transaction) -> str:
    """Why the escrow is frozen, in words."""
    return ", ".join(HoldReason(code).label for code in payment.hold_reasons)


@dataclass(frozen=True)
class RefundSplit:
    """A refund of part of a payment, and how the rest is split after it.

    The one rule for partial refunds: what is kept after the refund is split again
    exactly as the whole was at capture (``Money.split_by_bps`` with the payment's
    commission rate and minimum fee). So fee + payout + refunded = amount always, and
    the refund takes back from the fee and from the vendor's share the difference
    between the two splits (``fee_returned`` + ``payout_returned`` = ``refund``).
    """

    refund: Money
    platform_fee: Money  # the platform keeps this after the refund
    vendor_payout: Money  # the organizer keeps this after the refund
    fee_returned: Money
    payout_returned: Money


def refund_split(payment: Transaction, refund: Money) -> RefundSplit:
    """How a refund of ``refund`` (at most ``payment.kept``) splits; see RefundSplit."""
    kept_after = payment.kept - refund
    fee, payout = kept_after.split_by_bps(payment.commission_bps, payment.minimum_fee_minor)
    return RefundSplit(
        refund=refund,
        platform_fee=fee,
        vendor_payout=payout,
        fee_returned=payment.platform_fee - fee,
        payout_returned=payment.vendor_payout - payout,
    )


def percent_of(amount: Money, percent: int) -> Money:
    """``percent`` of an amount, rounded half up to the minor unit."""
    return Money(divide_round_half_up(amount.minor * percent, 100), amount.currency)


# --- Payout accounts --------------------------------------------------------------------------

# Stripe's requirement codes (by prefix, most specific first) in the words an organizer reads.
REQUIREMENT_WORDS = [
    ("external_account", "a bank account for payouts"),
    ("tos_acceptance", "acceptance of the payment processor's terms"),
    ("individual.verification", "an identity document"),
    ("individual.dob", "date of birth"),
    ("individual.ssn_last_4", "last 4 digits of the social security number"),
    ("individual.id_number", "a government ID number"),
    ("individual.address", "home address"),
    ("individual.phone", "phone number"),
    ("individual.email", "email address"),
    ("individual", "personal details"),
    ("business_profile", "business details (website, industry)"),
    ("company", "company details"),
    ("representative", "details of the business representative"),
]


def requirements_text(codes) -> list[str]:
    """Requirement codes in plain words, each once, in the gateway's order."""
    words: list[str] = []
    for code in codes:
        text = next((said for prefix, said in REQUIREMENT_WORDS if code.startswith(prefix)), None)
        text = text or code.replace("_", " ").replace(".", ": ")
        if text not in words:
            words.append(text)
    return words


class PayoutAccountState(models.TextChoices):
    NONE = "none", "Not set up"  # no account at the gateway yet
    INCOMPLETE = "incomplete", "Setup not finished"  # opened, but the organizer has not submitted their details
    IN_REVIEW = "in_review", "Being reviewed"  # submitted; the processor has not enabled payouts yet
    PAST_DUE = "past_due", "Information past due"  # submitted once, now overdue: payouts and new bookings stop
    ENABLED = "enabled", "Payouts enabled"  # payouts go out


def payout_account_state(profile: VendorProfile | None) -> PayoutAccountState:
    """Where the organizer's payout account stands, from what the gateway last reported."""
    if profile is None or not profile.stripe_account_id:
        return PayoutAccountState.NONE
    if profile.payouts_enabled:
        return PayoutAccountState.ENABLED
    if not profile.payout_details_submitted:
        return PayoutAccountState.INCOMPLETE
    if profile.payout_requirements_past_due:
        return PayoutAccountState.PAST_DUE
    return PayoutAccountState.IN_REVIEW


def payout_account_can_receive(profile: VendorProfile | None) -> bool:
    """A payout goes out only to an account the gateway has enabled payouts on; otherwise it waits."""
    return payout_account_state(profile) == PayoutAccountState.ENABLED


def payout_account_problem(profile: VendorProfile | None) -> str:
    """Why payouts cannot go to this account now, in words; empty when they can."""
    state = payout_account_state(profile)
    if state == PayoutAccountState.NONE:
        return "No payout account is set up yet."
    if state == PayoutAccountState.INCOMPLETE:
        return "The payout account setup is not finished."
    if state == PayoutAccountState.PAST_DUE:
        return past_due_reason(profile.payout_requirements_past_due)
    if state == PayoutAccountState.IN_REVIEW:
        return "The payment processor is still reviewing the payout account."
    return ""


def past_due_reason(codes) -> str:
    return f"Payout account information is past due: {', '.join(requirements_text(codes))}."


def new_bookings_pause_reason(status: AccountStatus) -> str:
    """Why the organizer must stop taking new bookings, given the account's state; empty: they need not.

    Only requirements that fall past due after the organizer submitted their details count:
    Stripe reports a new account's first requirements as past due too, and an organizer who
    has not finished setup yet still takes bookings (their payouts wait for the account).
    """
    if status.details_submitted and status.requirements_past_due:
        return past_due_reason(status.requirements_past_due)
    return ""


def payout_waiting_text(payout: Movement, profile: VendorProfile | None) -> str:
    """Why a payout waits for the organizer's account, in words; empty when it does not wait."""
    if payout.state != MovementState.WAITING:
        return ""
    problem = payout_account_problem(profile)
    if not problem:
        return "The payout account can receive payouts now: it is on its way."
    return f"{problem} The payout goes out once the account can receive it."


# A payout's state as the organizer reads it (the movement states a payout can be in).
PAYOUT_STATE_WORDS = {
    MovementState.WAITING: "Waiting for your payout account",
    MovementState.PENDING: "On its way",
    MovementState.SUCCEEDED: "Paid",
    MovementState.FAILED: "Failed",
}


def payout_state_words(payout: Movement, profile: VendorProfile | None) -> tuple[str, str]:
    """A payout's state in the organizer's words, and why it waits or failed (empty when neither)."""
    words = PAYOUT_STATE_WORDS.get(payout.state, payout.get_state_display())
    if payout.state == MovementState.WAITING:
        return words, payout_waiting_text(payout, profile)
    if payout.state == MovementState.FAILED:
        return words, " ".join(part for part in (payout.last_error, "Our team follows up.") if part)
    return words, ""


def payout_state_text(payout: Movement, profile: VendorProfile | None) -> str:
    """``payout_state_words`` as one line, for a file."""
    words, why = payout_state_words(payout, profile)
    return f"{words}: {why}" if why else words


def payout_of(payment: Transaction | None) -> Payout | None:
    """A released payment's payout (one per release), or None."""
    if payment is None or payment.status != TransactionStatus.RELEASED:
        return None
    return Payout.objects.filter(transaction=payment).first()


# --- Chargebacks (card disputes), as staff read them ----------------------------------------------


class ChargebackOutcome(models.TextChoices):
    OPEN = "open", "Open"  # the card network has not decided yet: the escrow is held
    WON = "won", "Won"  # closed and the platform keeps the money (won, an inquiry closed, prevented)
    LOST = "lost", "Lost"  # the bank gave the money back to the customer; the hold stays for an admin


# Which of Stripe's dispute statuses each outcome covers.
CHARGEBACK_OUTCOME_STATUSES: dict[str, frozenset[str]] = {
    ChargebackOutcome.OPEN: frozenset(ChargebackStatus.values) - frozenset(CHARGEBACK_CLOSED),
    ChargebackOutcome.WON: frozenset(CHARGEBACK_KEPT),
    ChargebackOutcome.LOST: frozenset(CHARGEBACK_CLOSED) - frozenset(CHARGEBACK_KEPT),
}

# Stripe's dispute status in staff's words: what it means and who acts next.
CHARGEBACK_STATUS_WORDS = {
    ChargebackStatus.WARNING_NEEDS_RESPONSE: "Inquiry: the card issuer asks about the payment; no money is taken yet",
    ChargebackStatus.WARNING_UNDER_REVIEW: "Inquiry under review: the card issuer is looking at our answer",
    ChargebackStatus.WARNING_CLOSED: "Inquiry closed without a chargeback: the money stays",
    ChargebackStatus.NEEDS_RESPONSE: "Needs a response: evidence is due at Stripe",
    ChargebackStatus.UNDER_REVIEW: "Under review: evidence submitted, the card network decides",
    ChargebackStatus.WON: "Won: the money stays with the platform",
    ChargebackStatus.LOST: "Lost: the bank returned the money to the customer",
    ChargebackStatus.PREVENTED: "Prevented: stopped before it became a chargeback",
}

# Stripe's dispute reasons, in words.
CHARGEBACK_REASON_WORDS = {
    "bank_cannot_process": "The bank cannot process the payment",
    "check_returned": "Check returned",
    "credit_not_processed": "The customer says a refund was promised but not made",
    "customer_initiated": "The customer asked their bank to reverse it",
    "debit_not_authorized": "The customer says the debit was not authorised",
    "duplicate": "The customer says they were charged twice",
    "fraudulent": "The cardholder says they did not make the payment (fraud)",
    "general": "No specific reason",
    "incorrect_account_details": "Incorrect account details",
    "insufficient_funds": "Insufficient funds",
    "product_not_received": "The customer says the service was not provided",
    "product_unacceptable": "The customer says the service was not as described",
    "subscription_canceled": "The customer says they had cancelled",
    "unrecognized": "The customer does not recognise the payment",
}


def chargeback_outcome(status: str) -> ChargebackOutcome:
    """Open, won or lost: where a chargeback in Stripe's ``status`` stands for the platform's money."""
    for outcome, statuses in CHARGEBACK_OUTCOME_STATUSES.items():
        if status in statuses:
            return ChargebackOutcome(outcome)
    return ChargebackOutcome.OPEN  # a status Stripe adds later: treated as open, as the webhook holds for it


def chargeback_status_text(status: str) -> str:
    """Stripe's dispute status in words (its code, readable, for one we do not know)."""
    return CHARGEBACK_STATUS_WORDS.get(status) or status.replace("_", " ").capitalize()


def chargeback_reason_text(reason: str) -> str:
    """Stripe's dispute reason in words; empty when Stripe gave none."""
    return CHARGEBACK_REASON_WORDS.get(reason) or reason.replace("_", " ").capitalize()


def chargeback_holds_escrow(*, status: str, hold_reasons: list[str]) -> bool:
    """Whether the escrow is held because of this chargeback: it is open or lost (``CHARGEBACK_KEPT`` lifts the
    hold) and the payment carries the chargeback hold (none when the money had already left escrow)."""
    return status not in CHARGEBACK_KEPT and HoldReason.CHARGEBACK in hold_reasons


def chargeback_hold_text(chargeback: Chargeback) -> str:
    """What the chargeback does to the booking's escrow, in words."""
    payment = chargeback.transaction
    if chargeback_holds_escrow(status=chargeback.status, hold_reasons=payment.hold_reasons):
        if chargeback.status == ChargebackStatus.LOST:
            return "Held: the chargeback was lost, and the escrow stays held until an admin decides."
        return "Held: the escrow is not released while the card network decides."
    if chargeback.status in CHARGEBACK_KEPT:
        return "Not held: the platform kept the money, so the chargeback's hold was lifted."
    return f"Not held: the payment was already {payment.get_status_display().lower()} when it was contested."
