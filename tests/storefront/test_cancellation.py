"""Cancellation terms and the refund preview in the storefront: service form, service page, booking pages.

The service fixture is a $300.00 instant service of Calm Spaces under the moderate policy
(a full refund at least 3 days before the start, half at least 24 hours before, nothing
later) with the platform's 15% commission.
"""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from marketplace.bookings.models import Booking
from marketplace.catalog.models import Service
from marketplace.catalog.services import service_update
from marketplace.payments.models import Transaction
from marketplace.vendors.models import Vendor
from tests.conftest import local_slot
from tests.factories.bookings import paid_booking, request_booking
from tests.snapshots import changed_tables, data_snapshot

from .conftest import messages_of, service_url
from .test_vendor_area import service_form

pytestmark = pytest.mark.django_db

MODERATE_LINES = [
    "Cancel at least 3 days before the start for a full refund.",
    "Cancel at least 24 hours before the start for a 50% refund.",
    "Cancel less than 24 hours before the start for no refund.",
    "Reschedule up to 24 hours before the start.",
    "If the organizer cancels, you always get a full refund.",
]


@pytest.fixture
def confirmed(customer, service):
    """Paid and confirmed today, for a start ten days from now."""
    return paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=10))


def _detail(browser, booking):
    return browser.get(reverse("storefront:booking_detail", args=[booking.pk]))


# --- The organizer picks a policy ------------------------------------------------------------


def test_the_service_form_offers_each_policy_with_its_terms(browser_as, vendor):
    response = browser_as(vendor.user).get(reverse("storefront:vendor_service_new"))

    html = response.content.decode()
    assert "Flexible: full refund up to 24 hours before" in html
    assert "Moderate: full refund up to 3 days before" in html
    assert "Strict: full refund up to 7 days before" in html
    assert "Cancel at least 7 days before the start for a full refund." in html
    assert response.context["form"]["cancellation_policy"].value() == "moderate"  # the default is preselected


def test_an_organizer_publishes_a_service_with_the_strict_policy(browser_as, vendor, category):
    response = browser_as(vendor.user).post(
        reverse("storefront:vendor_service_new"), service_form(category, cancellation_policy="strict")
    )

    assert response.status_code == 302
    assert Service.objects.get().cancellation_policy == "strict"


def test_an_organizer_changes_the_policy_of_a_service(browser_as, vendor, service, category):
    browser = browser_as(vendor.user)
    edit_url = reverse("storefront:vendor_service_edit", args=[service.pk])
    assert browser.get(edit_url).context["form"]["cancellation_policy"].value() == "moderate"

    response = browser.post(edit_url, service_form(category, cancellation_policy="flexible"))

    assert response.status_code == 302
    service.refresh_from_db()
    assert service.cancellation_policy == "flexible"


def test_an_unknown_policy_is_a_form_error_and_saves_nothing(browser_as, vendor, service, category):
    browser = browser_as(vendor.user)
    before = data_snapshot()

    response = browser.post(
        reverse("storefront:vendor_service_edit", args=[service.pk]),
        service_form(category, cancellation_policy="lenient"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "cancellation_policy": ["Choose one of the cancellation policies: flexible, moderate or strict."]
    }
    assert "Choose one of the cancellation policies" in response.content.decode()
    assert changed_tables(before, data_snapshot()) == []


# --- Customers read the terms ----------------------------------------------------------------


def test_the_service_page_shows_the_services_cancellation_terms(client, service):
    response = client.get(service_url(service))

    html = response.content.decode()
    assert "Moderate: full refund up to 3 days before" in html
    assert response.context["cancellation_lines"] == MODERATE_LINES
    for line in MODERATE_LINES:
        assert f"<li>{line}</li>" in html


def test_the_booking_page_shows_the_bookings_own_terms_not_the_services_current_ones(
    browser_as, customer, confirmed, service
):
    service_update(user=service.vendor.user, service_id=service.pk, cancellation_policy="strict")

    response = _detail(browser_as(customer), confirmed)

    html = response.content.decode()
    assert response.context["terms_lines"] == MODERATE_LINES
    assert "Moderate policy" in html
    assert "Cancel at least 3 days before the start for a full refund." in html
    assert "7 days" not in html


# --- The cancel step -------------------------------------------------------------------------


def test_the_customers_cancel_step_shows_the_refund_of_the_tier_they_are_in(browser_as, customer, confirmed):
    with time_machine.travel(confirmed.starts_at - timedelta(hours=48), tick=False):
        response = _detail(browser_as(customer), confirmed)

    preview = response.context["cancellation"]
    assert (str(preview.paid), str(preview.customer_gets_back), str(preview.organizer_keeps)) == (
        "$300.00",
        "$150.00",
        "$127.50",
    )
    html = response.content.decode()
    assert "<dt>You paid</dt><dd>$300.00</dd>" in html
    assert "<dt>Calm Spaces keeps</dt><dd>&minus;$127.50</dd>" in html
    assert "<dt>Platform fee</dt><dd>&minus;$22.50</dd>" in html
    assert "<dt>You get back</dt><dd>$150.00</dd>" in html
    assert "Moderate policy: cancelling at least 24 hours before the start gives a 50% refund." in html
    assert '<input type="hidden" name="expected_refund_minor" value="15000">' in html
    assert "Cancel and get back $150.00" in html


def test_the_customer_cancels_and_gets_back_what_the_step_showed(browser_as, customer, confirmed):
    with time_machine.travel(confirmed.starts_at - timedelta(hours=48), tick=False):
        response = browser_as(customer).post(
            reverse("storefront:booking_cancel", args=[confirmed.pk]),
            {"reason": "Moving", "expected_refund_minor": "15000"},
            follow=True,
        )

    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.cancelled_by) == ("cancelled", "customer")
    assert Transaction.objects.get(booking=confirmed).refunded_minor == 15000
    assert messages_of(response) == [
        "Booking cancelled. $150.00 of your $300.00 is refunded, under the booking's cancellation terms."
    ]
    assert "$150.00 of your $300.00 was refunded under the booking's cancellation terms." in response.content.decode()


def test_when_a_tier_ended_since_the_step_was_shown_nothing_is_cancelled_and_the_new_refund_is_shown(
    browser_as, customer, confirmed
):
    # given the cancel step showed a full refund 73 hours before the start
    with time_machine.travel(confirmed.starts_at - timedelta(hours=73), tick=False):
        shown = _detail(browser_as(customer), confirmed).context["cancellation"].customer_gets_back
    assert shown.minor == 30000

    # when the customer confirms two hours later, in the 50% tier
    with time_machine.travel(confirmed.starts_at - timedelta(hours=71), tick=False):
        browser = browser_as(customer)
        before = data_snapshot()
        response = browser.post(
            reverse("storefront:booking_cancel", args=[confirmed.pk]),
            {"reason": "", "expected_refund_minor": "30000"},
        )

    # then the booking is not cancelled, and the step shows the new amount to confirm again
    assert response.status_code == 200
    assert changed_tables(before, data_snapshot()) == []
    html = response.content.decode()
    assert "The refund has changed since you opened this page: cancelling now gives you back $150.00." in html
    assert '<input type="hidden" name="expected_refund_minor" value="15000">' in html
    assert 'id="cancel" open' in html


def test_a_full_refund_shows_no_minus_before_nothing_kept(browser_as, customer, confirmed):
    with time_machine.travel(confirmed.starts_at - timedelta(hours=100), tick=False):
        html = _detail(browser_as(customer), confirmed).content.decode()

    assert "<dt>Calm Spaces keeps</dt><dd>$0.00</dd>" in html
    assert "<dt>You get back</dt><dd>$300.00</dd>" in html


def test_an_unpaid_booking_has_nothing_to_refund(browser_as, customer, service):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    html = _detail(browser_as(customer), booking).content.decode()

    assert "Nothing has been charged, so there is nothing to refund." in html


def test_the_organizers_cancel_step_says_the_customer_gets_everything_back_and_it_counts_against_them(
    browser_as, confirmed
):
    with time_machine.travel(confirmed.starts_at - timedelta(hours=10), tick=False):
        response = browser_as(confirmed.vendor.user).get(reverse("storefront:vendor_booking", args=[confirmed.pk]))

    html = response.content.decode()
    assert "The customer gets back the full $300.00; cancelling counts against you." in html
    assert "<dt>You keep</dt><dd>$0.00</dd>" in html
    assert "<dt>Platform fee</dt><dd>$0.00</dd>" in html


def test_the_organizer_cancels_and_is_told_it_counts_against_them(browser_as, confirmed):
    response = browser_as(confirmed.vendor.user).post(
        reverse("storefront:vendor_booking_cancel", args=[confirmed.pk]), {"reason": "Sick"}, follow=True
    )

    assert Booking.objects.get(pk=confirmed.pk).cancelled_by == "organizer"
    assert messages_of(response) == [
        f"Booking {confirmed.reference} cancelled. Any payment is refunded to the customer in full; "
        "the cancellation counts against you."
    ]


def test_the_organizers_name_is_escaped_in_the_cancel_step(browser_as, customer, confirmed, vendor):
    Vendor.objects.filter(pk=vendor.pk).update(business_name="Calm <b>Spaces</b>")

    html = _detail(browser_as(customer), confirmed).content.decode()

    assert "<b>Spaces</b>" not in html
    assert "<dt>Calm &lt;b&gt;Spaces&lt;/b&gt; keeps</dt>" in html


def test_the_checkout_shows_the_terms_the_customer_pays_under(browser_as, customer, service):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    html = browser_as(customer).get(reverse("storefront:booking_pay", args=[booking.pk])).content.decode()

    assert "If Calm Spaces declines or cancels, you get a full refund; if you cancel" in html
    for line in MODERATE_LINES:
        assert f"<li>{line}</li>" in html


def test_a_form_sent_without_a_policy_keeps_the_services_policy(browser_as, vendor, service, category):
    service_update(user=vendor.user, service_id=service.pk, cancellation_policy="strict")
    data = service_form(category, title="Whole-home reset")
    del data["cancellation_policy"]

    response = browser_as(vendor.user).post(reverse("storefront:vendor_service_edit", args=[service.pk]), data)

    assert response.status_code == 302
    service.refresh_from_db()
    assert (service.title, service.cancellation_policy) == ("Whole-home reset", "strict")
