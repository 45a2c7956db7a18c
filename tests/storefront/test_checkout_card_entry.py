"""The checkout's payment method: a card typed into Stripe Elements with Stripe, the test cards locally.

With the Stripe gateway configured for the browser (a publishable key and Stripe.js's
address: ``storefront.security.stripe_js_url``), the page mounts Stripe's card field and
loads Stripe.js and our card_entry.js, and the form accepts a PaymentMethod id
(``pm_...``) that the script puts in the hidden field. With the local gateway the page
lists the test cards and the form takes only those, as before.
"""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from marketplace.bookings.models import Booking
from marketplace.payments.errors import CardDeclined
from marketplace.payments.gateways.base import GatewayResult
from marketplace.payments.gateways.stripe import StripeGateway
from marketplace.payments.models import LedgerEntry, Movement, Transaction
from storefront.forms import CARD_NEEDS_JAVASCRIPT, PaymentForm
from tests.conftest import local_slot
from tests.snapshots import changed_tables, data_snapshot

from .conftest import messages_of, requested

pytestmark = pytest.mark.django_db

STRIPE = {
    "PAYMENTS_GATEWAY": "stripe",
    "STRIPE_SECRET_KEY": "sk_test_x",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_<x>",
    "STRIPE_JS_URL": "https://js.stripe.com/v3/",
}
UNREADABLE = "That card could not be read. Enter your card details again."
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>")


@pytest.fixture
def booking(customer, service):
    return requested(customer=customer, service=service, starts_at=local_slot(days_ahead=3))


@pytest.fixture
def stripe_charges(monkeypatch):
    """The Stripe gateway's charge, recorded and answered without the network."""
    charged: list[str] = []

    def charge(self, *, payment_method, **kwargs):
        charged.append(payment_method)
        if payment_method == "pm_1Declined":
            raise CardDeclined("Your card was declined.")
        return GatewayResult(reference="pi_paid")

    monkeypatch.setattr(StripeGateway, "charge", charge)
    return charged


def _csp(response) -> dict[str, list[str]]:
    return {
        name: values
        for name, *values in (directive.split() for directive in response["Content-Security-Policy"].split(";"))
    }


def _checkout(browser, booking):
    return browser.get(reverse("storefront:booking_pay", args=[booking.pk]))


def _pay(browser, booking, method):
    return browser.post(reverse("storefront:booking_pay", args=[booking.pk]), {"payment_method": method})


# --- The form ------------------------------------------------------------------------------------


@override_settings(**STRIPE)
@pytest.mark.parametrize("method", ["pm_1QxYz2AbCdEf", "pm_card_visa", "pm_1_a_B_9"])
def test_with_stripe_the_form_takes_a_payment_method_id(method):
    form = PaymentForm({"payment_method": method})

    assert form.card_entry is True
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"payment_method": method}


@override_settings(**STRIPE)
@pytest.mark.parametrize(
    "method",
    [
        "tok_visa",
        "pm_",
        "pm_1 2",
        "pm_1-2",
        "pi_123_secret_4",
        "pm_1;DROP",
        "pm_é",
        "4242424242424242",
        "pm_" + "a" * 300,
    ],
)
def test_with_stripe_the_form_refuses_what_is_not_a_payment_method_id(method):
    form = PaymentForm({"payment_method": method})

    assert not form.is_valid()
    assert form.errors == {"payment_method": [UNREADABLE]}


@override_settings(**STRIPE)
@pytest.mark.parametrize("data", [{}, {"payment_method": ""}, {"payment_method": "   "}])
def test_with_stripe_an_empty_method_says_card_payment_needs_javascript(data):
    form = PaymentForm(data)

    assert not form.is_valid()
    assert form.errors == {"payment_method": [CARD_NEEDS_JAVASCRIPT]}
    assert CARD_NEEDS_JAVASCRIPT.startswith("Card payment needs JavaScript")


@pytest.mark.parametrize("method", ["pm_card_visa", "pm_card_mastercard", "pm_card_chargeDeclined"])
def test_with_the_local_gateway_the_form_takes_the_test_cards(method):
    form = PaymentForm({"payment_method": method})

    assert form.card_entry is False
    assert form.is_valid()
    assert form.cleaned_data == {"payment_method": method}


@pytest.mark.parametrize("method", ["pm_1QxYz2AbCdEf", "tok_visa", ""])
def test_with_the_local_gateway_the_form_refuses_anything_but_the_test_cards(method):
    form = PaymentForm({"payment_method": method})

    assert not form.is_valid()
    assert form.errors["payment_method"] in (["Choose one of the test cards."], ["Choose a payment method."])


@override_settings(PAYMENTS_GATEWAY="stripe", STRIPE_SECRET_KEY="sk_test_x", STRIPE_PUBLISHABLE_KEY="")
def test_stripe_without_a_publishable_key_keeps_the_test_cards():
    form = PaymentForm({"payment_method": "pm_1QxYz2AbCdEf"})

    assert form.card_entry is False
    assert form.errors == {"payment_method": ["Choose one of the test cards."]}


# --- The page ------------------------------------------------------------------------------------


@override_settings(**STRIPE)
def test_with_stripe_the_checkout_mounts_stripes_card_field(browser_as, customer, booking):
    page = _checkout(browser_as(customer), booking)

    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'<form method="post" class="form" data-card-form data-publishable-key="pk_test_&lt;x&gt;">', html)
    assert "data-card-element" in html
    assert "data-card-error hidden" in html
    assert '<input type="hidden" name="payment_method" value="" data-card-payment-method>' in html
    assert re.search(r"<button [^>]*type=\"submit\" disabled data-card-submit", html)  # enabled by our script
    assert "<noscript>" in html and "Card payment needs JavaScript." in html
    assert "Use Stripe's test card 4242 4242 4242 4242" in html  # a pk_test_ key
    assert re.findall(r'<script src="([^"]+)"', html)[-2:] == [
        "https://js.stripe.com/v3/",
        re.search(r'<script src="(/static/js/card_entry[^"]*\.js)" defer></script>', html).group(1),
    ]
    assert "radio-card" not in html and "pm_card_visa" not in html
    assert "payment_step.js" not in html
    assert not INLINE_SCRIPT.search(html), "no inline script"


@override_settings(**{**STRIPE, "STRIPE_PUBLISHABLE_KEY": "pk_live_x"})
def test_with_a_live_key_the_checkout_says_nothing_of_test_cards(browser_as, customer, booking):
    html = _checkout(browser_as(customer), booking).content.decode()

    assert 'data-publishable-key="pk_live_x"' in html
    assert "Test mode" not in html and "4242" not in html


def test_with_the_local_gateway_the_checkout_lists_the_test_cards(browser_as, customer, booking):
    page = _checkout(browser_as(customer), booking)

    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('class="radio-card"') == 4
    assert 'value="pm_card_visa"' in html and "checked" in html
    assert "data-card-form" not in html and "data-card-element" not in html
    assert "card_entry" not in html and "js.stripe.com" not in html
    assert "<noscript>" not in html
    assert not INLINE_SCRIPT.search(html)


# --- The Content-Security-Policy of the checkout --------------------------------------------------


@override_settings(**STRIPE)
def test_with_stripe_the_checkouts_policy_allows_what_elements_needs_and_nothing_more(browser_as, customer, booking):
    policy = _csp(_checkout(browser_as(customer), booking))

    assert policy["script-src"] == ["'self'", "https://js.stripe.com"]
    assert policy["frame-src"] == ["https://js.stripe.com", "https://hooks.stripe.com"]
    assert policy["connect-src"] == ["'self'", "https://js.stripe.com", "https://api.stripe.com"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]  # the card form posts to us, never elsewhere


def test_with_the_local_gateway_the_checkouts_policy_allows_no_other_origin(browser_as, customer, booking):
    response = _checkout(browser_as(customer), booking)

    policy = _csp(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-src"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]
    assert "stripe" not in response["Content-Security-Policy"]


# --- Paying ----------------------------------------------------------------------------------------


@override_settings(**STRIPE)
def test_with_stripe_the_payment_method_from_elements_pays_the_booking(browser_as, customer, booking, stripe_charges):
    response = _pay(browser_as(customer), booking, "pm_1QxYz2AbCdEf")

    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:booking_detail", args=[booking.pk])
    assert stripe_charges == ["pm_1QxYz2AbCdEf"]
    assert Booking.objects.get().status == "confirmed"
    assert Transaction.objects.get().payment_reference == "pi_paid"


@override_settings(**STRIPE)
def test_with_stripe_a_declined_card_shows_the_banks_message_and_changes_nothing(
    browser_as, customer, booking, stripe_charges
):
    browser = browser_as(customer)  # signing in writes last_login
    before = data_snapshot()

    response = _pay(browser, booking, "pm_1Declined")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Your card was declined. No money was taken. Try another card."
    ]
    html = response.content.decode()
    assert "Your card was declined." in html
    assert '<input type="hidden" name="payment_method" value="" data-card-payment-method>' in html  # a new card
    assert "data-card-element" in html
    assert stripe_charges == ["pm_1Declined"]
    assert Booking.objects.get().status == "requested"
    assert not Transaction.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert changed_tables(before, data_snapshot()) == []
    # the call to Stripe, recorded before it was made, and failed
    assert [movement.state for movement in Movement.objects.all()] == ["failed"]


@override_settings(**STRIPE)
@pytest.mark.parametrize("method", ["", "tok_visa", "pm_1;DROP TABLE", "pm_" + "x" * 300])
def test_with_stripe_a_bad_or_missing_method_is_a_form_error_not_a_charge(
    browser_as, customer, booking, stripe_charges, method
):
    browser = browser_as(customer)
    before = data_snapshot()

    response = _pay(browser, booking, method)

    assert response.status_code == 200
    expected = CARD_NEEDS_JAVASCRIPT if method == "" else UNREADABLE
    assert response.context["form"].errors == {"payment_method": [expected]}
    assert expected in response.content.decode().replace("&#x27;", "'")
    assert stripe_charges == []
    assert changed_tables(before, data_snapshot()) == []
    assert not Movement.objects.exists()
    assert Booking.objects.get().status == "requested"


def test_with_the_local_gateway_a_stripe_payment_method_id_is_refused(browser_as, customer, booking):
    response = _pay(browser_as(customer), booking, "pm_1QxYz2AbCdEf")

    assert response.status_code == 200
    assert response.context["form"].errors == {"payment_method": ["Choose one of the test cards."]}
    assert not Transaction.objects.exists()
    assert messages_of(response) == []
