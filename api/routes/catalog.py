from datetime import date, datetime
from typing import Literal

from ninja import Query, Router, Schema, Status
from pydantic import Field

from marketplace.bookings import selectors as bookings
from marketplace.bookings.selectors import SLOT_WINDOW_MAX_DAYS
from marketplace.catalog.cancellation import DEFAULT_POLICY, CancellationPolicy, cancellation_terms
from marketplace.catalog.limits import (
    HOURLY_BOOKING_MAX_MINUTES,
    HOURLY_BOOKING_STEP_MINUTES,
    MAX_PRICE_MINOR,
    SERVICE_DESCRIPTION_MAX_LENGTH,
    SERVICE_DURATION_MAX_MINUTES,
    SERVICE_DURATION_MIN_MINUTES,
    SERVICE_DURATION_STEP_MINUTES,
    SERVICE_SUMMARY_MAX_LENGTH,
    SERVICE_TITLE_MAX_LENGTH,
)
from marketplace.catalog.models import Service
from marketplace.catalog.selectors import (
    category_list,
    price_description,
    service_get_public,
    service_list_hydrated,
    service_list_owned,
    service_search,
)
from marketplace.catalog.services import service_create, service_update
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.vendors.errors import NotAVendor, NoVendorProfile, VendorNotVerified
from marketplace.vendors.selectors import vendor_for_user

from ..contract import raises
from ..pagination import PageOut, PageQuery, paginate
from ..schemas import (
    CancellationTermsOut,
    CategoryOut,
    CategoryRef,
    IsoDate,
    ObjectId,
    VendorRef,
    cancellation_terms_out,
)
from ..security import jwt_auth, search_throttle

router = Router(tags=["catalog"])

# Documented for clients; the catalog service enforces them with a message that names the rule.
DURATION_SCHEMA = {
    "minimum": SERVICE_DURATION_MIN_MINUTES,
    "maximum": SERVICE_DURATION_MAX_MINUTES,
    "multipleOf": SERVICE_DURATION_STEP_MINUTES,
}


POLICY_DESCRIPTION = (
    "What a customer who cancels gets back: flexible, moderate or strict (the terms of each are in "
    "ServiceOut.cancellation_terms). A booking keeps the terms of the policy in force when it was made."
)


ALLOWED_DURATIONS_DESCRIPTION = (
    "Hourly services only: the lengths, in minutes, a customer may book (each a multiple of "
    f"{HOURLY_BOOKING_STEP_MINUTES} from the minimum to {HOURLY_BOOKING_MAX_MINUTES}). Empty: any such length."
)
ALLOWED_DURATIONS_MAX_ITEMS = HOURLY_BOOKING_MAX_MINUTES // HOURLY_BOOKING_STEP_MINUTES


class ServiceIn(Schema):
    category_id: ObjectId
    title: str = Field(max_length=SERVICE_TITLE_MAX_LENGTH)
    summary: str = Field(default="", max_length=SERVICE_SUMMARY_MAX_LENGTH)
    description: str = Field(default="", max_length=SERVICE_DESCRIPTION_MAX_LENGTH)
    pricing_model: Literal["fixed", "hourly", "quote"]
    base_price_minor: int = Field(
        ge=0,
        json_schema_extra={"maximum": MAX_PRICE_MINOR},
        description="Price in minor units of the currency (cents for USD, whole yen for JPY). "
        "Hourly: per hour. Quote: optional 'from' price.",
    )
    duration_minutes: int = Field(
        ge=1,
        json_schema_extra=DURATION_SCHEMA,
        description="Fixed/quote: expected length. Hourly: minimum booking.",
    )
    allowed_durations: list[int] = Field(
        default_factory=list, max_length=ALLOWED_DURATIONS_MAX_ITEMS, description=ALLOWED_DURATIONS_DESCRIPTION
    )
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    instant_booking: bool = True
    cancellation_policy: CancellationPolicy = Field(default=DEFAULT_POLICY, description=POLICY_DESCRIPTION)


class ServicePatch(Schema):
    category_id: ObjectId | None = None
    title: str | None = Field(default=None, max_length=SERVICE_TITLE_MAX_LENGTH)
    summary: str | None = Field(default=None, max_length=SERVICE_SUMMARY_MAX_LENGTH)
    description: str | None = Field(default=None, max_length=SERVICE_DESCRIPTION_MAX_LENGTH)
    pricing_model: Literal["fixed", "hourly", "quote"] | None = None
    base_price_minor: int | None = Field(default=None, ge=0, json_schema_extra={"maximum": MAX_PRICE_MINOR})
    duration_minutes: int | None = Field(default=None, ge=1, json_schema_extra=DURATION_SCHEMA)
    allowed_durations: list[int] | None = Field(
        default=None, max_length=ALLOWED_DURATIONS_MAX_ITEMS, description=ALLOWED_DURATIONS_DESCRIPTION
    )
    instant_booking: bool | None = None
    cancellation_policy: CancellationPolicy | None = Field(default=None, description=POLICY_DESCRIPTION)
    is_active: bool | None = None


class ServiceOut(Schema):
    id: int
    title: str
    slug: str
    summary: str
    description: str
    pricing_model: str
    base_price_minor: int
    currency: str
    price_display: str
    duration_minutes: int
    allowed_durations: list[int] = Field(description=ALLOWED_DURATIONS_DESCRIPTION)
    booking_lengths: list[int] = Field(
        description="The lengths, in minutes, a booking may have; the first is the default "
        "(fixed and quote: the one set length)."
    )
    instant_booking: bool
    cancellation_policy: str = Field(description="flexible, moderate or strict.")
    cancellation_terms: CancellationTermsOut = Field(
        description="The terms of the policy: what a booking made now is held to."
    )
    is_active: bool
    vendor: VendorRef
    category: CategoryRef

    @staticmethod
    def resolve_price_display(obj) -> str:
        return price_description(obj)

    @staticmethod
    def resolve_booking_lengths(obj) -> list[int]:
        return obj.booking_lengths()

    @staticmethod
    def resolve_cancellation_terms(obj) -> dict:
        return cancellation_terms_out(cancellation_terms(obj.cancellation_policy))


class ServicePage(PageOut):
    results: list[ServiceOut]


class CategoryPage(PageOut):
    results: list[CategoryOut]


class SearchQuery(PageQuery):
    q: str = Field(default="", max_length=200)
    category_id: ObjectId | None = None
    pricing_model: Literal["fixed", "hourly", "quote"] | None = None
    min_price_minor: int | None = Field(default=None, ge=0)
    max_price_minor: int | None = Field(default=None, ge=0, description="Not below min_price_minor.")


class SlotsQuery(Schema):
    from_: IsoDate | None = Field(
        default=None, alias="from", description="First day, in the time zone `tz`. Default: today there."
    )
    to: IsoDate | None = Field(
        default=None,
        description=f"Last day, included, in `tz`. Default: 6 days after `from`. At most {SLOT_WINDOW_MAX_DAYS} "
        "days from `from` to `to`; `to` before `from` or a longer window is refused with 400 `validation_failed`.",
    )
    tz: str | None = Field(
        default=None,
        max_length=64,
        description="IANA time zone (e.g. Europe/Paris) the days are read in and the slots given in. Default: the "
        "organizer's. An unknown zone is refused with 400 `validation_failed`.",
    )
    duration_minutes: int | None = Field(
        default=None,
        ge=SERVICE_DURATION_MIN_MINUTES,
        le=HOURLY_BOOKING_MAX_MINUTES,
        multiple_of=SERVICE_DURATION_STEP_MINUTES,
        description="Hourly services: booking length (one the service allows; another is refused with 400 "
        "`validation_failed`).",
    )


class SlotsOut(Schema):
    service_id: int
    time_zone: str = Field(description="The zone the days were read in and the slots are written in (`tz`).")
    organizer_time_zone: str = Field(description="The organizer's zone: their hours and days off are in it.")
    duration_minutes: int
    from_: date = Field(alias="from")
    to: date
    slots: list[datetime] = Field(
        description="Bookable start times, in time order, with the offset of `time_zone`; each is accepted by "
        "POST /api/v1/bookings until someone else takes it."
    )


@router.post("/services", response={201: ServiceOut}, auth=jwt_auth)
@raises(ValidationFailed, NotAVendor, VendorNotVerified)
def create_service(request, payload: ServiceIn):
    """Verified organizers only: publish a service in a category."""
    return Status(201, service_create(user=request.auth, **payload.dict()))


@router.get("/services/mine", response={200: ServicePage}, auth=jwt_auth)
@raises(NoVendorProfile)
def my_services(request, page: Query[PageQuery]):
    """Your own services, published or not, by title."""
    vendor = vendor_for_user(user=request.auth)
    if vendor is None:
        raise NoVendorProfile("You have no organizer profile yet.")
    return paginate(request, service_list_owned(vendor=vendor).select_related("vendor"), page)


@router.get("/services/{service_id}", response={200: ServiceOut})
@raises(NotFound)
def get_service(request, service_id: ObjectId):
    service = service_get_public(service_id=service_id)
    if service is None:
        raise NotFound("Service not found.")
    return service


@router.patch("/services/{service_id}", response={200: ServiceOut}, auth=jwt_auth)
@raises(ValidationFailed, NotFound, NotAVendor)
def update_service(request, service_id: ObjectId, payload: ServicePatch):
    """Edit one of your services. Existing bookings keep their price and their cancellation terms."""
    changes = payload.dict(exclude_unset=True)
    if any(value is None for value in changes.values()):
        raise ValidationFailed("Fields cannot be set to null; leave out what you do not change.")
    return service_update(user=request.auth, service_id=service_id, **changes)


@router.get("/services/{service_id}/slots", response={200: SlotsOut}, by_alias=True)
@raises(NotFound, ValidationFailed)
def service_slots(request, service_id: ObjectId, filters: Query[SlotsQuery]):
    """Bookable start times of a service from the organizer's hours and booking rules, minus their bookings
    (with buffers) and the busy times of their own calendars, on the days `from`..`to` of `tz`."""
    service = service_get_public(service_id=service_id)
    if service is None:
        raise NotFound("Service not found.")
    found = bookings.service_slots(
        service=service,
        first_day=filters.from_,
        last_day=filters.to,
        time_zone=filters.tz,
        duration_minutes=filters.duration_minutes,
    )
    return {
        "service_id": service.pk,
        "time_zone": found.time_zone,
        "organizer_time_zone": found.organizer_time_zone,
        "duration_minutes": found.duration_minutes,
        "from": found.first_day,
        "to": found.last_day,
        "slots": found.slots,
    }


@router.get("/search", response={200: ServicePage}, throttle=[search_throttle])
@raises(ValidationFailed)
def search(request, filters: Query[SearchQuery]):
    """Search published services by text, category, pricing model and price range."""
    if (
        filters.min_price_minor is not None
        and filters.max_price_minor is not None
        and filters.min_price_minor > filters.max_price_minor
    ):
        raise ValidationFailed("min_price_minor cannot be above max_price_minor.", field="min_price_minor")
    results = service_search(
        query=filters.q,
        category_id=filters.category_id,
        pricing_model=filters.pricing_model,
        min_price_minor=filters.min_price_minor,
        max_price_minor=filters.max_price_minor,
    )
    queryset = Service.objects.select_related("vendor", "category")
    return paginate(request, results, filters, hydrate=lambda hits: service_list_hydrated(hits, queryset=queryset))


@router.get("/categories", response={200: CategoryPage})
def categories(request, page: Query[PageQuery]):
    """The active categories, in the order the storefront shows them."""
    return paginate(request, category_list().select_related("page"), page)
