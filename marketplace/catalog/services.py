"""Writes for the catalog: categories, and publishing and editing services."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from marketplace.accounts.models import User
from marketplace.accounts.permissions import Perm
from marketplace.accounts.policy import require_permission
from marketplace.core.audit import audit_log
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.jobs import enqueue
from marketplace.core.money import BASIS_POINTS, Money
from marketplace.core.text import unique_slug
from marketplace.core.validation import clean_text, require_text, validate_currency
from marketplace.vendors.errors import NotAVendor, VendorNotVerified
from marketplace.vendors.models import Vendor

from .cancellation import DEFAULT_POLICY, CancellationPolicy
from .limits import (
    CATEGORY_NAME_MAX_LENGTH,
    HOURLY_BOOKING_MAX_MINUTES,
    HOURLY_BOOKING_STEP_MINUTES,
    MAX_PRICE_MINOR,
    SERVICE_DESCRIPTION_MAX_LENGTH,
    SERVICE_DURATION_MAX_MINUTES,
    SERVICE_DURATION_MIN_MINUTES,
    SERVICE_DURATION_STEP_MINUTES,
    SERVICE_SUMMARY_MAX_LENGTH,
    SERVICE_TITLE_MAX_LENGTH,
    hourly_shortest_booking,
)
from .models import Category, PricingModel, Service
from .selectors import category_list

# --- Categories (platform admins) ------------------------------------------------------


def _validate_commission(commission_bps: int | None) -> int | None:
    if commission_bps is not None and (
        isinstance(commission_bps, bool)
        or not isinstance(commission_bps, int)
        or not 0 <= commission_bps <= BASIS_POINTS
    ):
        raise ValidationFailed(
            f"The commission must be a whole number of basis points from 0 to {BASIS_POINTS} (1500 = 15%), or empty.",
            field="commission_bps",
        )
    return commission_bps


def _validate_minimum_fee(minimum_fee_minor: int | None) -> int | None:
    if minimum_fee_minor is not None and (
        isinstance(minimum_fee_minor, bool)
        or not isinstance(minimum_fee_minor, int)
        or not 0 <= minimum_fee_minor <= MAX_PRICE_MINOR
    ):
        currency = settings.MARKETPLACE_CURRENCY
        raise ValidationFailed(
            f"The minimum fee must be a whole number of minor units of {currency} from 0 to {MAX_PRICE_MINOR} "
            f"({Money(MAX_PRICE_MINOR, currency)}), or empty.",
            field="minimum_fee_minor",
        )
    return minimum_fee_minor


def _category_values(*, name: str, commission_bps: int | None, minimum_fee_minor: int | None, position: int) -> dict:
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 10000:
        raise ValidationFailed("The position must be a whole number from 0 to 10000.", field="position")
    return {
        "name": require_text(name, field="name", label="Name", max_length=CATEGORY_NAME_MAX_LENGTH),
        "commission_bps": _validate_commission(commission_bps),
        "minimum_fee_minor": _validate_minimum_fee(minimum_fee_minor),
        "position": position,
    }


def category_create(
    *,
    admin: User,
    name: str,
    commission_bps: int | None = None,
    minimum_fee_minor: int | None = None,
    position: int = 0,
    reason: str = "",
) -> Category:
    """An admin adds a category. Its slug comes from the name and never changes afterwards.

    ``commission_bps`` and ``minimum_fee_minor`` (in minor units of MARKETPLACE_CURRENCY)
    override the platform's; None leaves the platform's in force.
    """
    require_permission(admin, Perm.MANAGE_CATEGORIES, to="change categories")
    values = _category_values(
        name=name, commission_bps=commission_bps, minimum_fee_minor=minimum_fee_minor, position=position
    )
    with transaction.atomic():
        if Category.objects.filter(name__iexact=values["name"]).exists():
            raise ValidationFailed(f"A category named '{values['name']}' already exists.", field="name")
        category = Category.objects.create(
            slug=unique_slug(values["name"], exists=lambda s: Category.objects.filter(slug=s).exists()), **values
        )
        audit_log(
            actor=admin,
            action="category.created",
            target=category,
            reason=reason,
            data={
                "name": category.name,
                "commission_bps": category.commission_bps,
                "minimum_fee_minor": category.minimum_fee_minor,
            },
        )
    return category


# A category's money rules: a change of one is audited on its own, with the old and new value.
MONEY_RULE_AUDIT_ACTIONS = {
    "commission_bps": "category.commission_changed",
    "minimum_fee_minor": "category.minimum_fee_changed",
}


def category_update(
    *,
    admin: User,
    category_id: int,
    name: str,
    commission_bps: int | None,
    minimum_fee_minor: int | None,
    position: int,
    is_active: bool,
    reason: str = "",
) -> Category:
    """An admin edits a category. A new commission or minimum fee applies to payments captured from now on.

    A change of either is audited on its own (``category.commission_changed``,
    ``category.minimum_fee_changed``, with the old and new values), so the money trail
    shows who changed a rate, when and why.
    """
    require_permission(admin, Perm.MANAGE_CATEGORIES, to="change categories")
    values = _category_values(
        name=name, commission_bps=commission_bps, minimum_fee_minor=minimum_fee_minor, position=position
    )
    values["is_active"] = bool(is_active)
    with transaction.atomic():
        category = Category.objects.select_for_update().filter(pk=category_id).first()
        if category is None:
            raise NotFound("Category not found.")
        if Category.objects.filter(name__iexact=values["name"]).exclude(pk=category.pk).exists():
            raise ValidationFailed(f"A category named '{values['name']}' already exists.", field="name")
        changed = {name: value for name, value in values.items() if getattr(category, name) != value}
        if not changed:
            return category
        previous = {field: getattr(category, field) for field in changed}
        for field, value in changed.items():
            setattr(category, field, value)
        category.save(update_fields=[*changed, "updated_at"])
        for field, action in MONEY_RULE_AUDIT_ACTIONS.items():
            if field in changed:
                audit_log(
                    actor=admin,
                    action=action,
                    target=category,
                    reason=reason,
                    data={"from": previous[field], "to": changed[field]},
                )
        others = sorted(set(changed) - set(MONEY_RULE_AUDIT_ACTIONS))
        if others:
            audit_log(
                actor=admin,
                action="category.updated",
                target=category,
                reason=reason,
                data={
                    "fields": others,
                    "from": {field: previous[field] for field in others},
                    "to": {field: changed[field] for field in others},
                },
            )
        if "name" in changed:
            # Services are found by their category's name: refresh their search entries.
            enqueue("marketplace.catalog.tasks.service_reindex", category_id=category.pk)
    return category


# --- Services (organizers) ---------------------------------------------------------------


def _verified_vendor(user: User) -> Vendor:
    vendor = Vendor.objects.filter(user=user).first() if user.is_vendor else None
    if vendor is None:
        raise NotAVendor("Only organizers can publish services.")
    if not vendor.is_verified:
        raise VendorNotVerified("Your organizer profile must be verified before you can publish services.")
    return vendor


def _category(category_id: int) -> Category:
    category = category_list().filter(pk=category_id).first()
    if category is None:
        raise ValidationFailed(f"Category {category_id} does not exist.", field="category_id")
    return category


def _validate_pricing(*, pricing_model: str, base_price_minor: int, duration_minutes: int, currency: str) -> None:
    if pricing_model not in PricingModel.values:
        raise ValidationFailed("pricing_model must be one of: fixed, hourly, quote.", field="pricing_model")
    if not 0 <= base_price_minor <= MAX_PRICE_MINOR:
        raise ValidationFailed(
            f"base_price_minor must be between 0 and {MAX_PRICE_MINOR} "
            f"(minor units of {currency}: at most {Money(MAX_PRICE_MINOR, currency)}).",
            field="base_price_minor",
        )
    if pricing_model != PricingModel.QUOTE and base_price_minor == 0:
        raise ValidationFailed("Fixed and hourly services need a price above zero.", field="base_price_minor")
    if (
        not SERVICE_DURATION_MIN_MINUTES <= duration_minutes <= SERVICE_DURATION_MAX_MINUTES
        or duration_minutes % SERVICE_DURATION_STEP_MINUTES
    ):
        raise ValidationFailed(
            f"duration_minutes must be a multiple of {SERVICE_DURATION_STEP_MINUTES} "
            f"between {SERVICE_DURATION_MIN_MINUTES} and {SERVICE_DURATION_MAX_MINUTES}.",
            field="duration_minutes",
        )


def _clean_allowed_durations(*, pricing_model: str, duration_minutes: int, allowed_durations) -> list[int]:
    """The lengths an hourly service allows, ascending and each once, or a clear refusal.

    Each is a multiple of the hourly step from the service's minimum to the longest booking.
    Only hourly services offer a choice: a fixed or quote service has its one set length.
    """
    if not allowed_durations:
        return []
    if pricing_model != PricingModel.HOURLY:
        raise ValidationFailed(
            "Only hourly services offer a choice of lengths; a fixed or quote service has one set length.",
            field="allowed_durations",
        )
    if not isinstance(allowed_durations, list | tuple) or not all(
        isinstance(minutes, int) and not isinstance(minutes, bool) for minutes in allowed_durations
    ):
        raise ValidationFailed("allowed_durations must be a list of whole minutes.", field="allowed_durations")
    shortest = hourly_shortest_booking(duration_minutes)
    for minutes in allowed_durations:
        if minutes % HOURLY_BOOKING_STEP_MINUTES or not shortest <= minutes <= HOURLY_BOOKING_MAX_MINUTES:
            raise ValidationFailed(
                f"Each allowed length must be a multiple of {HOURLY_BOOKING_STEP_MINUTES} minutes between the "
                f"service's minimum ({shortest}) and {HOURLY_BOOKING_MAX_MINUTES}; {minutes} is not.",
                field="allowed_durations",
            )
    return sorted(set(allowed_durations))


def _validate_cancellation_policy(policy: str) -> str:
    if policy not in CancellationPolicy.values:
        names = ", ".join(CancellationPolicy.values)
        raise ValidationFailed(f"cancellation_policy must be one of: {names}.", field="cancellation_policy")
    return str(policy)


def _clean_texts(changes: dict) -> dict:
    """Check the texts among ``changes`` as they will be stored (see core.validation.clean_text)."""
    if "title" in changes:
        changes["title"] = require_text(
            changes["title"], field="title", label="Title", max_length=SERVICE_TITLE_MAX_LENGTH
        )
    if "summary" in changes:
        changes["summary"] = clean_text(
            changes["summary"], field="summary", label="Summary", max_length=SERVICE_SUMMARY_MAX_LENGTH
        )
    if "description" in changes:
        changes["description"] = clean_text(
            changes["description"],
            field="description",
            label="Description",
            max_length=SERVICE_DESCRIPTION_MAX_LENGTH,
            multiline=True,
        )
    return changes


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
    cancellation_policy: str = DEFAULT_POLICY,
    allowed_durations: list[int] | None = None,
) -> Service:
    """Publish a service. Only a verified organizer may; quotes are never instant."""
    vendor = _verified_vendor(user)
    cancellation_policy = _validate_cancellation_policy(cancellation_policy)
    texts = _clean_texts({"title": title, "summary": summary, "description": description})
    currency = validate_currency(currency or settings.MARKETPLACE_CURRENCY)
    if currency != settings.MARKETPLACE_CURRENCY:
        # One currency per marketplace for now: earnings, reports and payouts are in it.
        raise ValidationFailed(
            f"Services are priced in {settings.MARKETPLACE_CURRENCY} on this marketplace.", field="currency"
        )
    _validate_pricing(
        pricing_model=pricing_model,
        base_price_minor=base_price_minor,
        duration_minutes=duration_minutes,
        currency=currency,
    )
    allowed_durations = _clean_allowed_durations(
        pricing_model=pricing_model, duration_minutes=duration_minutes, allowed_durations=allowed_durations
    )
    category = _category(category_id)
    with transaction.atomic():
        service = Service.objects.create(
            vendor=vendor,
            category=category,
            slug=unique_slug(texts["title"], exists=lambda s: Service.objects.filter(vendor=vendor, slug=s).exists()),
            pricing_model=pricing_model,
            base_price_minor=base_price_minor,
            currency=currency,
            duration_minutes=duration_minutes,
            allowed_durations=allowed_durations,
            instant_booking=instant_booking and pricing_model != PricingModel.QUOTE,
            cancellation_policy=cancellation_policy,
            **texts,
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
    "allowed_durations",
    "instant_booking",
    "cancellation_policy",
    "is_active",
    "category_id",
}


def service_update(*, user: User, service_id: int, **changes) -> Service:
    """Edit one's own service. Bookings already made keep the price and the cancellation terms they were made on."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    vendor = _verified_vendor(user)
    with transaction.atomic():
        service = Service.objects.select_for_update().filter(pk=service_id, vendor=vendor).first()
        if service is None:
            raise NotFound("Service not found.")
        changes = _clean_texts(changes)
        if "cancellation_policy" in changes:
            changes["cancellation_policy"] = _validate_cancellation_policy(changes["cancellation_policy"])
        if "category_id" in changes and changes["category_id"] != service.category_id:
            # Staying in a category that was retired meanwhile is fine; moving into one is not.
            changes["category_id"] = _category(changes["category_id"]).pk
        for name, value in changes.items():
            setattr(service, name, value)
        _validate_pricing(
            pricing_model=service.pricing_model,
            base_price_minor=service.base_price_minor,
            duration_minutes=service.duration_minutes,
            currency=service.currency,
        )
        if service.pricing_model != PricingModel.HOURLY and "allowed_durations" not in changes:
            # Leaving hourly pricing leaves its choice of lengths behind.
            service.allowed_durations = []
        service.allowed_durations = _clean_allowed_durations(
            pricing_model=service.pricing_model,
            duration_minutes=service.duration_minutes,
            allowed_durations=service.allowed_durations,
        )
        if service.pricing_model == PricingModel.QUOTE:
            service.instant_booking = False
        service.save()
        audit_log(actor=user, action="service.updated", target=service, data={"fields": sorted(changes)})
    return service
