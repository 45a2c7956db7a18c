"""A service's cancellation policy: one of the presets, set by its organizer; bookings keep their own copy."""

import pytest

from marketplace.catalog.models import Service
from marketplace.catalog.services import service_create, service_update
from marketplace.core.errors import ValidationFailed
from marketplace.core.models import AuditLogEntry
from tests.conftest import local_slot
from tests.factories.bookings import request_booking
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

STRICT_TERMS = {"policy": "strict", "refund_tiers": [[168, 100], [72, 50], [0, 0]], "reschedule_hours": 72}
FLEXIBLE_TERMS = {"policy": "flexible", "refund_tiers": [[24, 100], [0, 50]], "reschedule_hours": 12}


def _create(vendor, category, **changes) -> Service:
    values = {
        "user": vendor.user,
        "category_id": category.pk,
        "title": "Closet reset",
        "pricing_model": "fixed",
        "base_price_minor": 20000,
        "duration_minutes": 120,
    }
    return service_create(**{**values, **changes})


def test_a_new_service_gets_the_moderate_policy_unless_the_organizer_picks_one(vendor, category):
    assert _create(vendor, category).cancellation_policy == "moderate"
    assert _create(vendor, category, cancellation_policy="strict").cancellation_policy == "strict"


def test_an_unknown_policy_is_refused_and_nothing_is_published(vendor, category):
    before = data_snapshot()

    with pytest.raises(ValidationFailed) as refused:
        _create(vendor, category, cancellation_policy="lenient")

    assert (refused.value.field, refused.value.message) == (
        "cancellation_policy",
        "cancellation_policy must be one of: flexible, moderate, strict.",
    )
    assert changed_tables(before, data_snapshot()) == []


def test_an_unknown_policy_in_an_edit_changes_nothing(service):
    before = data_snapshot()

    with pytest.raises(ValidationFailed) as refused:
        service_update(user=service.vendor.user, service_id=service.pk, title="New title", cancellation_policy="")

    assert refused.value.field == "cancellation_policy"
    assert changed_tables(before, data_snapshot()) == []


def test_changing_the_policy_never_changes_a_booking_already_made(customer, service):
    # given a booking made under the strict policy
    service_update(user=service.vendor.user, service_id=service.pk, cancellation_policy="strict")
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    # when the organizer moves the service to the flexible policy
    service_update(user=service.vendor.user, service_id=service.pk, cancellation_policy="flexible")

    # then the booking keeps the strict terms, and the next booking gets the flexible ones
    booking.refresh_from_db()
    assert booking.cancellation_terms == STRICT_TERMS
    later = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=4))
    assert later.cancellation_terms == FLEXIBLE_TERMS
    assert AuditLogEntry.objects.filter(action="service.updated").last().data == {"fields": ["cancellation_policy"]}
