from django.conf import settings
from django.db import models
from django.db.models import Q
from wagtail.search import index

from marketplace.core.models import TimeStampedModel
from marketplace.core.money import Money


class PricingModel(models.TextChoices):
    FIXED = "fixed", "Fixed price"  # one price for the job
    HOURLY = "hourly", "Hourly rate"  # base price per hour x booked hours
    QUOTE = "quote", "On quote"  # the organizer quotes after reading the request


class Service(index.Indexed, TimeStampedModel):
    """Something a vendor offers and a customer can book.

    A service belongs to a category, which is a Wagtail page (storefront.CategoryPage)
    so marketing can edit it; the foreign key names the model by string, so no
    domain code imports the storefront.
    """

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="services")
    category = models.ForeignKey("storefront.CategoryPage", on_delete=models.PROTECT, related_name="services")
    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140)
    summary = models.CharField(max_length=240, blank=True)
    description = models.TextField(blank=True)
    pricing_model = models.CharField(max_length=8, choices=PricingModel.choices)
    # Fixed: the price. Hourly: the price per hour. Quote: an optional "from" price (0 = none).
    base_price_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, default=settings.MARKETPLACE_CURRENCY)
    # Fixed and quote: the expected length. Hourly: the minimum booking.
    duration_minutes = models.PositiveIntegerField()
    # Instant booking confirms a paid request without waiting for the vendor. Never for quotes.
    instant_booking = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)

    search_fields = [
        index.SearchField("title", boost=3),
        index.AutocompleteField("title"),
        index.SearchField("summary", boost=2),
        index.SearchField("description"),
        index.RelatedFields(
            "vendor",
            [
                index.SearchField("business_name", boost=2),
                index.SearchField("city"),
                index.FilterField("verification_status"),
            ],
        ),
        index.RelatedFields("category", [index.SearchField("title", boost=2)]),
        index.FilterField("is_active"),
        index.FilterField("pricing_model"),
        index.FilterField("category_id"),
        index.FilterField("vendor_id"),
        index.FilterField("base_price_minor"),
        index.FilterField("created_at"),
    ]

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(base_price_minor__gte=0), name="service_price_non_negative"),
            models.CheckConstraint(
                condition=Q(pricing_model="quote") | Q(base_price_minor__gt=0), name="service_priced_unless_quote"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=15, duration_minutes__lte=16 * 60), name="service_duration_range"
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
        return self.is_active and self.vendor.is_verified
