from ninja import Router, Schema
from pydantic import Field

from marketplace.bookings.selectors import booking_get_for_user
from marketplace.bookings.services import booking_pay
from marketplace.payments.selectors import vendor_earnings
from marketplace.payments.services import escrow_release
from marketplace.vendors.errors import NoVendorProfile
from marketplace.vendors.selectors import vendor_for_user

from ..schemas import BODY_ERRORS, ERRORS, ObjectId
from ..security import booking_throttle, jwt_auth
from .bookings import BookingOut, PaymentOut

router = Router(tags=["payments"], auth=jwt_auth)


class CaptureIn(Schema):
    booking_id: ObjectId
    payment_method: str = Field(
        max_length=64,
        description="A payment method id, e.g. pm_card_visa (local gateway test cards follow Stripe's names).",
    )


class PayoutIn(Schema):
    booking_id: ObjectId
    reason: str = Field(default="", max_length=2000)


class EarningsOut(Schema):
    currency: str
    paid_out_minor: int
    in_escrow_minor: int


@router.post("/capture", response={200: BookingOut, **BODY_ERRORS}, throttle=[booking_throttle])
def capture(request, payload: CaptureIn):
    """The booking's customer pays its full price into escrow. Send an Idempotency-Key to retry safely."""
    booking = booking_pay(customer=request.auth, booking_id=payload.booking_id, payment_method=payload.payment_method)
    return booking_get_for_user(user=request.auth, booking_id=booking.pk)


@router.post("/payout", response={200: PaymentOut, **BODY_ERRORS})
def payout(request, payload: PayoutIn):
    """Admins only: release a completed booking's escrow; the organizer gets the price minus commission."""
    return escrow_release(booking_id=payload.booking_id, approved_by=request.auth, reason=payload.reason)


@router.get("/earnings", response={200: EarningsOut, **ERRORS})
def earnings(request):
    """Organizer: what you were paid and what is still held in escrow for you."""
    vendor = vendor_for_user(user=request.auth)
    if vendor is None:
        raise NoVendorProfile("You have no organizer profile yet.")
    from django.conf import settings

    return {"currency": settings.MARKETPLACE_CURRENCY, **vendor_earnings(vendor=vendor)}
