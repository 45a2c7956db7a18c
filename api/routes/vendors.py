from datetime import date, datetime, time
from typing import Literal

from ninja import Router, Schema, Status
from pydantic import Field

from marketplace.availability.models import AvailabilityRule
from marketplace.availability.selectors import exception_list_upcoming
from marketplace.availability.services import (
    WeeklyWindow,
    availability_exception_add,
    availability_exception_remove,
    availability_rules_replace,
)
from marketplace.core.errors import NotFound
from marketplace.reviews.selectors import vendor_rating_summary
from marketplace.vendors.errors import NoVendorProfile
from marketplace.vendors.models import Vendor, VerificationStatus
from marketplace.vendors.selectors import vendor_for_user
from marketplace.vendors.services import vendor_profile_upsert, vendor_verify

from ..schemas import BODY_ERRORS, ERRORS, ObjectId
from ..security import jwt_auth

router = Router(tags=["vendors"])


class VendorProfileIn(Schema):
    business_name: str = Field(max_length=120)
    city: str = Field(max_length=120)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    time_zone: str = "America/New_York"
    tagline: str = Field(default="", max_length=160)
    bio: str = Field(default="", max_length=5000)
    service_radius_km: int = Field(default=25, ge=1, le=500)
    service_area_geojson: dict | None = None
    buffer_minutes: int = Field(default=0, ge=0, le=240)
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
    latitude: float
    longitude: float
    service_radius_km: int
    service_area_geojson: dict | None
    time_zone: str
    buffer_minutes: int
    verification_status: str
    verified_at: datetime | None
    rating: RatingOut

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


class VerifyIn(Schema):
    decision: Literal["verified", "rejected", "suspended"]
    reason: str = Field(default="", max_length=2000)


class AdminVendorOut(OwnVendorOut):
    pass


class WindowIn(Schema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    start_time: time
    end_time: time


class WeeklyHoursIn(Schema):
    windows: list[WindowIn] = Field(max_length=50)


class WindowOut(Schema):
    weekday: int
    start_time: time
    end_time: time


class ExceptionIn(Schema):
    date: date
    start_time: time | None = None
    end_time: time | None = None
    is_available: bool = False
    note: str = Field(default="", max_length=120)


class ExceptionOut(Schema):
    id: int
    date: date
    start_time: time | None
    end_time: time | None
    is_available: bool
    note: str


class AvailabilityOut(Schema):
    time_zone: str
    windows: list[WindowOut]
    exceptions: list[ExceptionOut]


def _own_vendor(request) -> Vendor:
    vendor = vendor_for_user(user=request.auth)
    if vendor is None:
        raise NoVendorProfile("You have no organizer profile yet: create one with POST /api/v1/vendors/profile.")
    return vendor


@router.post("/profile", response={200: OwnVendorOut, 201: OwnVendorOut, **BODY_ERRORS}, auth=jwt_auth)
def upsert_profile(request, payload: VendorProfileIn):
    """Create (201) or update (200) your organizer profile. New profiles wait for verification."""
    vendor, created = vendor_profile_upsert(user=request.auth, **payload.dict())
    return Status((201 if created else 200), vendor)


@router.get("/profile", response={200: OwnVendorOut, **ERRORS}, auth=jwt_auth)
def get_profile(request):
    return _own_vendor(request)


@router.put("/{vendor_id}/verify", response={200: AdminVendorOut, **BODY_ERRORS}, auth=jwt_auth)
def verify(request, vendor_id: ObjectId, payload: VerifyIn):
    """Admins only: verify, reject or suspend an organizer. Rejecting or suspending needs a reason."""
    return vendor_verify(admin=request.auth, vendor_id=vendor_id, decision=payload.decision, reason=payload.reason)


@router.get("/availability", response={200: AvailabilityOut, **ERRORS}, auth=jwt_auth)
def get_availability(request):
    vendor = _own_vendor(request)
    return {
        "time_zone": vendor.time_zone,
        "windows": list(AvailabilityRule.objects.filter(vendor=vendor)),
        "exceptions": exception_list_upcoming(vendor=vendor),
    }


@router.put("/availability", response={200: AvailabilityOut, **BODY_ERRORS}, auth=jwt_auth)
def set_weekly_hours(request, payload: WeeklyHoursIn):
    """Replace your weekly hours (wall-clock times in your profile's time zone)."""
    vendor = _own_vendor(request)
    availability_rules_replace(vendor=vendor, windows=[WeeklyWindow(**w.dict()) for w in payload.windows])
    return get_availability(request)


@router.post("/availability/exceptions", response={201: ExceptionOut, **BODY_ERRORS}, auth=jwt_auth)
def add_exception(request, payload: ExceptionIn):
    """Close a day (no times), block a window, or open extra hours (is_available=true)."""
    vendor = _own_vendor(request)
    data = payload.dict()
    return Status(201, availability_exception_add(vendor=vendor, on_date=data.pop("date"), **data))


@router.delete("/availability/exceptions/{exception_id}", response={204: None, **ERRORS}, auth=jwt_auth)
def remove_exception(request, exception_id: ObjectId):
    availability_exception_remove(vendor=_own_vendor(request), exception_id=exception_id)
    return Status(204, None)


@router.get("/{vendor_id}", response={200: VendorOut, **ERRORS})
def get_vendor(request, vendor_id: ObjectId):
    """A verified organizer's public profile."""
    vendor = Vendor.objects.filter(pk=vendor_id, verification_status=VerificationStatus.VERIFIED).first()
    if vendor is None:
        raise NotFound("Organizer not found.")
    return vendor
