"""The customer's whole journey through the storefront, once, end to end."""

from datetime import time, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from marketplace.accounts.models import User
from marketplace.bookings.models import Booking
from marketplace.payments.models import Transaction
from marketplace.reviews.models import Review
from tests.conftest import local_slot

from .conftest import messages_of, service_url, slot_value

pytestmark = pytest.mark.django_db


def test_customer_signs_up_books_pays_confirms_and_reviews(client, service, category_page, portfolio_page):
    starts_at = local_slot(days_ahead=3)

    # given a visitor signs up as a customer
    response = client.post(
        reverse("account_signup"),
        {
            "email": "dana@example.com",
            "full_name": "Dana Doe",
            "role": "customer",
            "password1": "tidy-nest-2026!",
            "password2": "tidy-nest-2026!",
        },
    )
    assert response.status_code == 302, response.content
    customer = User.objects.get(email="dana@example.com")
    assert (customer.role, customer.full_name) == ("customer", "Dana Doe")

    # and finds the service from the home page and its category page
    home = client.get("/")
    assert home.status_code == 200
    assert "My bookings" in home.content.decode()
    assert category_page.url in home.content.decode()
    listing = client.get(category_page.url)
    assert listing.status_code == 200
    assert service_url(service) in listing.content.decode()

    # when they open the service page, it offers live slots in the organizer's time zone
    page = client.get(service_url(service))
    assert page.status_code == 200
    offered = [slot["value"] for day in page.context["slot_days"] for _, slots in day["periods"] for slot in slots]
    assert slot_value(starts_at) in offered
    assert f'value="{slot_value(starts_at)}"' in page.content.decode()
    assert "Continue to payment" in page.content.decode()

    # and book one
    response = client.post(
        service_url(service),
        {"starts_at": slot_value(starts_at), "address": "12 Elm St, Brooklyn, NY", "note": "Two bedrooms."},
    )
    booking = Booking.objects.get(customer=customer)
    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:booking_pay", args=[booking.pk])
    assert (booking.status, booking.price_minor, booking.starts_at) == ("requested", 30000, starts_at)
    assert (booking.address, booking.customer_note) == ("12 Elm St, Brooklyn, NY", "Two bedrooms.")

    # then they pay with a test card on the checkout page
    checkout = client.get(response["Location"])
    assert checkout.status_code == 200
    assert "Test card" in checkout.content.decode()
    assert "Pay $300.00" in checkout.content.decode()
    response = client.post(response["Location"], {"payment_method": "pm_card_visa"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("storefront:booking_detail", args=[booking.pk])
    assert messages_of(response) == ["Payment received: $300.00 is held in escrow. Your booking is confirmed."]
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert Transaction.objects.get(booking=booking).status == "held"

    # and see it in their bookings, in their own time zone, with the money held in escrow
    listing = client.get(reverse("storefront:booking_list"))
    assert booking.reference in listing.content.decode()
    assert "10:00 AM" in listing.content.decode()
    detail = client.get(reverse("storefront:booking_detail", args=[booking.pk]))
    assert "Held in escrow" in detail.content.decode()
    assert "Cancel this booking" in detail.content.decode()

    # when the appointment is over they confirm the work and review it
    with time_machine.travel(starts_at + timedelta(hours=3, minutes=5)):
        detail = client.get(reverse("storefront:booking_detail", args=[booking.pk]))
        assert "Was the work done?" in detail.content.decode()

        response = client.post(reverse("storefront:booking_confirm", args=[booking.pk]), follow=True)
        assert response.status_code == 200
        booking.refresh_from_db()
        assert booking.status == "completed"
        assert Transaction.objects.get(booking=booking).status == "released"  # below the approval threshold
        assert "Released" in response.content.decode()
        assert "Review Calm Spaces" in response.content.decode()

        response = client.post(
            reverse("storefront:booking_review", args=[booking.pk]),
            {"rating": "5", "title": "Calm at last", "body": "Kind, fast and thorough."},
            follow=True,
        )
        assert messages_of(response) == ["Thank you! Your review is published on the organizer's page."]
        assert "Your review" in response.content.decode()

    review = Review.objects.get(booking=booking)
    assert (review.rating, review.title, review.customer_id) == (5, "Calm at last", customer.pk)

    # then the organizer's portfolio page shows the review
    portfolio = client.get(portfolio_page.url)
    assert "Calm at last" in portfolio.content.decode()
    assert "Dana D." in portfolio.content.decode()
    assert portfolio.context["rating"] == {"average": 5.0, "count": 1}
    assert mail.outbox  # booking emails went out along the way


def test_quote_request_is_sent_without_payment_and_paid_once_quoted(browser_as, customer, quote_service):
    starts_at = local_slot(days_ahead=4, at=time(9, 0))
    browser = browser_as(customer)

    page = browser.get(service_url(quote_service))
    assert "Send request" in page.content.decode()
    assert "replies with a price" in page.content.decode()

    response = browser.post(
        service_url(quote_service), {"starts_at": slot_value(starts_at), "address": "5 Oak Ave"}, follow=True
    )
    booking = Booking.objects.get(customer=customer)
    assert response.redirect_chain[-1][0] == reverse("storefront:booking_detail", args=[booking.pk])
    assert messages_of(response) == [
        "Request sent to Calm Spaces. They will send you a quote; you pay only when you accept it."
    ]
    assert booking.price_minor is None
    assert not Transaction.objects.filter(booking=booking).exists()
    assert "Awaiting quote" in response.content.decode()

    # the checkout refuses until there is a price
    response = browser.get(reverse("storefront:booking_pay", args=[booking.pk]), follow=True)
    assert messages_of(response) == ["The organizer has not sent a quote yet. You can pay once they do."]

    # the organizer quotes from their area, then the customer pays the quote
    vendor_browser = browser_as(quote_service.vendor.user)
    vendor_browser.post(reverse("storefront:vendor_booking_quote", args=[booking.pk]), {"price": "1250.00"})
    booking.refresh_from_db()
    assert booking.price_minor == 125000

    detail = browser.get(reverse("storefront:booking_detail", args=[booking.pk]))
    assert "Your quote: $1,250.00" in detail.content.decode()
    response = browser.post(
        reverse("storefront:booking_pay", args=[booking.pk]), {"payment_method": "pm_card_mastercard"}, follow=True
    )
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert Transaction.objects.get(booking=booking).amount_minor == 125000


def test_hourly_service_books_the_chosen_length(browser_as, customer, hourly_service):
    starts_at = local_slot(days_ahead=3)
    browser = browser_as(customer)

    page = browser.get(service_url(hourly_service), {"duration": "180"})
    assert page.context["duration"] == 180
    assert str(page.context["estimate"]) == "$256.50"

    response = browser.post(
        service_url(hourly_service),
        {"starts_at": slot_value(starts_at), "duration_minutes": "180", "address": "12 Elm St"},
    )

    booking = Booking.objects.get(customer=customer)
    assert response.status_code == 302
    assert (booking.duration_minutes, booking.price_minor) == (180, 25650)


def test_customer_cancels_a_paid_booking_and_is_refunded(browser_as, customer, service):
    from .conftest import paid

    booking = paid(customer=customer, service=service, starts_at=local_slot(days_ahead=5))

    response = browser_as(customer).post(
        reverse("storefront:booking_cancel", args=[booking.pk]), {"reason": "Plans changed"}, follow=True
    )

    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert booking.close_reason == "Plans changed"
    assert Transaction.objects.get(booking=booking).status == "refunded"
    assert messages_of(response) == ["Booking cancelled. Your payment of $300.00 is refunded in full."]
    assert "Refunded" in response.content.decode()
