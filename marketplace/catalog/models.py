from django.conf import settings
from django.db import models
from django.db.models import Q

from marketplace.core.errors import ValidationFailed
from marketplace.core.models import TimeStampedModel
from marketplace.core.money import Money

from .cancellation import DEFAULT_POLICY, CancellationPolicy
from .limits import (
    CATEGORY_NAME_MAX_LENGTH,
    HOURLY_BOOKING_MAX_MINUTES,
    HOURLY_BOOKING_STEP_MINUTES,
    SERVICE_DURATION_MAX_MINUTES,
    SERVICE_DURATION_MIN_MINUTES,
    SERVICE_TITLE_MAX_LENGTH,
    hourly_shortest_booking,
)


def marketplace_currency() -> str:
    """The default currency of a new service: the marketplace's one currency (MARKETPLACE_CURRENCY).

    A callable, so the migrations do not freeze the value the setting had when they were made.
    """
    return settings.MARKETPLACE_CURRENCY


class PricingModel(models.TextChoices):
    FIXED = "fixed", "Fixed price"  # one price for the job
    HOURLY = "hourly", "Hourly rate"  # base price per hour x booked hours
    QUOTE = "quote", "On quote"  # the organizer quotes after reading the request


class Category(TimeStampedModel):
    """A kind of organizing work (decluttering, moving, closets...). Every service belongs to one.

    The domain's record of it: its name, its place in lists, whether it takes new
    services, and its commission override. Marketing presents a category on a Wagtail
    page (``storefront.CategoryPage``, reachable as ``category.page``) that points at it
    one to one, as a portfolio page points at its vendor: content never holds a money
    rule, and no domain code reads a page.
    """

    name = models.CharField(max_length=CATEGORY_NAME_MAX_LENGTH, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    # Commission in basis points for services in this category; None: the platform default.
    # A vendor's own override wins over it (marketplace.payments.services.commission_bps_for).
    commission_bps = models.PositiveIntegerField(null=True, blank=True)
    # The least the platform keeps of a booking in this category, in minor units; None: the
    # platform's PLATFORM_MINIMUM_FEE_MINOR. Never more than the booking's price.
    minimum_fee_minor = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0, help_text="Lower comes first in lists and menus.")
    # An inactive category takes no new services and is offered in no list or filter;
    # the services already in it stay bookable.
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name", "id"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_bps__isnull=True) | Q(commission_bps__lte=10000),
                name="category_commission_bps_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Service(TimeStampedModel):
    """Something a vendor offers and a customer can book, in one category."""

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="services")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="services")
    title = models.CharField(max_length=SERVICE_TITLE_MAX_LENGTH)
    slug = models.SlugField(max_length=140)
    summary = models.CharField(max_length=240, blank=True)
    description = models.TextField(blank=True)
    pricing_model = models.CharField(max_length=8, choices=PricingModel.choices)
    # Fixed: the price. Hourly: the price per hour. Quote: an optional "from" price (0 = none).
    base_price_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, default=marketplace_currency)
    # Fixed and quote: the expected length. Hourly: the minimum booking.
    duration_minutes = models.PositiveIntegerField()
    # Hourly only: the lengths a customer may choose, in minutes, ascending (catalog.services
    # checks them). Empty: any multiple of the hourly step from the minimum to the maximum.
    allowed_durations = models.JSONField(default=list, blank=True)
    # Instant booking confirms a paid request without waiting for the vendor. Never for quotes.
    instant_booking = models.BooleanField(default=True)
    # Copied onto each booking when it is made (Booking.cancellation_terms): see catalog.cancellation.
    cancellation_policy = models.CharField(max_length=16, choices=CancellationPolicy.choices, default=DEFAULT_POLICY)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(base_price_minor__gte=0), name="service_price_non_negative"),
            models.CheckConstraint(
                condition=Q(pricing_model="quote") | Q(base_price_minor__gt=0), name="service_priced_unless_quote"
            ),
            models.CheckConstraint(
                condition=Q(
                    duration_minutes__gte=SERVICE_DURATION_MIN_MINUTES,
                    duration_minutes__lte=SERVICE_DURATION_MAX_MINUTES,
                ),
                name="service_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(pricing_model__in=PricingModel.values), name="service_pricing_model_valid"
            ),
            models.UniqueConstraint(fields=["vendor", "slug"], name="service_slug_unique_per_vendor"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def base_price(self) -> Money:
        return Money(self.base_price_minor, self.currency)

    @property
    def is_quote(self) -> bool:
        return self.pricing_model == PricingModel.QUOTE

    @property
    def is_bookable(self) -> bool:
        return self.is_active and self.vendor.is_listed

    def booking_lengths(self) -> list[int]:
        """The lengths, in minutes, a booking of this service may have; the first is the default.

        Fixed and quote services have one set length. An hourly service is booked for one of
        the lengths its organizer allows, or, when they chose none, for a multiple of the
        hourly step from its minimum (rounded up to the step) to the maximum.
        """
        if self.pricing_model != PricingModel.HOURLY:
            return [self.duration_minutes]
        if self.allowed_durations:
            return sorted(self.allowed_durations)
        shortest = hourly_shortest_booking(self.duration_minutes)
        return list(range(shortest, HOURLY_BOOKING_MAX_MINUTES + 1, HOURLY_BOOKING_STEP_MINUTES))

    def booking_length(self, requested: int | None = None) -> int:
        """The length of a booking that asks for ``requested`` minutes (None: the default), or a clear refusal."""
        lengths = self.booking_lengths()
        if requested is None:
            return lengths[0]
        if requested in lengths:
            return requested
        if len(lengths) == 1:
            raise ValidationFailed(f"This service has a set length of {lengths[0]} minutes.", field="duration_minutes")
        if self.allowed_durations:
            offered = ", ".join(str(minutes) for minutes in lengths[:-1]) + f" or {lengths[-1]}"
            raise ValidationFailed(f"This service can be booked for {offered} minutes.", field="duration_minutes")
        raise ValidationFailed(
            f"duration_minutes must be a multiple of {HOURLY_BOOKING_STEP_MINUTES} "
            f"between {lengths[0]} and {lengths[-1]}.",
            field="duration_minutes",
        )


class SearchEntry(models.Model):
    """What the database search engine finds a public service by (``catalog.search.database``).

    One row per listed, active service, written only by ``catalog.search.documents`` from the
    service, its organizer, its category and the organizer's reviews, so a search reads one
    table and no join. Services, organizers and reviews stay the truth: a hit is read again
    through ``service_list_public`` before anyone sees it, so an entry a moment out of date
    never shows an unlisted service.

    On PostgreSQL the table has three more columns, generated from these ones by the database
    (migration 0008): ``search_vector`` (a tsvector of the four texts, weighted A to D, in
    English, with a GIN index), ``area`` (the service area as a PostGIS ``geography`` polygon,
    with a GiST index) and ``centre`` (the area's centre as a ``geography`` point). On SQLite an
    FTS5 table ``catalog_searchentry_fts`` holds the texts, and the bounding box columns serve
    the area prefilter.
    """

    service = models.OneToOneField(Service, on_delete=models.CASCADE, primary_key=True, related_name="search_entry")
    vendor_id = models.BigIntegerField(db_index=True)
    category_id = models.BigIntegerField()
    pricing_model = models.CharField(max_length=8)
    price_minor = models.BigIntegerField()
    rating_average = models.FloatField(null=True)
    rating_count = models.PositiveIntegerField(default=0)
    # The texts, by weight: A the title; B the category and the organizer's name; C the summary;
    # D the description and the organizer's city.
    text_a = models.TextField()
    text_b = models.TextField()
    text_c = models.TextField()
    text_d = models.TextField()
    # The service area: its centre, and the polygon that bounds it (the organizer's own
    # polygon, or the circle of their radius as a polygon of many sides), with its box.
    latitude = models.FloatField()
    longitude = models.FloatField()
    area = models.JSONField()
    min_latitude = models.FloatField()
    max_latitude = models.FloatField()
    min_longitude = models.FloatField()
    max_longitude = models.FloatField()
    created_at = models.DateTimeField()
    # The first bookable start of the service (None: none within the horizon) as last worked
    # out at next_available_checked_at; refreshed when older than SEARCH_NEXT_AVAILABLE_TTL.
    next_available_at = models.DateTimeField(null=True)
    next_available_checked_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["category_id", "price_minor"], name="search_category_price"),
            models.Index(fields=["price_minor"], name="search_price"),
            models.Index(fields=["next_available_at"], name="search_next_available"),
            models.Index(
                fields=["min_latitude", "max_latitude", "min_longitude", "max_longitude"], name="search_area_box"
            ),
        ]

    def __str__(self) -> str:
        return self.text_a


class SearchWord(models.Model):
    """A word of the services' titles, categories and summaries: what a misspelt word is corrected to.

    On PostgreSQL a trigram index (pg_trgm) finds the nearest word to one that matches nothing.
    Words are added as services are indexed and never removed: a word no longer used only
    corrects a typo to a word that finds nothing, which changes no result.
    """

    word = models.CharField(max_length=64, primary_key=True)

    def __str__(self) -> str:
        return self.word
