from datetime import datetime
from typing import Literal

from ninja import Query, Router, Schema, Status
from pydantic import Field

from marketplace.bookings.errors import (
    AwaitingPayment,
    BookingStarted,
    CustomersOnly,
    NoProposal,
    NotStarted,
    OutsideAvailability,
    RescheduleClosed,
    SlotUnavailable,
)
from marketplace.bookings.policy import booking_actions, cancellation_preview, reschedule_deadline, waiting_for
from marketplace.bookings.selectors import booking_get_for_user, booking_list_for_user
from marketplace.bookings.services import (
    ADDRESS_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    booking_accept,
    booking_cancel,
    booking_confirm_completion,
    booking_decline,
    booking_quote,
    booking_request,
    booking_reschedule,
    booking_reschedule_answer,
    booking_reschedule_propose,
)
from marketplace.catalog.errors import ServiceNotFound
from marketplace.catalog.limits import (
    HOURLY_BOOKING_MAX_MINUTES,
    HOURLY_BOOKING_STEP_MINUTES,
    MAX_PRICE_MINOR,
    SERVICE_DURATION_MIN_MINUTES,
    SERVICE_DURATION_STEP_MINUTES,
)
from marketplace.core.errors import InvalidTransition, NotFound, ValidationFailed
from marketplace.disputes.policy import can_open_dispute
from marketplace.payments.errors import ChargeNotCapturable, PaymentProcessing
from marketplace.payments.policy import escrow_state, payment_of
from marketplace.reviews.policy import can_review, review_of
from marketplace.vendors.errors import VendorNewBookingsPaused, VendorUnavailable

from ..contract import raises
from ..pagination import PageOut, PageQuery, paginate
from ..schemas import (
    CancellationTermsOut,
    ErrorOut,
    IsoDateTime,
    ObjectId,
    VendorRef,
    cancellation_terms_out,
)
from ..security import booking_throttle, jwt_auth

router = Router(tags=["bookings"], auth=jwt_auth)


class BookingIn(Schema):
    service_id: ObjectId
    starts_at: IsoDateTime = Field(description="RFC 3339 with an offset, e.g. 2026-12-01T10:00:00-05:00")
    address: str = Field(max_length=ADDRESS_MAX_LENGTH)
    duration_minutes: int | None = Field(
        default=None,
        ge=SERVICE_DURATION_MIN_MINUTES,
        le=HOURLY_BOOKING_MAX_MINUTES,
        multiple_of=SERVICE_DURATION_STEP_MINUTES,
        description=f"Hourly services only: the service's minimum plus any multiple of {HOURLY_BOOKING_STEP_MINUTES} "
        "minutes (another length is refused with 400 `validation_failed`, field `duration_minutes`); "
        "leave it out for the minimum. Fixed and quoted services take no duration.",
    )
    note: str = Field(default="", max_length=NOTE_MAX_LENGTH)


class ServiceRef(Schema):
    id: int
    title: str
    pricing_model: str


class PaymentOut(Schema):
    status: str = Field(
        description="authorized (a request's payment, on the card), voided, held, released or refunded."
    )
    escrow_state: str = Field(
        description="Where the money is: authorized (on the customer's card until the organizer accepts), voided, "
        "held, on_hold, release_due, awaiting_approval, released or refunded."
    )
    currency: str
    amount_minor: int = Field(
        description="Paid by the customer (authorised, then captured). = platform_fee + vendor_payout + refunded."
    )
    commission_bps: int
    minimum_fee_minor: int
    platform_fee_minor: int = Field(description="What the platform keeps (after any refund).")
    vendor_payout_minor: int = Field(description="What the organizer gets (after any refund).")
    refunded_minor: int = Field(description="Refunded to the customer so far.")
    hold_reasons: list[str] = Field(description="Why the release is frozen: dispute, chargeback or admin.")
    payment_reference: str
    payout_needs_approval: bool
    authorized_at: datetime | None = Field(description="When the customer paid (a request: authorised only).")
    captured_at: datetime | None = Field(description="When the money was taken into escrow; empty while authorised.")
    released_at: datetime | None
    refunded_at: datetime | None

    @staticmethod
    def resolve_escrow_state(obj) -> str:
        return escrow_state(obj)


class BookingOut(Schema):
    id: int
    reference: str
    status: str
    service: ServiceRef
    vendor: VendorRef
    customer_id: int
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    price_minor: int | None
    currency: str
    address: str
    customer_note: str
    vendor_note: str
    payment: PaymentOut | None
    waiting_for: str | None = Field(
        description="For an open request, what it waits for: quote, payment, quote_payment or answer."
    )
    actions: list[str] = Field(
        description="What you may do with this booking now: pay, quote, accept, decline, cancel, "
        "confirm_completion, reschedule, propose_reschedule, answer_proposal, review, dispute "
        "(POST /bookings/{id}/dispute). Every other move is refused."
    )
    reschedule_until: datetime = Field(
        description="Until when the customer may move the booking (POST .../reschedule): the reschedule "
        "window of its cancellation terms before the start."
    )
    proposed_starts_at: datetime | None = Field(
        description="A new start the organizer proposed, waiting for the customer's answer; null when none."
    )
    proposal_note: str = Field(description="The organizer's note with their proposed time.")
    reviewed: bool
    cancellation_terms: CancellationTermsOut = Field(
        description="The service's cancellation policy as it stood when the booking was made: "
        "later changes to the service never change them."
    )
    cancelled_by: Literal["customer", "organizer", "admin"] | None = Field(
        description="Who cancelled the booking; null unless it was cancelled. "
        "An organizer's cancellations count against them."
    )
    created_at: datetime
    confirmed_at: datetime | None
    completed_at: datetime | None
    closed_at: datetime | None
    close_reason: str

    @staticmethod
    def resolve_payment(obj):
        return payment_of(obj)

    @staticmethod
    def resolve_waiting_for(obj) -> str | None:
        return waiting_for(obj)

    @staticmethod
    def resolve_actions(obj, context) -> list[str]:
        user = context["request"].auth
        # The booking policy lists the booking's own moves; reviews and disputes sit above bookings
        # in the layers, so their verdicts are added here, where the face meets them.
        actions = booking_actions(obj, user=user) + (["review"] if can_review(obj, user=user) else [])
        return actions + (["dispute"] if can_open_dispute(obj, user=user) else [])

    @staticmethod
    def resolve_reschedule_until(obj) -> datetime:
        return reschedule_deadline(obj)

    @staticmethod
    def resolve_reviewed(obj) -> bool:
        return review_of(obj) is not None

    @staticmethod
    def resolve_cancellation_terms(obj) -> dict:
        return cancellation_terms_out(obj.cancellation_terms)

    @staticmethod
    def resolve_cancelled_by(obj) -> str | None:
        return obj.cancelled_by or None


class CancellationOut(Schema):
    booking_id: int
    can_cancel: bool = Field(description="Whether you may cancel the booking now.")
    refusal: ErrorOut | None = Field(
        description="Why not, when can_cancel is false: the error POST .../cancel would answer "
        "(e.g. booking_started, invalid_transition)."
    )
    cancelled_by: Literal["customer", "organizer", "admin"] = Field(
        description="Who the cancellation would count as. An organizer's cancellation always refunds "
        "in full and counts against the organizer."
    )
    refund_percent: int = Field(description="The share of what is left of the payment the customer gets back.")
    reason: str = Field(description="Why that share, in one sentence.")
    currency: str
    paid_minor: int | None = Field(description="What is left of the payment now; null when nothing was paid.")
    refund_minor: int = Field(description="What the customer gets back.")
    organizer_keeps_minor: int = Field(description="What the organizer keeps, after the platform fee.")
    platform_fee_minor: int = Field(description="What the platform keeps of the part that is not refunded.")
    terms: CancellationTermsOut = Field(description="The booking's own cancellation terms.")


class BookingListQuery(PageQuery):
    status: (
        Literal["requested", "confirmed", "completed", "declined", "expired", "cancelled", "disputed", "refunded"]
        | None
    ) = None


class QuoteIn(Schema):
    price_minor: int = Field(
        gt=0,
        json_schema_extra={"maximum": MAX_PRICE_MINOR},
        description="The full price, in minor units of the booking's currency (cents for USD, whole yen for JPY).",
    )
    note: str = Field(default="", max_length=NOTE_MAX_LENGTH)


class NoteIn(Schema):
    note: str = Field(default="", max_length=NOTE_MAX_LENGTH)


class ReasonIn(Schema):
    reason: str = Field(default="", max_length=NOTE_MAX_LENGTH)


class RescheduleIn(Schema):
    starts_at: IsoDateTime = Field(
        description="The new start, RFC 3339 with an offset: one of the service's slots "
        "(GET /catalog/services/{id}/slots with the booking's duration_minutes)."
    )
    reason: str = Field(
        default="", max_length=NOTE_MAX_LENGTH, description="Why it moves; required when support staff move it."
    )


class ProposalIn(Schema):
    starts_at: IsoDateTime = Field(description="The proposed start, RFC 3339 with an offset: a free slot.")
    note: str = Field(default="", max_length=NOTE_MAX_LENGTH, description="A word to the customer.")


class ProposalAnswerIn(Schema):
    accept: bool = Field(description="true moves the booking to the proposed time; false keeps it where it is.")


class BookingPage(PageOut):
    results: list[BookingOut]


def _fresh(request, booking) -> object:
    """Re-read through the user's scope so the response shows payment and review state."""
    return booking_get_for_user(user=request.auth, booking_id=booking.pk)


@router.post("", response={201: BookingOut}, throttle=[booking_throttle])
@raises(ValidationFailed, CustomersOnly, ServiceNotFound, OutsideAvailability, SlotUnavailable, VendorNewBookingsPaused)
def create_booking(request, payload: BookingIn):
    """Request a service at a time inside the organizer's availability. Send an Idempotency-Key to retry safely."""
    booking = booking_request(customer=request.auth, **payload.dict())
    return Status(201, _fresh(request, booking))


@router.get("", response={200: BookingPage})
def list_bookings(request, filters: Query[BookingListQuery]):
    """Your bookings: as a customer, the ones you made; as an organizer, the ones with you. Latest start first."""
    return paginate(request, booking_list_for_user(user=request.auth, status=filters.status), filters)


@router.get("/{booking_id}", response={200: BookingOut})
@raises(NotFound)
def get_booking(request, booking_id: ObjectId):
    return booking_get_for_user(user=request.auth, booking_id=booking_id)


@router.post("/{booking_id}/quote", response={200: BookingOut})
@raises(ValidationFailed, NotFound, InvalidTransition)
def quote(request, booking_id: ObjectId, payload: QuoteIn):
    """Organizer: price a quote request. The customer's payment then confirms it."""
    return _fresh(request, booking_quote(vendor_user=request.auth, booking_id=booking_id, **payload.dict()))


@router.post("/{booking_id}/accept", response={200: BookingOut})
@raises(
    NotFound,
    InvalidTransition,
    AwaitingPayment,
    BookingStarted,
    VendorNewBookingsPaused,
    VendorUnavailable,
    ChargeNotCapturable,
    PaymentProcessing,
    ValidationFailed,
)
def accept(request, booking_id: ObjectId, payload: NoteIn | None = None):
    """Organizer: accept a paid request."""
    note = payload.note if payload else ""
    return _fresh(request, booking_accept(vendor_user=request.auth, booking_id=booking_id, note=note))


@router.post("/{booking_id}/decline", response={200: BookingOut})
@raises(ValidationFailed, NotFound, InvalidTransition)
def decline(request, booking_id: ObjectId, payload: ReasonIn):
    """Organizer: decline a request, with a reason. Any payment is refunded in full."""
    return _fresh(request, booking_decline(vendor_user=request.auth, booking_id=booking_id, reason=payload.reason))


@router.get("/{booking_id}/cancellation", response={200: CancellationOut})
@raises(NotFound)
def preview_cancellation(request, booking_id: ObjectId):
    """What cancelling now would do, before anyone cancels: whether you may, and who gets what back.

    A customer's cancellation of a confirmed booking refunds by the booking's own terms
    (refund tiers by hours before the start); before the organizer accepted, in full. An
    organizer's cancellation always refunds in full and counts against the organizer; an
    admin's refunds in full. What the customer does not get back is split between the
    organizer and the platform's fee. Amounts are computed at the time of the request:
    a tier may end between this preview and the cancellation.
    """
    booking = booking_get_for_user(user=request.auth, booking_id=booking_id)
    preview = cancellation_preview(booking, user=request.auth)
    refusal = preview.verdict.refusal
    return {
        "booking_id": booking.pk,
        "can_cancel": preview.verdict.allowed,
        "refusal": {"detail": refusal.message, "code": refusal.code} if refusal else None,
        "cancelled_by": preview.refund.by,
        "refund_percent": preview.refund.percent,
        "reason": preview.refund.reason,
        "currency": preview.customer_gets_back.currency,
        "paid_minor": preview.paid.minor if preview.paid is not None else None,
        "refund_minor": preview.customer_gets_back.minor,
        "organizer_keeps_minor": preview.organizer_keeps.minor,
        "platform_fee_minor": preview.platform_fee.minor,
        "terms": cancellation_terms_out(preview.terms),
    }


@router.post("/{booking_id}/cancel", response={200: BookingOut})
@raises(NotFound, BookingStarted, InvalidTransition, ValidationFailed)
def cancel(request, booking_id: ObjectId, payload: ReasonIn | None = None):
    """Customer or organizer: cancel before the start (an admin, at any time).

    A customer's cancellation of a confirmed booking refunds by the booking's cancellation
    terms; before the organizer accepted, and whenever the organizer or an admin cancels,
    any payment is refunded in full. What is not refunded is released to the organizer,
    less the platform's fee. GET .../cancellation shows the amounts first.
    """
    reason = payload.reason if payload else ""
    return _fresh(request, booking_cancel(user=request.auth, booking_id=booking_id, reason=reason))


@router.post("/{booking_id}/reschedule", response={200: BookingOut})
@raises(ValidationFailed, NotFound, RescheduleClosed, BookingStarted, OutsideAvailability, SlotUnavailable)
def reschedule(request, booking_id: ObjectId, payload: RescheduleIn):
    """Customer, until the booking's reschedule window closes (support staff, until it starts, with a reason):
    move a confirmed booking to another free slot.

    The length, price and payment stay as they are. Both sides are emailed, with the calendar
    event updated (same UID, higher SEQUENCE). A time that is not free is refused and nothing moves.
    """
    moved = booking_reschedule(
        user=request.auth, booking_id=booking_id, starts_at=payload.starts_at, reason=payload.reason
    )
    return _fresh(request, moved)


@router.post("/{booking_id}/reschedule-proposal", response={200: BookingOut})
@raises(ValidationFailed, NotFound, RescheduleClosed, BookingStarted, OutsideAvailability, SlotUnavailable)
def propose_reschedule(request, booking_id: ObjectId, payload: ProposalIn):
    """Organizer: propose another free time for a confirmed booking; it moves only when the customer accepts."""
    proposed = booking_reschedule_propose(
        vendor_user=request.auth, booking_id=booking_id, starts_at=payload.starts_at, note=payload.note
    )
    return _fresh(request, proposed)


@router.post("/{booking_id}/reschedule-proposal/answer", response={200: BookingOut})
@raises(NotFound, NoProposal, RescheduleClosed, BookingStarted, ValidationFailed, OutsideAvailability, SlotUnavailable)
def answer_reschedule_proposal(request, booking_id: ObjectId, payload: ProposalAnswerIn):
    """Customer: accept the organizer's proposed time (if it is still free) or decline it."""
    answered = booking_reschedule_answer(customer=request.auth, booking_id=booking_id, accept=payload.accept)
    return _fresh(request, answered)


@router.post("/{booking_id}/confirm_completion", response={200: BookingOut})
@raises(NotFound, InvalidTransition, NotStarted)
def confirm_completion(request, booking_id: ObjectId):
    """Customer: confirm the work is done. Escrow is released to the organizer, minus commission."""
    return _fresh(request, booking_confirm_completion(customer=request.auth, booking_id=booking_id))
