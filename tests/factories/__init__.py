"""factory_boy factories for the domain models, exposed as pytest fixtures in conftest.py."""

from datetime import time

import factory
from django.conf import settings
from django.utils.text import slugify

from marketplace.accounts.models import Role, User
from marketplace.availability.models import AvailabilityRule
from marketplace.catalog.models import Category, PricingModel, Service
from marketplace.payments.gateways.local import local_gateway_account_ready
from marketplace.vendors.models import Vendor, VendorProfile, VerificationStatus

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.CUSTOMER
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(UserFactory):
    role = Role.CUSTOMER


class VendorUserFactory(UserFactory):
    role = Role.VENDOR


class AdminFactory(UserFactory):
    role = Role.ADMIN
    is_staff = True
    is_superuser = True


class VendorFactory(factory.django.DjangoModelFactory):
    """A verified organizer in New York with a profile; add hours with ``with_weekly_hours``."""

    class Meta:
        model = Vendor
        skip_postgeneration_save = True

    user = factory.SubFactory(VendorUserFactory)
    business_name = factory.Sequence(lambda n: f"Calm Spaces {n}")
    slug = factory.Sequence(lambda n: f"calm-spaces-{n}")
    city = "Brooklyn, NY"
    latitude = "40.678200"
    longitude = "-73.944200"
    time_zone = "America/New_York"
    verification_status = VerificationStatus.VERIFIED
    profile = factory.RelatedFactory("tests.factories.VendorProfileFactory", factory_related_name="vendor")


class VendorProfileFactory(factory.django.DjangoModelFactory):
    """A profile with a local payout account through onboarding (payouts enabled), so payouts go out.

    ``stripe_account_id=""`` for an organizer without a payout account (their payouts wait).
    """

    class Meta:
        model = VendorProfile

    phone = "+1 718 555 0100"
    stripe_account_id = factory.LazyFunction(lambda: local_gateway_account_ready().reference)
    payouts_enabled = factory.LazyAttribute(lambda profile: bool(profile.stripe_account_id))
    payout_details_submitted = factory.LazyAttribute(lambda profile: bool(profile.stripe_account_id))


def with_weekly_hours(vendor: Vendor, start: time = time(8, 0), end: time = time(20, 0)) -> Vendor:
    """Open every day of the week between start and end, vendor-local time."""
    AvailabilityRule.objects.bulk_create(
        AvailabilityRule(vendor=vendor, weekday=day, start_time=start, end_time=end) for day in range(7)
    )
    return vendor


def make_category(title: str = "Home decluttering", commission_bps: int | None = None) -> Category:
    """A domain category and the live page that presents it (reachable as ``category.page``)."""
    from storefront.models import CategoryIndexPage, CategoryPage

    existing = Category.objects.filter(name=title).first()
    if existing:
        return existing
    category = Category.objects.create(name=title, slug=slugify(title), commission_bps=commission_bps)
    page = CategoryPage(title=title, summary=f"{title} by vetted organizers.", category=category)
    CategoryIndexPage.objects.get().add_child(instance=page)
    return category


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    vendor = factory.SubFactory(VendorFactory)
    category = factory.LazyFunction(make_category)
    title = factory.Sequence(lambda n: f"Whole-home declutter {n}")
    slug = factory.Sequence(lambda n: f"whole-home-declutter-{n}")
    summary = "Room-by-room decluttering with donation drop-off."
    pricing_model = PricingModel.FIXED
    base_price_minor = 30000
    currency = settings.MARKETPLACE_CURRENCY
    duration_minutes = 180
    instant_booking = True
