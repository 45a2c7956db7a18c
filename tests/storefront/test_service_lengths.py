"""The lengths an hourly service allows, on the booking form and the organizer's service form."""

import pytest
from django.urls import reverse

from marketplace.bookings.models import Booking
from marketplace.catalog.services import service_update
from tests.conftest import local_slot

from .conftest import service_url, slot_value
from .test_vendor_area import service_form

pytestmark = pytest.mark.django_db

ADDRESS = "12 Elm Street, Brooklyn, NY"


def _allow(service, *lengths):
    return service_update(user=service.vendor.user, service_id=service.pk, allowed_durations=list(lengths))


def test_the_booking_form_offers_only_the_allowed_lengths(browser_as, customer, hourly_service):
    _allow(hourly_service, 120, 240)
    browser = browser_as(customer)

    page = browser.get(service_url(hourly_service))
    refused = browser.post(
        service_url(hourly_service),
        {"starts_at": slot_value(local_slot(days_ahead=3)), "duration_minutes": "180", "address": ADDRESS},
    )

    assert [value for value, _ in page.context["form"].fields["duration_minutes"].choices] == [120, 240]
    assert "duration_minutes" in refused.context["form"].errors
    assert not Booking.objects.exists()


def test_the_organizer_ticks_the_lengths_on_the_service_form(browser_as, vendor, hourly_service, category):
    browser = browser_as(vendor.user)
    url = reverse("storefront:vendor_service_edit", args=[hourly_service.pk])
    form = service_form(category, pricing_model="hourly", price="85.50", duration_minutes="120")

    saved = browser.post(url, {**form, "allowed_durations": ["120", "240"]})
    hourly_service.refresh_from_db()
    assert saved.status_code == 302
    assert hourly_service.allowed_durations == [120, 240]

    refused = browser.post(url, {**form, "pricing_model": "fixed", "allowed_durations": ["120"]})
    assert refused.status_code == 200
    assert "Only hourly services offer a choice of lengths" in refused.context["form"].errors["allowed_durations"][0]
    assert 'value="240"' in browser.get(url).content.decode()
