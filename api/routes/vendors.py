from datetime import date, datetime
from typing import Literal

from django.urls import reverse
from ninja import Router, Schema, Status
from pydantic import Field

from marketplace.accounts.errors import NotPermitted
from marketplace.availability.limits import (
    BUFFER_STEP_MINUTES,
    MAX_BUFFER_MINUTES,
    MAX_DAILY_CAP,
    MAX_HORIZON_DAYS,
    MAX_NOTICE_MINUTES,
    SLOT_STEPS_MINUTES,
    booking_rule_values,
)
from marketplace.availability.models import AvailabilityRule
from marketplace.availability.selectors import exception_list_upcoming
from marketplace.availability.services import (
    WeeklyWindow,
    availability_exception_add,
    availability_exception_remove,
    availability_rules_replace,
    booking_rules_update,
)
from marketplace.bookings.policy import takes_new_bookings
from marketplace.core.errors import InvalidTransition, NotFound, ValidationFailed
from marketplace.core.places import PLACE_MAX_LENGTH
from marketplace.payments.errors import NoPayoutAccount, PaymentProviderUnavailable
from marketplace.payments.payout_accounts import payout_account_for_user, payout_account_link
from marketplace.payments.policy import payout_account_problem, payout_account_state, requirements_text
from marketplace.payments.selectors import vendor_earnings
from marketplace.reviews.selectors import vendor_rating_summary
from marketplace.vendors.errors import NotAVendor, NoVendorProfile, VendorNotVerified
from marketplace.vendors.models import Vendor, VerificationStatus
from marketplace.vendors.selectors import vendor_for_user
from marketplace.vendors.services import vendor_profile_upsert, vendor_verify

from ..contract import raises
from ..schemas import IsoDate, ObjectId, WallClockTime, WallClockTimeOut
from ..security import jwt_auth

router = Router(tags=["vendors"])


class VendorProfileIn(Schema):
    business_name: str = Field(max_length=120)
    city: str = Field(max_length=120)
    place: str = Field(
        default="",
        max_length=PLACE_MAX_LENGTH,
        description="The centre of the service area: a US ZIP code or a city with its state, e.g. 11216 or "
        "Brooklyn, NY (resolved offline; 400 `validation_failed`, field `place`, when it is unknown or "
        "ambiguous). Give this, or latitude and longitude.",
    )
    latitude: float | None = Field(
        default=None, ge=-90, le=90, description="Without a place: the centre's latitude (with longitude)."
    )
    longitude: float | None = Field(
        default=None, ge=-180, le=180, description="Without a place: the centre's longitude (with latitude)."
    )
    time_zone: str = "America/New_York"
    tagline: str = Field(default="", max_length=160)
    bio: str = Field(default="", max_length=5000)
    service_radius_km: int = Field(default=25, ge=1, le=500)
    service_area_geojson: dict | None = None
    phone: str = Field(default="", max_length=32)
    website: str = Field(default="", max_length=200)
    years_in_business: int | None = Field(default=None, ge=0, le=100)
    certifications: list[str] = Field(default_factory=list, max_length=20)


class RatingOut(Schema):
    average: float | None
    count: int


class VendorOut(Schema):
    id: int
    business_name: str
    slug: str
    tagline: str
    bio: str
    city: str
    service_area_place: str = Field(description="The place the organizer named as the centre of their area.")
    latitude: float
    longitude: float
    service_radius_km: int
    service_area_geojson: dict | None
    time_zone: str
    verification_status: str
    verified_at: datetime | None
    taking_new_bookings: bool = Field(
        description="False while verified but paused (see new_bookings_paused_reason), or hidden until an expired "
        "insurance or identity document is renewed."
    )
    new_bookings_paused_reason: str = Field(
        description="Why the organizer is not taking new bookings now (their payout account needs past-due "
        "information); empty when they are. Confirmed bookings go on."
    )
    rating: RatingOut

    @staticmethod
    def resolve_taking_new_bookings(obj) -> bool:
        return bool(takes_new_bookings(obj))

    @staticmethod
    def resolve_rating(obj) -> dict:
        return vendor_rating_summary(vendor=obj)


class OwnVendorOut(VendorOut):
    verification_reason: str
    phone: str
    website: str
    years_in_business: int | None
    certifications: list[str]
    payouts_enabled: bool

    @staticmethod
    def resolve_phone(obj) -> str:
        return obj.profile.phone

    @staticmethod
    def resolve_website(obj) -> str:
        return obj.profile.website

    @staticmethod
    def resolve_years_in_business(obj) -> int | None:
        return obj.profile.years_in_business

    @staticmethod
    def resolve_certifications(obj) -> list[str]:
        return obj.profile.certifications

    @staticmethod
    def resolve_payouts_enabled(obj) -> bool:
        return obj.profile.payouts_enabled


class PayoutAccountOut(Schema):
    account_id: str = Field(description="The account at the payment gateway (Stripe: acct_...; local: acct_local_...).")
    state: Literal["incomplete", "in_review", "past_due", "enabled"] = Field(
        description="incomplete: setup not finished; in_review: submitted, payouts not enabled yet; past_due: "
        "information is overdue (payouts and new bookings stop); enabled: payouts go out."
    )
    payouts_enabled: bool
    details_submitted: bool
    requirements_due: list[str] = Field(description="The gateway's codes of what is still needed.")
    requirements_past_due: list[str] = Field(description="The gateway's codes of what is overdue.")
    requirements_due_text: list[str] = Field(description="requirements_due in plain words.")
    requirements_past_due_text: list[str] = Field(description="requirements_past_due in plain words.")
    disabled_reason: str
    problem: str = Field(description="Why payouts cannot go to this account now, in words; empty when they can.")
    synced_at: datetime | None = Field(description="When the gateway last reported the account's state.")
    new_bookings_paused_reason: str = Field(description="Why you are not taking new bookings now; empty when you are.")
    payout_waiting_minor: int = Field(description="Released payouts waiting for this account to receive them.")


class PayoutAccountLinkOut(Schema):
    url: str = Field(description="A one-time address at the payment gateway where you complete the account.")


def _payout_account_out(request, profile) -> dict:
    return {
        "account_id": profile.stripe_account_id,
        "state": payout_account_state(profile).value,
        "payouts_enabled": profile.payouts_enabled,
        "details_submitted": profile.payout_details_submitted,
        "requirements_due": profile.payout_requirements_due,
        "requirements_past_due": profile.payout_requirements_past_due,
        "requirements_due_text": requirements_text(profile.payout_requirements_due),
        "requirements_past_due_text": requirements_text(profile.payout_requirements_past_due),
        "disabled_reason": profile.payout_disabled_reason,
        "problem": payout_account_problem(profile),
        "synced_at": profile.payout_account_synced_at,
        "new_bookings_paused_reason": profile.vendor.new_bookings_paused_reason,
        "payout_waiting_minor": vendor_earnings(vendor=profile.vendor)["payout_waiting_minor"],
    }


class VerifyIn(Schema):
    decision: Literal["verified", "rejected", "suspended", "reinstated"]
    reason: str = Field(default="", max_length=2000)


class AdminVendorOut(OwnVendorOut):
    pass


class WindowIn(Schema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    start_time: WallClockTime
    end_time: WallClockTime


class WeeklyHoursIn(Schema):
    windows: list[WindowIn] = Field(max_length=50)


class WindowOut(Schema):
    weekday: int
    start_time: WallClockTimeOut
    end_time: WallClockTimeOut


class ExceptionIn(Schema):
    date: IsoDate
    start_time: WallClockTime | None = None
    end_time: WallClockTime | None = None
    is_available: bool = False
    note: str = Field(default="", max_length=120)


class ExceptionOut(Schema):
    id: int
    date: date
    start_time: WallClockTimeOut | None
    end_time: WallClockTimeOut | None
    is_available: bool
    note: str


class AvailabilityOut(Schema):
    time_zone: str
    windows: list[WindowOut]
    exceptions: list[ExceptionOut]


# What each booking rule means and the values it takes (the domain checks them: availability.limits).
_STEPS = ", ".join(str(step) for step in SLOT_STEPS_MINUTES)
BOOKING_RULE_MEANINGS = {
    "min_notice_minutes": "A booking starts at least this many minutes after it is made "
    f"(0 to {MAX_NOTICE_MINUTES}; shorter than the horizon).",
    "horizon_days": f"A booking starts at most this many days after it is made (1 to {MAX_HORIZON_DAYS}).",
    "slot_step_minutes": f"Offered starts are this many minutes apart, from the start of each opening ({_STEPS}).",
    "daily_cap": f"At most this many jobs start on one of your days (0 to {MAX_DAILY_CAP}; 0 is no limit).",
    "buffer_before_minutes": "Minutes kept free before each job, e.g. for travel "
    f"(0 to {MAX_BUFFER_MINUTES}, in steps of {BUFFER_STEP_MINUTES}).",
    "buffer_after_minutes": "Minutes kept free after each job "
    f"(0 to {MAX_BUFFER_MINUTES}, in steps of {BUFFER_STEP_MINUTES}).",
}


class BookingRuleOut(Schema):
    own: int | None = Field(
        description="Your own value; null while you follow the platform default. The buffers are never null "
        "(0 is none)."
    )
    default: int = Field(description="The platform default, followed while `own` is null.")
    effective: int = Field(description="The value your bookings follow now: `own`, or `default` when it is null.")


class BookingRulesOut(Schema):
    min_notice_minutes: BookingRuleOut = Field(description=BOOKING_RULE_MEANINGS["min_notice_minutes"])
    horizon_days: BookingRuleOut = Field(description=BOOKING_RULE_MEANINGS["horizon_days"])
    slot_step_minutes: BookingRuleOut = Field(description=BOOKING_RULE_MEANINGS["slot_step_minutes"])
    daily_cap: BookingRuleOut = Field(description=BOOKING_RULE_MEANINGS["daily_cap"])
    buffer_before_minutes: BookingRuleOut = Field(description=BOOKING_RULE_MEANINGS["buffer_before_minutes"])
    buffer_after_minutes: BookingRuleOut = Field(description=BOOKING_RULE_MEANINGS["buffer_after_minutes"])


_RESETS = " Null: follow the platform default again."


class BookingRulesPatch(Schema):
    """Any of your booking rules; leave out what you do not change."""

    min_notice_minutes: int | None = Field(
        default=None, strict=True, description=BOOKING_RULE_MEANINGS["min_notice_minutes"] + _RESETS
    )
    horizon_days: int | None = Field(
        default=None, strict=True, description=BOOKING_RULE_MEANINGS["horizon_days"] + _RESETS
    )
    slot_step_minutes: int | None = Field(
        default=None, strict=True, description=BOOKING_RULE_MEANINGS["slot_step_minutes"] + _RESETS
    )
    daily_cap: int | None = Field(default=None, strict=True, description=BOOKING_RULE_MEANINGS["daily_cap"] + _RESETS)
    buffer_before_minutes: int | None = Field(
        default=None, strict=True, description=BOOKING_RULE_MEANINGS["buffer_before_minutes"] + " Not null."
    )
    buffer_after_minutes: int | None = Field(
        default=None, strict=True, description=BOOKING_RULE_MEANINGS["buffer_after_minutes"] + " Not null."
    )


def _booking_rules_out(vendor: Vendor) -> dict:
    return {field: vars(value) for field, value in booking_rule_values(vendor).items()}


def _own_vendor(request) -> Vendor:
    vendor = vendor_for_user(user=request.auth)
    if vendor is None:
        raise NoVendorProfile("You have no organizer profile yet: create one with POST /api/v1/vendors/profile.")
    return vendor


@router.post("/profile", response={200: OwnVendorOut, 201: OwnVendorOut}, auth=jwt_auth)
@raises(ValidationFailed, NotAVendor)
def upsert_profile(request, payload: VendorProfileIn):
    """Create (201) or update (200) your organizer profile. New profiles wait for verification."""
    vendor, created = vendor_profile_upsert(user=request.auth, **payload.dict())
    return Status((201 if created else 200), vendor)


@router.get("/profile", response={200: OwnVendorOut}, auth=jwt_auth)
@raises(NoVendorProfile)
def get_profile(request):
    return _own_vendor(request)


@router.get("/me/payout-account", response={200: PayoutAccountOut}, auth=jwt_auth)
@raises(NotAVendor, NoPayoutAccount)
def get_payout_account(request):
    """Organizers: your payout account as the payment gateway last reported it. 404 until you set one up."""
    return _payout_account_out(request, payout_account_for_user(user=request.auth))


@router.post("/me/payout-account/link", response={200: PayoutAccountLinkOut}, auth=jwt_auth)
@raises(NotAVendor, VendorNotVerified, NoVendorProfile, PaymentProviderUnavailable)
def create_payout_account_link(request):
    """Verified organizers: a one-time link to set up (or continue) your payout account at the payment gateway.

    Opens the account the first time (once, however often you ask). The gateway sends you
    back to the organizer area's payouts page when you are done.
    """
    url = payout_account_link(
        user=request.auth,
        refresh_url=request.build_absolute_uri(reverse("storefront:vendor_payout_account_refresh")),
        return_url=request.build_absolute_uri(reverse("storefront:vendor_payout_account_return")),
    )
    return {"url": url}


@router.get("/me/booking-rules", response={200: BookingRulesOut}, auth=jwt_auth)
@raises(NoVendorProfile)
def get_booking_rules(request):
    """Organizers: your booking rules, each with your own value, the platform default and the one in force."""
    return _booking_rules_out(_own_vendor(request))


@router.patch("/me/booking-rules", response={200: BookingRulesOut}, auth=jwt_auth)
@raises(ValidationFailed, NoVendorProfile)
def update_booking_rules(request, payload: BookingRulesPatch):
    """Organizers: change any of your booking rules; null sets a rule back to the platform default.

    Each value is checked against its range (400 `validation_failed`, `field` names the rule),
    and the minimum notice must stay shorter than the horizon. Bookings already made keep their
    times and buffers; the new rules apply to the slots offered and the bookings made from now on.
    """
    vendor = booking_rules_update(vendor=_own_vendor(request), actor=request.auth, **payload.dict(exclude_unset=True))
    return _booking_rules_out(vendor)


@router.put("/{vendor_id}/verify", response={200: AdminVendorOut}, auth=jwt_auth)
@raises(ValidationFailed, NotPermitted, NotFound, InvalidTransition)
def verify(request, vendor_id: ObjectId, payload: VerifyIn):
    """Admins only: verify, reject, suspend or reinstate an organizer; the organizer is emailed the decision.

    Every decision but verifying a pending organizer needs a reason (verifying takes an optional
    note). A suspended organizer is reinstated with `reinstated`, not `verified`. Suspending
    cancels their confirmed bookings that have not started (customers refunded in full) and
    declines their open requests.
    """
    return vendor_verify(admin=request.auth, vendor_id=vendor_id, decision=payload.decision, reason=payload.reason)


@router.get("/availability", response={200: AvailabilityOut}, auth=jwt_auth)
@raises(NoVendorProfile)
def get_availability(request):
    vendor = _own_vendor(request)
    return {
        "time_zone": vendor.time_zone,
        "windows": list(AvailabilityRule.objects.filter(vendor=vendor)),
        "exceptions": exception_list_upcoming(vendor=vendor),
    }


@router.put("/availability", response={200: AvailabilityOut}, auth=jwt_auth)
@raises(ValidationFailed, NoVendorProfile)
def set_weekly_hours(request, payload: WeeklyHoursIn):
    """Replace your weekly hours (wall-clock times in your profile's time zone)."""
    vendor = _own_vendor(request)
    availability_rules_replace(vendor=vendor, windows=[WeeklyWindow(**w.dict()) for w in payload.windows])
    return get_availability(request)


@router.post("/availability/exceptions", response={201: ExceptionOut}, auth=jwt_auth)
@raises(ValidationFailed, NoVendorProfile)
def add_exception(request, payload: ExceptionIn):
    """Close a day (no times), block a window, or open extra hours (is_available=true).

    The date is from the organizer's today (in their time zone) to the last day a booking may
    start (your booking horizon: `horizon_days` of GET /vendors/me/booking-rules); any other date is
    refused (400, field `date`).
    """
    vendor = _own_vendor(request)
    data = payload.dict()
    return Status(201, availability_exception_add(vendor=vendor, on_date=data.pop("date"), **data))


@router.delete("/availability/exceptions/{exception_id}", response={204: None}, auth=jwt_auth)
@raises(NotFound, NoVendorProfile)
def remove_exception(request, exception_id: ObjectId):
    availability_exception_remove(vendor=_own_vendor(request), exception_id=exception_id)
    return Status(204, None)


@router.get("/{vendor_id}", response={200: VendorOut})
@raises(NotFound)
def get_vendor(request, vendor_id: ObjectId):
    """A verified organizer's public profile."""
    vendor = Vendor.objects.filter(pk=vendor_id, verification_status=VerificationStatus.VERIFIED).first()
    if vendor is None:
        raise NotFound("Organizer not found.")
    return vendor
