"""A yen marketplace: organizers type whole yen, customers see whole yen, money splits on the yen."""

from datetime import time

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from marketplace.bookings.models import Booking
from marketplace.catalog.models import PricingModel, Service
from marketplace.payments.models import Transaction
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.snapshots import changed_tables, data_snapshot

from .conftest import messages_of, service_url, slot_value
from .test_vendor_area import service_form

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("yen_marketplace")]


@pytest.fixture
def yen_marketplace():
    with override_settings(MARKETPLACE_CURRENCY="JPY"):
        yield


def test_organizer_prices_a_service_in_whole_yen_and_customers_see_yen(browser_as, vendor, category, client):
    organizer = browser_as(vendor.user)
    form_page = organizer.get(reverse("storefront:vendor_service_new"))
    assert "Price (JPY)" in form_page.content.decode()
    assert 'step="1"' in str(form_page.context["form"]["price"])

    response = organizer.post(
        reverse("storefront:vendor_service_new"), service_form(category, price="5000"), follow=True
    )

    service = Service.objects.get(vendor=vendor)
    assert (service.base_price_minor, service.currency) == (5000, "JPY")
    assert messages_of(response) == ["'Closet reset' is published. Customers can find and book it now."]
    assert "¥5,000" in response.content.decode()  # the organizer's list of services

    page = client.get(service_url(service))
    assert page.status_code == 200
    assert "¥5,000" in page.content.decode()
    assert "$" not in page.content.decode().split("<main", 1)[1]

    edit = organizer.get(reverse("storefront:vendor_service_edit", args=[service.pk]))
    assert 'value="5000"' in str(edit.context["form"]["price"])


@pytest.mark.parametrize(
    ("price", "error"),
    [
        ("5000.50", "Enter a whole amount: JPY has no decimal places."),
        ("10000001", "Ensure this value is less than or equal to 10000000."),
        ("-1", "Ensure this value is greater than or equal to 0."),
        ("lots", "Enter a number."),
    ],
)
def test_a_yen_price_the_currency_cannot_hold_is_a_form_error_and_creates_nothing(
    browser_as, vendor, category, price, error
):
    organizer = browser_as(vendor.user)
    before = data_snapshot()

    response = organizer.post(reverse("storefront:vendor_service_new"), service_form(category, price=price))

    assert response.status_code == 200
    assert response.context["form"].errors == {"price": [error]}
    assert error in response.content.decode()
    assert changed_tables(before, data_snapshot()) == []


def test_a_quote_in_yen_is_typed_in_whole_yen_and_splits_on_the_yen(browser_as, customer, vendor, category):
    quote_service = ServiceFactory(
        vendor=vendor,
        category=category,
        title="Full move management",
        pricing_model=PricingModel.QUOTE,
        base_price_minor=0,
        currency="JPY",
        duration_minutes=480,
        instant_booking=False,
    )
    browser = browser_as(customer)
    browser.post(service_url(quote_service), {"starts_at": slot_value(local_slot(4, time(9, 0))), "address": "5 Oak"})
    booking = Booking.objects.get(customer=customer)
    assert booking.currency == "JPY"
    organizer = browser_as(vendor.user)
    quote_url = reverse("storefront:vendor_booking_quote", args=[booking.pk])

    # a quote with sen is refused with the reason, and changes nothing
    before = data_snapshot()
    response = organizer.post(quote_url, {"price": "12000.5"}, follow=True)
    assert messages_of(response) == ["Enter a whole amount: JPY has no decimal places."]
    assert changed_tables(before, data_snapshot()) == []

    organizer.post(quote_url, {"price": "12001"})
    booking.refresh_from_db()
    assert booking.price_minor == 12001
    assert (
        "Your quote: ¥12,001" in browser.get(reverse("storefront:booking_detail", args=[booking.pk])).content.decode()
    )
    assert any("¥12,001" in message.body for message in mail.outbox)

    browser.post(reverse("storefront:booking_pay", args=[booking.pk]), {"payment_method": "pm_card_visa"})
    payment = Transaction.objects.get(booking=booking)
    # 15% of ¥12,001 is ¥1,800.15: the fee rounds on the yen
    assert (payment.currency, payment.amount_minor, payment.platform_fee_minor, payment.vendor_payout_minor) == (
        "JPY",
        12001,
        1800,
        10201,
    )
