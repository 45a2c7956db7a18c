"""Writes for vendors: profile, verification, the calendar feed's secret address."""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.accounts.permissions import Perm
from marketplace.accounts.policy import require_permission
from marketplace.core.audit import audit_log
from marketplace.core.db import unit_of_work
from marketplace.core.errors import InvalidTransition, NotFound, ValidationFailed
from marketplace.core.jobs import enqueue
from marketplace.core.places import resolve_place
from marketplace.core.text import unique_slug
from marketplace.core.validation import clean_text, require_text, validate_time_zone
from marketplace.vendors.errors import NotAVendor

from .models import (
    CALENDAR_FEED_TOKEN_BYTES,
    DECISION_STATUS,
    REASON_OPTIONAL,
    VERIFICATION_DECISIONS,
    Vendor,
    VendorProfile,
    VerificationDecision,
    VerificationStatus,
)


def _coordinate(value: Any, *, field: str, limit: int) -> Decimal:
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed(f"{field} must be a number.", field=field) from None
    if not -limit <= number <= limit:
        raise ValidationFailed(f"{field} must be between -{limit} and {limit}.", field=field)
    return number


def _validate_polygon(geojson: Any) -> dict | None:
    """Accept a GeoJSON Polygon or MultiPolygon with closed rings of [lon, lat] pairs."""
    if geojson in (None, {}):
        return None
    error = ValidationFailed(
        "service_area_geojson must be a GeoJSON Polygon or MultiPolygon of closed rings of [longitude, latitude].",
        field="service_area_geojson",
    )
    if not isinstance(geojson, dict) or geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise error
    polygons = [geojson.get("coordinates")] if geojson["type"] == "Polygon" else geojson.get("coordinates")
    if not isinstance(polygons, list) or not polygons:
        raise error
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise error
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4 or ring[0] != ring[-1]:
                raise error
            for point in ring:
                if (
                    not isinstance(point, list)
                    or len(point) != 2
                    or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in point)
                    or not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90)
                ):
                    raise error
    return {"type": geojson["type"], "coordinates": geojson["coordinates"]}


def vendor_profile_upsert(
    *,
    user: User,
    business_name: str,
    city: str,
    time_zone: str,
    place: str = "",
    latitude: Any = None,
    longitude: Any = None,
    tagline: str = "",
    bio: str = "",
    service_radius_km: int = 25,
    service_area_geojson: dict | None = None,
    phone: str = "",
    website: str = "",
    years_in_business: int | None = None,
    certifications: list[str] | None = None,
) -> tuple[Vendor, bool]:
    """Create or update the signed-in organizer's vendor profile.

    The centre of the service area is a ``place`` the organizer names (a ZIP code or a city,
    resolved offline by ``core.places.resolve_place``). A latitude and longitude are still
    taken instead when no place is given (API clients of v1, the demo data).

    A new profile waits for verification. A rejected vendor who corrects the profile
    goes back into the queue; a verified one stays verified.
    """
    if not user.is_vendor:
        raise NotAVendor("Only organizer accounts have a vendor profile.")
    business_name = require_text(business_name, field="business_name", label="Business name", max_length=120)
    city = require_text(city, field="city", label="City", max_length=120)
    if (place or "").strip() or latitude is None or longitude is None:
        centre = resolve_place(place, field="place")
        place = centre.name
        lat = _coordinate(centre.latitude, field="place", limit=90)
        lon = _coordinate(centre.longitude, field="place", limit=180)
    else:
        place = ""
        lat = _coordinate(latitude, field="latitude", limit=90)
        lon = _coordinate(longitude, field="longitude", limit=180)
    validate_time_zone(time_zone)
    if not 1 <= int(service_radius_km) <= 500:
        raise ValidationFailed("service_radius_km must be between 1 and 500.", field="service_radius_km")
    if years_in_business is not None and not 0 <= years_in_business <= 100:
        raise ValidationFailed("years_in_business must be between 0 and 100.", field="years_in_business")
    certifications = [c.strip() for c in (certifications or []) if c and c.strip()]
    if any(len(c) > 120 for c in certifications) or len(certifications) > 20:
        raise ValidationFailed("Up to 20 certifications of at most 120 characters each.", field="certifications")
    if len(tagline or "") > 160:
        raise ValidationFailed("Tagline must be at most 160 characters.", field="tagline")
    polygon = _validate_polygon(service_area_geojson)

    values = {
        "business_name": business_name,
        "city": city,
        "service_area_place": place,
        "latitude": lat,
        "longitude": lon,
        "time_zone": time_zone,
        "tagline": (tagline or "").strip(),
        "bio": (bio or "").strip(),
        "service_radius_km": int(service_radius_km),
        "service_area_geojson": polygon,
    }
    profile_values = {
        "phone": (phone or "").strip(),
        "website": (website or "").strip(),
        "years_in_business": years_in_business,
        "certifications": certifications,
    }
    with transaction.atomic():
        vendor = Vendor.objects.select_for_update().filter(user=user).first()
        created = vendor is None
        if created:
            slug = unique_slug(business_name, exists=lambda s: Vendor.objects.filter(slug=s).exists())
            vendor = Vendor.objects.create(user=user, slug=slug, **values)
            VendorProfile.objects.create(vendor=vendor, **profile_values)
            audit_log(actor=user, action="vendor.profile_created", target=vendor)
        else:
            for name, value in values.items():
                setattr(vendor, name, value)
            resubmitted = vendor.verification_status == VerificationStatus.REJECTED
            if resubmitted:
                vendor.verification_status = VerificationStatus.PENDING
            vendor.save()
            VendorProfile.objects.update_or_create(vendor=vendor, defaults=profile_values)
            audit_log(
                actor=user,
                action="vendor.profile_resubmitted" if resubmitted else "vendor.profile_updated",
                target=vendor,
            )
            # Services are found by their organizer's name, city and area (and a resubmission unlists them).
            enqueue("marketplace.catalog.tasks.service_reindex", vendor_id=vendor.pk)
    return vendor, created


REASON_MAX_LENGTH = 2000


def vendor_verify(*, admin: User, vendor_id: int, decision: str, reason: str = "") -> Vendor:
    """An admin's verification decision (``VerificationDecision``): verify, reject, suspend or reinstate.

    Each decision is allowed only from the statuses in ``VERIFICATION_DECISIONS``, is
    audited as ``vendor.<decision>`` with its reason, and is emailed to the organizer with
    it (``notifications.tasks.send_vendor_notification``). Every decision needs a reason
    except the first verification, which takes an optional note. A reinstatement keeps the
    organizer's first ``verified_at`` (how long they have been with us).

    A suspension also queues ``bookings.tasks.bookings_close_for_suspended_vendor``, which
    applies ``bookings.policy.SUSPENSION_RULE`` to the organizer's bookings: the booking
    workflow sits above this app, so it is told through a job, never imported.
    """
    require_permission(admin, Perm.VERIFY_ORGANIZERS, to="verify organizers")
    if decision not in VerificationDecision.values:
        raise ValidationFailed(f"decision must be one of: {', '.join(VerificationDecision.values)}.", field="decision")
    decision = VerificationDecision(decision)
    reason = clean_text(reason, field="reason", label="The reason", max_length=REASON_MAX_LENGTH, multiline=True)
    if decision not in REASON_OPTIONAL and not reason:
        raise ValidationFailed(
            f"A reason is required to {decision.label.lower()} an organizer: it is emailed to them.", field="reason"
        )
    with unit_of_work():
        vendor = Vendor.objects.select_for_update().filter(pk=vendor_id).first()
        if vendor is None:
            raise NotFound("Organizer not found.")
        previous = vendor.verification_status
        if decision not in VERIFICATION_DECISIONS[previous]:
            status = vendor.get_verification_status_display().lower()
            hint = ""
            if decision == VerificationDecision.VERIFIED and previous == VerificationStatus.SUSPENDED:
                hint = " Reinstate them instead, with a reason."
            raise InvalidTransition(f"An organizer who is {status} cannot be {decision.value}.{hint}")
        vendor.verification_status = DECISION_STATUS[decision]
        vendor.verification_reason = reason
        if decision == VerificationDecision.VERIFIED:
            vendor.verified_at = timezone.now()
        vendor.save(update_fields=["verification_status", "verification_reason", "verified_at", "updated_at"])
        decision_entry = audit_log(
            actor=admin,
            action=f"vendor.{decision.value}",
            target=vendor,
            reason=reason,
            data={"from": previous, "to": vendor.verification_status},
        )
        # One notification event per decision (the audit entry names it).
        enqueue("marketplace.notifications.tasks.send_vendor_notification", vendor.pk, decision_entry.pk)
        # Whether a vendor's services are found depends on the vendor's status. The catalog
        # sits above this app, so it is told through a job rather than imported.
        enqueue("marketplace.catalog.tasks.service_reindex", vendor_id=vendor.pk)
        if decision == VerificationDecision.SUSPENDED:
            enqueue("marketplace.bookings.tasks.bookings_close_for_suspended_vendor", vendor.pk, decision_entry.pk)
    return vendor


def _own_vendor_locked(vendor_user: User) -> Vendor:
    vendor = Vendor.objects.select_for_update().filter(user=vendor_user).first() if vendor_user.is_vendor else None
    if vendor is None:
        raise NotAVendor("Only organizers with a profile have a calendar feed.")
    return vendor


def vendor_calendar_feed_reset(*, vendor_user: User) -> Vendor:
    """Give the organizer a new secret calendar feed address; the previous one, if any, stops working at once.

    Audited ``vendor.calendar_feed_created`` the first time, ``vendor.calendar_feed_reset`` after
    (the entry never holds the token itself).
    """
    with unit_of_work():
        vendor = _own_vendor_locked(vendor_user)
        had_feed = vendor.calendar_feed_token is not None
        vendor.calendar_feed_token = secrets.token_urlsafe(CALENDAR_FEED_TOKEN_BYTES)
        vendor.calendar_feed_token_created_at = timezone.now()
        vendor.save(update_fields=["calendar_feed_token", "calendar_feed_token_created_at", "updated_at"])
        action = "vendor.calendar_feed_reset" if had_feed else "vendor.calendar_feed_created"
        audit_log(actor=vendor_user, action=action, target=vendor)
    return vendor


def vendor_calendar_feed_turn_off(*, vendor_user: User) -> Vendor:
    """Revoke the organizer's calendar feed address without a new one. Safe to call twice (audited once)."""
    with unit_of_work():
        vendor = _own_vendor_locked(vendor_user)
        if vendor.calendar_feed_token is None:
            return vendor
        vendor.calendar_feed_token = None
        vendor.calendar_feed_token_created_at = None
        vendor.save(update_fields=["calendar_feed_token", "calendar_feed_token_created_at", "updated_at"])
        audit_log(actor=vendor_user, action="vendor.calendar_feed_turned_off", target=vendor)
    return vendor
