"""A form post over the body limit gets a clear 413 page, never a 500 or a bare 400."""

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.bookings.models import BookingStatus
from tests.conftest import local_slot
from tests.snapshots import changed_tables, data_snapshot

from .conftest import paid

pytestmark = pytest.mark.django_db

ONE_MB = 1024 * 1024


def test_an_oversized_form_post_to_a_storefront_page_is_a_413_page_that_names_the_limit(
    browser_as, settings, customer, service
):
    # given a paid booking, a limit of 1 MB, and a cancellation reason over it
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = ONE_MB
    booking = paid(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    browser = browser_as(customer)
    before = data_snapshot()

    # when the form is posted
    response = browser.post(reverse("storefront:booking_cancel", args=[booking.pk]), {"reason": "x" * ONE_MB})

    # then it is the product's 413 page, and the booking stands
    assert response.status_code == 413
    page = response.content.decode()
    assert "That was too much to send" in page
    assert "larger than 1 MB" in page
    assert changed_tables(before, data_snapshot()) == []
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_an_oversized_sign_in_post_is_a_413_even_before_the_csrf_check(settings):
    # given a browser that gets CSRF checks (the middleware reads the form before any view)
    # and has the sign-in page's CSRF cookie
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = ONE_MB
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("account_login"))
    token = browser.cookies["csrftoken"].value

    # when an oversized form is posted to the sign-in page
    response = browser.post(
        reverse("account_login"),
        {"csrfmiddlewaretoken": token, "login": "a@example.com", "password": "p" * ONE_MB},
    )

    # then it is the 413 page, not a CSRF failure or a 400
    assert response.status_code == 413
    assert "larger than 1 MB" in response.content.decode()
