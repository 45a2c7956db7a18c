"""What the storefront says about the money is the domain's answer, also when a payout waits for approval."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import local_slot
from tests.factories.bookings import past_paid_booking

from .conftest import messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(customer, service):
    return past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-1))


def _confirm(browser, booking):
    with time_machine.travel(booking.ends_at + timedelta(minutes=5)):
        return browser.post(reverse("storefront:booking_confirm", args=[booking.pk]), follow=True)


def test_confirming_a_payout_that_waits_for_approval_does_not_claim_it_was_released(
    browser_as, customer, started, settings
):
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 10000  # the $300.00 booking now waits for an admin
    browser = browser_as(customer)
    detail = browser.get(reverse("storefront:booking_detail", args=[started.pk])).content.decode()
    assert "We then release $300.00 to Calm Spaces once our team has approved the payout." in detail

    response = _confirm(browser, started)

    assert messages_of(response) == [
        "Thank you for confirming. The payment goes to Calm Spaces once our team approves the payout. "
        "Tell others how it went below."
    ]
    page = response.content.decode()
    assert "released to" not in page
    assert "The work is confirmed; the payout is waiting for our team&#x27;s approval." in page


def test_confirming_a_payout_without_approval_says_it_is_released(browser_as, customer, started):
    response = _confirm(browser_as(customer), started)

    assert messages_of(response) == [
        "Thank you for confirming. The payment is released to Calm Spaces. Tell others how it went below."
    ]
    assert "Paid to the organizer." in response.content.decode()


def test_the_organizer_sees_the_same_answer(browser_as, customer, vendor, started, settings):
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 10000
    _confirm(browser_as(customer), started)

    page = browser_as(vendor.user).get(reverse("storefront:vendor_booking", args=[started.pk])).content.decode()

    assert "The work is confirmed; your payout is waiting for our team&#x27;s approval." in page
