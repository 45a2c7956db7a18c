"""Writes for the catalog: publishing and editing services."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from marketplace.accounts.models import User
from marketplace.core.audit import audit_log
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.text import unique_slug
from marketplace.core.validation import require_text, validate_currency
from marketplace.vendors.errors import NotAVendor, VendorNotVerified
from marketplace.vendors.models import Vendor

from .models import PricingModel, Service
from .selectors import category_list

MAX_PRICE_MINOR = 10_000_000  # 100,000.00: anything above is a typo, not a booking
MIN_DURATION, MAX_DURATION = 30, 12 * 60


def _verified_vendor(user: User) -> Vendor:
    vendor = Vendor.objects.filter(user=user).first() if user.is_vendor else None
    if vendor is None:
        raise NotAVendor("Only organizers can publish services.")
    if not vendor.is_verified:
        raise VendorNotVerified("Your organizer profile must be verified before you can publish services.")
    return vendor


def _category(category_id: int):
    category = category_list().filter(pk=category_id).first()
    if category is None:
        raise ValidationFailed(f"Category {category_id} does not exist.", field="category_id")
    return category


def _validate_pricing(*, pricing_model: str, base_price_minor: int, duration_minutes: int) -> None:
    if pricing_model not in PricingModel.values:
        raise ValidationFailed("pricing_model must be one of: fixed, hourly, quote.", field="pricing_model")
    if not 0 <= base_price_minor <= MAX_PRICE_MINOR:
        raise ValidationFailed(
            f"base_price_minor must be between 0 and {MAX_PRICE_MINOR} (minor units, e.g. cents).",
            field="base_price_minor",
        )
    if pricing_model != PricingModel.QUOTE and base_price_minor == 0:
        raise ValidationFailed("Fixed and hourly services need a price above zero.", field="base_price_minor")
    if not MIN_DURATION <= duration_minutes <= MAX_DURATION or duration_minutes % 15:
        raise ValidationFailed(
            f"duration_minutes must be a multiple of 15 between {MIN_DURATION} and {MAX_DURATION}.",
            field="duration_minutes",
        )


def service_create(
    *,
    user: User,
    category_id: int,
    title: str,
    pricing_model: str,
    base_price_minor: int,
    duration_minutes: int,
    summary: str = "",
    description: str = "",
    currency: str | None = None,
    instant_booking: bool = True,
) -> Service:
    """Publish a service. Only a verified organizer may; quotes are never instant."""
    vendor = _verified_vendor(user)
    title = require_text(title, field="title", label="Title", max_length=120)
    if len(summary or "") > 240:
        raise ValidationFailed("Summary must be at most 240 characters.", field="summary")
    currency = validate_currency(currency or settings.MARKETPLACE_CURRENCY)
    if currency != settings.MARKETPLACE_CURRENCY:
        # One currency per marketplace for now: earnings, reports and payouts are in it.
        raise ValidationFailed(
            f"Services are priced in {settings.MARKETPLACE_CURRENCY} on this marketplace.", field="currency"
        )
    _validate_pricing(pricing_model=pricing_model, base_price_minor=base_price_minor, duration_minutes=duration_minutes)
    category = _category(category_id)
    with transaction.atomic():
        service = Service.objects.create(
            vendor=vendor,
            category=category,
            title=title,
            slug=unique_slug(title, exists=lambda s: Service.objects.filter(vendor=vendor, slug=s).exists()),
            summary=(summary or "").strip(),
            description=(description or "").strip(),
            pricing_model=pricing_model,
            base_price_minor=base_price_minor,
            currency=currency,
            duration_minutes=duration_minutes,
            instant_booking=instant_booking and pricing_model != PricingModel.QUOTE,
        )
        audit_log(actor=user, action="service.created", target=service)
    return service


EDITABLE_FIELDS = {
    "title",
    "summary",
    "description",
    "pricing_model",
    "base_price_minor",
    "duration_minutes",
    "instant_booking",
    "is_active",
    "category_id",
}


def service_update(*, user: User, service_id: int, **changes) -> Service:
    """Edit one's own service. Bookings already made keep the price they were made at."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    vendor = _verified_vendor(user)
    with transaction.atomic():
        service = Service.objects.select_for_update().filter(pk=service_id, vendor=vendor).first()
        if service is None:
            raise NotFound("Service not found.")
        if "title" in changes:
            changes["title"] = require_text(changes["title"], field="title", label="Title", max_length=120)
        if "category_id" in changes:
            changes["category_id"] = _category(changes["category_id"]).pk
        for name, value in changes.items():
            setattr(service, name, value)
        _validate_pricing(
            pricing_model=service.pricing_model,
            base_price_minor=service.base_price_minor,
            duration_minutes=service.duration_minutes,
        )
        if service.pricing_model == PricingModel.QUOTE:
            service.instant_booking = False
        service.save()
        audit_log(actor=user, action="service.updated", target=service, data={"fields": sorted(changes)})
    return service
