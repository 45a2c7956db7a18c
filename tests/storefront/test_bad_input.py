"""Bad input and other people's things: a clear message on the page, never a 500, and nothing changed."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from marketplace.bookings.models import Booking
from marketplace.core.models import AuditLogEntry
from marketplace.payments.models import LedgerEntry, LocalGatewayOperation, Transaction
from marketplace.reviews.models import Review
from tests.conftest import local_slot

from .conftest import completed, messages_of, paid, requested, service_url, slot_value

pytestmark = pytest.mark.django_db

ADDRESS = "12 Elm St, Brooklyn, NY"


def test_a_slot_in_the_past_is_refused_on_the_form(browser_as, customer, service):
    yesterday = local_slot(days_ahead=-1)

    response = browser_as(customer).post(service_url(service), {"starts_at": slot_value(yesterday), "address": ADDRESS})

    assert response.status_code == 200
    assert response.context["form"].errors == {"starts_at": ["That time is in the past."]}
    assert "That time is in the past." in response.content.decode()
    assert not Booking.objects.exists()


def test_a_slot_already_taken_is_refused_and_the_first_booking_stands(browser_as, customer, other_customer, service):
    starts_at = local_slot(days_ahead=3)
    first = requested(customer=other_customer, service=service, starts_at=starts_at)
    audit_before = AuditLogEntry.objects.count()

    browser = browser_as(customer)
    page = browser.get(service_url(service))
    offered = [slot["value"] for day in page.context["slot_days"] for _, slots in day["periods"] for slot in slots]
    assert slot_value(starts_at) not in offered  # the taken time is no longer offered

    response = browser.post(service_url(service), {"starts_at": slot_value(starts_at), "address": ADDRESS})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["That time is already booked. Please choose another slot."]
    assert list(Booking.objects.values_list("pk", flat=True)) == [first.pk]
    assert AuditLogEntry.objects.count() == audit_before


def test_a_start_time_that_is_not_a_time_is_refused(browser_as, customer, service):
    response = browser_as(customer).post(service_url(service), {"starts_at": "next tuesday", "address": ""})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "starts_at": ["Choose one of the available start times."],
        "address": ["This field is required."],
    }
    assert not Booking.objects.exists()


def test_an_hourly_length_that_is_not_offered_is_refused(browser_as, customer, hourly_service):
    response = browser_as(customer).post(
        service_url(hourly_service),
        {"starts_at": slot_value(local_slot(days_ahead=3)), "duration_minutes": "45", "address": ADDRESS},
    )

    assert response.status_code == 200
    assert "duration_minutes" in response.context["form"].errors
    assert not Booking.objects.exists()


def test_anonymous_visitors_must_log_in_to_book(client, service):
    response = client.post(
        service_url(service), {"starts_at": slot_value(local_slot(days_ahead=3)), "address": ADDRESS}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Booking.objects.exists()


def test_organizers_cannot_book(browser_as, other_vendor, service):
    browser = browser_as(other_vendor.user)

    page = browser.get(service_url(service))
    response = browser.post(
        service_url(service), {"starts_at": slot_value(local_slot(days_ahead=3)), "address": ADDRESS}, follow=True
    )

    assert "Organizer and admin accounts can't book services." in page.content.decode()
    assert messages_of(response) == ["Only customer accounts can book services."]
    assert not Booking.objects.exists()


def test_another_customers_booking_does_not_exist(browser_as, customer, other_customer, service):
    booking = requested(customer=other_customer, service=service, starts_at=local_slot(days_ahead=3))
    browser = browser_as(customer)

    for name in ("booking_detail", "booking_pay"):
        assert browser.get(reverse(f"storefront:{name}", args=[booking.pk])).status_code == 404
    for name in ("booking_pay", "booking_confirm", "booking_cancel", "booking_review"):
        response = browser.post(reverse(f"storefront:{name}", args=[booking.pk]), {"payment_method": "pm_card_visa"})
        assert response.status_code == 404, name

    booking.refresh_from_db()
    assert booking.status == "requested"
    assert not Transaction.objects.exists()


def test_a_declined_card_shows_the_decline_and_leaves_no_payment(browser_as, customer, service):
    booking = requested(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    mail.outbox.clear()
    audit_before = AuditLogEntry.objects.count()

    response = browser_as(customer).post(
        reverse("storefront:booking_pay", args=[booking.pk]), {"payment_method": "pm_card_chargeDeclined"}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Your card was declined. No money was taken. Try another card."
    ]
    assert "Your card was declined." in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "requested"
    assert not Transaction.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert not LocalGatewayOperation.objects.exists()
    assert AuditLogEntry.objects.count() == audit_before
    assert mail.outbox == []


def test_a_payment_method_that_is_not_a_test_card_is_refused(browser_as, customer, service):
    booking = requested(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    response = browser_as(customer).post(
        reverse("storefront:booking_pay", args=[booking.pk]), {"payment_method": "pm_real_card_please"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"payment_method": ["Choose one of the test cards."]}
    assert not Transaction.objects.exists()


def test_paying_twice_is_refused_politely(browser_as, customer, service):
    booking = paid(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    response = browser_as(customer).post(
        reverse("storefront:booking_pay", args=[booking.pk]), {"payment_method": "pm_card_visa"}, follow=True
    )

    assert messages_of(response) == ["This booking is already paid."]
    assert Transaction.objects.count() == 1


def test_a_second_review_is_refused_with_a_message(browser_as, customer, service):
    booking = completed(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    browser = browser_as(customer)
    first = browser.post(
        reverse("storefront:booking_review", args=[booking.pk]), {"rating": "4", "title": "Good"}, follow=True
    )
    assert messages_of(first) == ["Thank you! Your review is published on the organizer's page."]

    response = browser.post(
        reverse("storefront:booking_review", args=[booking.pk]),
        {"rating": "1", "title": "Changed my mind"},
        follow=True,
    )

    assert messages_of(response) == ["You have already reviewed this booking."]
    assert list(Review.objects.values_list("rating", "title")) == [(4, "Good")]
    assert "Review Calm Spaces" not in response.content.decode()  # the form is gone


def test_a_review_without_a_rating_shows_the_form_again(browser_as, customer, service):
    booking = completed(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    response = browser_as(customer).post(reverse("storefront:booking_review", args=[booking.pk]), {"title": "Hmm"})

    assert response.status_code == 200
    assert response.context["review_form"].errors == {"rating": ["Choose a rating from 1 to 5 stars."]}
    assert not Review.objects.exists()


def test_a_booking_cannot_be_reviewed_before_it_is_completed(browser_as, customer, service):
    booking = paid(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    response = browser_as(customer).post(
        reverse("storefront:booking_review", args=[booking.pk]), {"rating": "5"}, follow=True
    )

    assert messages_of(response) == ["You can review a booking once it is completed."]
    assert not Review.objects.exists()


def test_confirming_before_the_appointment_is_refused(browser_as, customer, service):
    booking = paid(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    response = browser_as(customer).post(reverse("storefront:booking_confirm", args=[booking.pk]), follow=True)

    assert messages_of(response) == ["You can confirm the work once the appointment has started."]
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert Transaction.objects.get(booking=booking).status == "held"


def test_cancelling_after_the_start_is_refused(browser_as, customer, service):
    import time_machine

    booking = paid(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    with time_machine.travel(booking.starts_at + timedelta(minutes=30)):
        response = browser_as(customer).post(reverse("storefront:booking_cancel", args=[booking.pk]), follow=True)

    assert messages_of(response) == ["This booking has already started and can no longer be cancelled."]
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_my_bookings_is_for_customers(browser_as, vendor, admin_user):
    organizer = browser_as(vendor.user).get(reverse("storefront:booking_list"))
    admin = browser_as(admin_user).get(reverse("storefront:booking_list"))

    assert organizer.status_code == 302
    assert organizer["Location"] == reverse("storefront:vendor_dashboard")
    assert admin.status_code == 403
