from datetime import date, datetime
from typing import Literal

from ninja import Query, Router, Schema, Status
from pydantic import Field

from marketplace.bookings import selectors as bookings
from marketplace.bookings.search import service_find
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
from marketplace.catalog.search.criteria import QUERY_MAX_LENGTH, search_criteria
from marketplace.catalog.selectors import (
    category_list,
    price_description,
    service_autocomplete,
    service_get_public,
    service_list_owned,
)
from marketplace.catalog.services import service_create, service_update
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.places import PLACE_MAX_LENGTH
from marketplace.vendors.errors import NotAVendor, NoVendorProfile, VendorNotVerified
from marketplace.vendors.selectors import vendor_for_user

from ..contract import raises
from ..pagination import PageOut, PageQuery, page_envelope, paginate
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

BOOKING_HORIZON_HELP = "the booking horizon (BOOKING_HORIZON_DAYS days)"
NEXT_AVAILABLE_TTL_HELP = "SEARCH_NEXT_AVAILABLE_TTL_SECONDS"

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
    q: str = Field(
        default="", max_length=QUERY_MAX_LENGTH, description="Words to look for; any may match, more rank higher."
    )
    category_id: ObjectId | None = Field(default=None, description="An active category's id (GET /catalog/categories).")
    pricing_model: Literal["fixed", "hourly", "quote"] | None = None
    min_price_minor: int | None = Field(default=None, ge=0, description="Lowest price, in minor units.")
    max_price_minor: int | None = Field(
        default=None, ge=0, description="Highest price, in minor units; not below min_price_minor."
    )
    min_rating: float | None = Field(
        default=None, ge=1, le=5, description="Lowest average rating of the organizer, 1 to 5."
    )
    place: str = Field(
        default="",
        max_length=PLACE_MAX_LENGTH,
        description="Where the work is: a US ZIP code or a city with its state (e.g. 11216, Brooklyn, NY). Keeps "
        "only services whose organizer's area covers it. Not with latitude/longitude.",
    )
    latitude: float | None = Field(
        default=None, ge=-90, le=90, description="Where the work is (with longitude), e.g. the browser's location."
    )
    longitude: float | None = Field(default=None, ge=-180, le=180)
    free_on: IsoDate | None = Field(
        default=None,
        description="Keep only services whose organizer has a bookable slot on this date (their local date), "
        f"from today to {BOOKING_HORIZON_HELP} ahead.",
    )
    part_of_day: Literal["morning", "afternoon", "evening"] | None = Field(
        default=None,
        description="With free_on: a slot starting in the morning (before 12:00), "
        "afternoon (12-17) or evening (17-24), organizer's time.",
    )
    sort: Literal["relevance", "price_low", "price_high", "rating", "distance", "soonest"] | None = Field(
        default=None,
        description="relevance (default; without words: nearest, else best rated), price_low, price_high, rating, "
        "distance (needs a place or a location), soonest (earliest next available time).",
    )
    facets: bool = Field(default=False, description="Also count the results by category, pricing model and price band.")


class SearchResultOut(ServiceOut):
    distance_km: float | None = Field(
        description="From the searched place to the centre of the organizer's area; null without a place."
    )
    next_available_at: datetime | None = Field(
        description="The organizer's first bookable start for this service (null: none within their horizon); "
        f"worked out at most {NEXT_AVAILABLE_TTL_HELP} ago."
    )
    free_from: datetime | None = Field(description="With free_on: the first bookable start on that date.")

    @staticmethod
    def resolve_distance_km(obj) -> float | None:
        distance = getattr(obj, "search_distance_m", None)
        return round(distance / 1000, 1) if distance is not None else None

    @staticmethod
    def resolve_free_from(obj) -> datetime | None:
        return getattr(obj, "free_from", None)


class FacetValueOut(Schema):
    value: str = Field(
        description="What to pass back to filter by it (an id, a pricing model, or low-high in minor units)."
    )
    label: str
    count: int


class SearchFacetsOut(Schema):
    categories: list[FacetValueOut]
    pricing_models: list[FacetValueOut]
    price_bands: list[FacetValueOut]


class SearchPage(PageOut):
    results: list[SearchResultOut]
    place: str = Field(description="The place searched around, as resolved (empty without one).")
    corrections: dict[str, str] = Field(description="Misspelt words and the word searched for beside each.")
    facets: SearchFacetsOut | None = Field(
        description="With facets=true: counts of the results by each facet (of the first 1,000 when count_exact is "
        "false; with free_on, of the services matching everything but the date: availability is asked per page)."
    )


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


@router.get("/search", response={200: SearchPage}, throttle=[search_throttle])
@raises(ValidationFailed)
def search(request, filters: Query[SearchQuery]):
    """Published services by words, category, pricing model, price, rating, place (within the organizer's
    area) and availability on a date, in the order asked for. A broad search stops counting at a limit:
    `count_exact` is then false and `count` a floor."""
    criteria = search_criteria(
        q=filters.q,
        category_id=filters.category_id,
        pricing_model=filters.pricing_model,
        min_price_minor=filters.min_price_minor,
        max_price_minor=filters.max_price_minor,
        min_rating=filters.min_rating,
        place=filters.place,
        latitude=filters.latitude,
        longitude=filters.longitude,
        free_on=filters.free_on,
        part_of_day=filters.part_of_day,
        sort=filters.sort,
    )
    found = service_find(criteria, page=filters.page, page_size=filters.page_size, with_facets=filters.facets)
    return {
        **page_envelope(request, filters, count=found.total, count_exact=found.total_exact),
        "results": found.services,
        "place": criteria.place_name,
        "corrections": found.corrections,
        "facets": found.facets,
    }


class SuggestionsQuery(Schema):
    q: str = Field(min_length=1, max_length=QUERY_MAX_LENGTH, description="What has been typed so far.")


class SuggestionsOut(Schema):
    suggestions: list[str] = Field(description="Service titles to offer under the search box, at most 8.")


@router.get("/search/suggestions", response={200: SuggestionsOut}, throttle=[search_throttle])
@raises(ValidationFailed)
def search_suggestions(request, filters: Query[SuggestionsQuery]):
    """Titles of published services with words starting as typed: the search box's autocomplete."""
    return {"suggestions": service_autocomplete(filters.q)}


@router.get("/categories", response={200: CategoryPage})
def categories(request, page: Query[PageQuery]):
    """The active categories, in the order the storefront shows them."""
    return paginate(request, category_list().select_related("page"), page)
