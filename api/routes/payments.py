from datetime import datetime
from typing import Literal

from django.conf import settings
from ninja import Query, Router, Schema, Status
from pydantic import Field

from marketplace.accounts.errors import NotPermitted
from marketplace.accounts.permissions import Perm
from marketplace.accounts.policy import has_permission, require_permission
from marketplace.bookings.errors import AwaitingQuote, BookingStarted
from marketplace.bookings.selectors import booking_get_for_user
from marketplace.bookings.services import PaymentOutcome, booking_pay, booking_payment_confirm
from marketplace.core.errors import InvalidTransition, NotFound, ValidationFailed
from marketplace.core.money import SUPPORTED_CURRENCIES, Money
from marketplace.payments.errors import (
    AlreadyPaid,
    AlreadyReleased,
    AuthenticationFailed,
    BookingNotCompleted,
    CardDeclined,
    CurrencyMismatch,
    EscrowOnHold,
    InvalidAmount,
    InvalidPaymentMethod,
    NoActiveHold,
    NothingToRefund,
    PaymentNotForBooking,
    PaymentNotHeld,
    PaymentProcessing,
    RefundTooLarge,
)
from marketplace.payments.models import MovementState
from marketplace.payments.policy import payout_waiting_text
from marketplace.payments.selectors import payout_list, payout_list_for_vendor, vendor_earnings
from marketplace.payments.services import escrow_hold, escrow_hold_lift, escrow_refund_by_admin, escrow_release
from marketplace.vendors.errors import NoVendorProfile, VendorNewBookingsPaused, VendorUnavailable
from marketplace.vendors.selectors import vendor_for_user

from ..contract import raises
from ..pagination import PageOut, PageQuery, paginate
from ..schemas import ObjectId
from ..security import booking_throttle, jwt_auth
from .bookings import BookingOut, PaymentOut

router = Router(tags=["payments"], auth=jwt_auth)


class CaptureIn(Schema):
    booking_id: ObjectId
    payment_method: str = Field(
        min_length=1,
        max_length=64,
        description="A payment method id, e.g. pm_card_visa (local gateway test cards follow Stripe's names).",
    )


class PaymentConfirmIn(Schema):
    booking_id: ObjectId
    payment_reference: str = Field(
        min_length=1,
        max_length=128,
        description="The payment_reference of the 202 answer (a Stripe PaymentIntent id, pi_...).",
    )


class PaymentActionOut(Schema):
    """The card needs the customer's 3-D Secure step: nothing is charged yet, and the booking is not paid."""

    status: Literal["requires_action"]
    booking_id: int
    payment_reference: str = Field(description="Send it to POST payments/capture/confirm after the step.")
    client_secret: str = Field(
        description="With Stripe, give it to Stripe.js (stripe.handleNextAction or confirmCardPayment) in the "
        "customer's browser. Never log or store it."
    )
    gateway: Literal["stripe", "local"] = Field(
        description="stripe: finish the step with Stripe.js; local: the test gateway, whose step the storefront's "
        "checkout plays (Approve / Fail)."
    )
    publishable_key: str | None = Field(description="Stripe's publishable key for Stripe.js; null unless stripe.")


class PayoutIn(Schema):
    booking_id: ObjectId
    reason: str = Field(default="", max_length=2000)


class EarningsOut(Schema):
    currency: str
    paid_out_minor: int = Field(description="Transferred to your account.")
    payout_pending_minor: int = Field(description="Released, on its way to your account.")
    payout_waiting_minor: int = Field(
        description="Released, waiting until your payout account can receive it (see /vendors/me/payout-account)."
    )
    in_escrow_minor: int = Field(description="Your share of payments still held in escrow.")
    debt_minor: int = Field(description="Refunds after a payout that could not be taken back; netted from payouts.")


class RefundIn(Schema):
    booking_id: ObjectId
    amount_minor: int | None = Field(
        default=None, description="How much to refund, in minor units; leave out to refund everything left."
    )
    currency: str | None = Field(default=None, max_length=3, description="Must be the payment's currency if given.")
    reason: str = Field(max_length=2000)


class RefundOut(Schema):
    booking_id: int
    amount_minor: int
    currency: str
    state: str = Field(description="pending (the gateway is paying it), succeeded or failed.")
    payment: PaymentOut


class HoldIn(Schema):
    booking_id: ObjectId
    reason: Literal["dispute", "chargeback", "admin"] = "admin"
    note: str = Field(default="", max_length=2000)


class HoldOut(Schema):
    booking_id: int
    reason: str
    note: str
    placed_at: datetime
    lifted_at: datetime | None
    payment: PaymentOut


class PayoutOut(Schema):
    id: int
    booking_id: int
    booking_reference: str
    state: Literal["waiting", "pending", "paid", "failed"] = Field(
        description="waiting: your payout account cannot receive it yet (see waiting_for), it goes out once it can; "
        "pending: on its way; paid: transferred; failed: the account refused it (our team follows up)."
    )
    waiting_for: str = Field(description="Why a waiting payout waits, in words; empty otherwise.")
    currency: str
    amount_minor: int = Field(description="Transferred: your share less any debt netted.")
    vendor_share_minor: int
    debt_netted_minor: int
    destination: str
    attempts: int
    gateway_reference: str | None
    failure: str = Field(description="Why it failed, when it did.")
    created_at: datetime
    settled_at: datetime | None

    @staticmethod
    def resolve_state(obj) -> str:
        return {MovementState.SUCCEEDED: "paid"}.get(obj.state, obj.state)

    @staticmethod
    def resolve_booking_reference(obj) -> str:
        return obj.booking.reference

    @staticmethod
    def resolve_vendor_share_minor(obj) -> int:
        return obj.details.get("vendor_share_minor", obj.amount_minor)

    @staticmethod
    def resolve_debt_netted_minor(obj) -> int:
        return obj.details.get("debt_netted_minor", 0)

    @staticmethod
    def resolve_waiting_for(obj) -> str:
        return payout_waiting_text(obj, getattr(obj.vendor, "profile", None))

    @staticmethod
    def resolve_failure(obj) -> str:
        return obj.last_error if obj.state == MovementState.FAILED else ""


def _payment_answer(request, outcome: PaymentOutcome):
    """200 with the booking once paid; 202 with what the browser needs while the customer must authenticate."""
    action = outcome.action
    if action is None:
        return booking_get_for_user(user=request.auth, booking_id=outcome.booking.pk)
    return Status(
        202,
        {
            "status": "requires_action",
            "booking_id": outcome.booking.pk,
            "payment_reference": action.payment_reference,
            "client_secret": action.client_secret,
            "gateway": action.gateway,
            "publishable_key": (settings.STRIPE_PUBLISHABLE_KEY or None) if action.gateway == "stripe" else None,
        },
    )


@router.post("/capture", response={200: BookingOut, 202: PaymentActionOut}, throttle=[booking_throttle])
@raises(
    NotFound,
    AlreadyPaid,
    AwaitingQuote,
    BookingStarted,
    InvalidTransition,
    VendorNewBookingsPaused,
    VendorUnavailable,
    CardDeclined,
    InvalidPaymentMethod,
    PaymentProcessing,
)
def capture(request, payload: CaptureIn):
    """The booking's customer pays its full price into escrow. Send an Idempotency-Key to retry safely.

    200: paid (captured, or authorised for a request). 202: the card needs the customer's
    3-D Secure step; nothing is charged yet. Finish the step in the browser with the
    client secret, then POST payments/capture/confirm. Paying again while the step is open
    answers the same step; it never charges twice.
    """
    outcome = booking_pay(customer=request.auth, booking_id=payload.booking_id, payment_method=payload.payment_method)
    return _payment_answer(request, outcome)


@router.post(
    "/capture/confirm",
    response={200: BookingOut, 202: PaymentActionOut},
    throttle=[booking_throttle],
)
@raises(NotFound, PaymentNotForBooking, AuthenticationFailed)
def confirm_capture(request, payload: PaymentConfirmIn):
    """The customer is back from the 3-D Secure step: the booking is paid only if the payment provider says so.

    200: paid. 202: the step is still open (the same answer as the capture). 402
    `authentication_failed`: the bank refused; nothing was charged, pay again with another
    card. 400 `payment_not_for_booking`: the reference is not this booking's payment
    (nothing is written). Safe to repeat.
    """
    outcome = booking_payment_confirm(
        customer=request.auth, booking_id=payload.booking_id, payment_reference=payload.payment_reference
    )
    return _payment_answer(request, outcome)


@router.post("/payout", response={200: PaymentOut})
@raises(NotPermitted, NotFound, AlreadyReleased, BookingNotCompleted, EscrowOnHold, PaymentNotHeld, ValidationFailed)
def payout(request, payload: PayoutIn):
    """Finance: release a completed booking's escrow (a payout waiting for approval); the organizer gets their share."""
    return escrow_release(booking_id=payload.booking_id, approved_by=request.auth, reason=payload.reason)


@router.get("/earnings", response={200: EarningsOut})
@raises(NoVendorProfile)
def earnings(request):
    """Organizer: what you were paid, what is on its way, what is still held in escrow for you, what you owe."""
    vendor = vendor_for_user(user=request.auth)
    if vendor is None:
        raise NoVendorProfile("You have no organizer profile yet.")
    return {"currency": settings.MARKETPLACE_CURRENCY, **vendor_earnings(vendor=vendor)}


@router.post("/refund", response={200: RefundOut})
@raises(ValidationFailed, CurrencyMismatch, InvalidAmount, RefundTooLarge, NotPermitted, NotFound, NothingToRefund)
def refund(request, payload: RefundIn):
    """Finance (any amount) and support (up to STAFF_REFUND_LIMIT_MINOR): refund part or all of a payment.

    Before or after the payout.

    After the payout the organizer's share of the refund is reversed from their transfer;
    what cannot be taken back becomes their debt, netted against their next payouts.
    """
    currency = (payload.currency or settings.MARKETPLACE_CURRENCY).upper()
    if currency not in SUPPORTED_CURRENCIES:
        raise CurrencyMismatch(f"{currency} is not a currency this marketplace takes.", field="currency")
    amount = None if payload.amount_minor is None else Money(payload.amount_minor, currency)
    movement = escrow_refund_by_admin(
        admin=request.auth, booking_id=payload.booking_id, amount=amount, reason=payload.reason
    )
    return {
        "booking_id": movement.booking_id,
        "amount_minor": movement.amount_minor,
        "currency": movement.currency,
        "state": movement.state,
        "payment": movement.transaction,
    }


def _hold_out(hold) -> dict:
    return {
        "booking_id": hold.transaction.booking_id,
        "reason": hold.reason,
        "note": hold.note,
        "placed_at": hold.placed_at,
        "lifted_at": hold.lifted_at,
        "payment": hold.transaction,
    }


@router.post("/hold", response={200: HoldOut})
@raises(NotPermitted, NotFound, ValidationFailed, PaymentNotHeld)
def hold(request, payload: HoldIn):
    """Finance: freeze a booking's escrow release (idempotent per reason) until the hold is lifted."""
    require_permission(request.auth, Perm.APPROVE_PAYOUTS, to="hold payouts")
    placed = escrow_hold(booking_id=payload.booking_id, reason=payload.reason, actor=request.auth, note=payload.note)
    placed.transaction.refresh_from_db()
    return _hold_out(placed)


@router.post("/hold/lift", response={200: HoldOut})
@raises(NotPermitted, NotFound, NoActiveHold, ValidationFailed, PaymentNotHeld)
def lift_hold(request, payload: HoldIn):
    """Finance: lift a hold; when no hold remains and the release is due, the payout goes out."""
    require_permission(request.auth, Perm.APPROVE_PAYOUTS, to="lift payout holds")
    lifted = escrow_hold_lift(
        booking_id=payload.booking_id, reason=payload.reason, actor=request.auth, note=payload.note
    )
    lifted.transaction.refresh_from_db()
    return _hold_out(lifted)


payouts_router = Router(tags=["payments"], auth=jwt_auth)


class PayoutPage(PageOut):
    results: list[PayoutOut]


@payouts_router.get("", response={200: PayoutPage})
@raises(NoVendorProfile)
def list_payouts(request, page: Query[PageQuery]):
    """Organizer: your payouts, newest first (one per released booking), and their states. Finance: everyone's."""
    if has_permission(request.auth, Perm.APPROVE_PAYOUTS):
        return paginate(request, payout_list(), page)
    vendor = vendor_for_user(user=request.auth)
    if vendor is None:
        raise NoVendorProfile("You have no organizer profile yet.")
    return paginate(request, payout_list_for_vendor(vendor=vendor), page)
