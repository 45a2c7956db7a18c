"""service_create and service_update: only a verified organizer, only their own services, sane prices."""

import pytest

from marketplace.catalog.models import Service
from marketplace.catalog.services import service_create, service_update
from marketplace.core.errors import NotFound, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def test_editing_keeps_quote_services_off_instant_booking(vendor, category):
    service = service_create(
        user=vendor.user,
        category_id=category.pk,
        title="Closet reset",
        pricing_model="fixed",
        base_price_minor=20000,
        duration_minutes=120,
    )

    service_update(user=vendor.user, service_id=service.pk, pricing_model="quote", instant_booking=True)

    service.refresh_from_db()
    assert (service.pricing_model, service.instant_booking) == ("quote", False)


def test_an_invalid_edit_changes_nothing(service):
    with pytest.raises(ValidationFailed):
        service_update(user=service.vendor.user, service_id=service.pk, title="New title", base_price_minor=0)

    service.refresh_from_db()
    assert (service.title, service.base_price_minor) == ("Whole-home declutter", 30000)


def test_fields_outside_the_editable_list_are_refused(service):
    with pytest.raises(ValidationFailed, match="These fields cannot be changed: vendor_id"):
        service_update(user=service.vendor.user, service_id=service.pk, vendor_id=999)


def test_another_vendors_service_is_not_found(service, other_vendor):
    with pytest.raises(NotFound):
        service_update(user=other_vendor.user, service_id=service.pk, title="Mine now")

    assert Service.objects.get().title == "Whole-home declutter"


def test_a_suspended_vendor_cannot_edit(service):
    service.vendor.verification_status = "suspended"
    service.vendor.save()

    with pytest.raises(PermissionDenied):
        service_update(user=service.vendor.user, service_id=service.pk, title="Still here")


def test_a_service_in_another_currency_is_refused(vendor, category):
    with pytest.raises(ValidationFailed) as refused:
        service_create(
            user=vendor.user,
            category_id=category.pk,
            title="Closet reset",
            pricing_model="fixed",
            base_price_minor=20000,
            duration_minutes=120,
            currency="EUR",
        )

    assert (refused.value.field, refused.value.message) == (
        "currency",
        "Services are priced in USD on this marketplace.",
    )
    assert not Service.objects.exists()
