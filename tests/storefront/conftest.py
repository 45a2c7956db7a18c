"""Fixtures for the storefront: pages in the CMS tree, signed-in browsers, bookings in a given state."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from marketplace.bookings import services as bookings
from storefront.models import LandingPage, VendorIndexPage, VendorPortfolioPage


def slot_value(starts_at: datetime) -> str:
    """How the service page's slot picker spells a start time (ISO 8601, UTC)."""
    return starts_at.astimezone(UTC).isoformat()


def service_url(service) -> str:
    return reverse("storefront:service_detail", args=[service.pk, service.slug])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


@pytest.fixture
def browser_as():
    """A fresh browser signed in as the given user: browser_as(customer)."""

    def sign_in(user) -> Client:
        browser = Client()
        browser.force_login(user)
        return browser

    return sign_in


@pytest.fixture
def portfolio_page(vendor):
    index = VendorIndexPage.objects.get()
    page = VendorPortfolioPage(
        title=vendor.business_name, slug=vendor.slug, vendor=vendor, headline="Calm homes, kind help"
    )
    index.add_child(instance=page)
    return page


@pytest.fixture
def landing_page(category_page):
    from storefront.models import HomePage

    page = LandingPage(
        title="Spring reset",
        slug="spring-reset",
        hero_title="Spring into a calmer home",
        featured_category=category_page,
    )
    HomePage.objects.get().add_child(instance=page)
    return page


@pytest.fixture
def request_only_service(vendor, category):
    """A fixed-price service the organizer confirms by hand (not instant)."""
    from tests.factories import ServiceFactory

    return ServiceFactory(
        vendor=vendor,
        category=category,
        title="Garage makeover",
        slug="garage-makeover",
        base_price_minor=65000,
        duration_minutes=240,
        instant_booking=False,
    )


def requested(*, customer, service, starts_at, duration_minutes=None):
    return bookings.booking_request(
        customer=customer,
        service_id=service.pk,
        starts_at=starts_at,
        address="12 Elm St, Brooklyn, NY",
        duration_minutes=duration_minutes,
    )


def paid(*, customer, service, starts_at):
    booking = requested(customer=customer, service=service, starts_at=starts_at)
    return bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa").booking


def completed(*, customer, service, starts_at):
    """Paid, confirmed, and confirmed as done just after the work ended (the clock is moved there)."""
    booking = paid(customer=customer, service=service, starts_at=starts_at)
    with time_machine.travel(booking.ends_at + timedelta(minutes=5)):
        return bookings.booking_confirm_completion(customer=customer, booking_id=booking.pk)
