"""The checkout's "Authenticate your payment" step, and the storefront's Content-Security-Policy.

With the local gateway the step is the bank's stand-in (Approve / Fail); with the Stripe
gateway configured the page loads Stripe.js and our static script, and only then does
the policy allow Stripe's origins.
"""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from marketplace.bookings.models import Booking
from marketplace.payments.gateways.base import GatewayResult, PaymentStatus
from marketplace.payments.gateways.stripe import StripeGateway
from marketplace.payments.models import LocalGatewayOperation, Movement, Transaction
from storefront.security import content_security_policy
from tests.conftest import local_slot
from tests.payments.money_checks import assert_money_invariants
from tests.snapshots import changed_tables, data_snapshot

from .conftest import messages_of, requested

pytestmark = pytest.mark.django_db

THREE_D_SECURE = "pm_card_threeDSecure2Required"
STRIPE = {
    "PAYMENTS_GATEWAY": "stripe",
    "STRIPE_SECRET_KEY": "sk_test_x",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_<x>",
    "STRIPE_JS_URL": "https://js.stripe.com/v3/",
}


@pytest.fixture
def booking(customer, service):
    return requested(customer=customer, service=service, starts_at=local_slot(days_ahead=3))


def _csp(response) -> dict[str, list[str]]:
    return {
        name: values
        for name, *values in (directive.split() for directive in response["Content-Security-Policy"].split(";"))
    }


def _pay(browser, booking, method=THREE_D_SECURE):
    return browser.post(reverse("storefront:booking_pay", args=[booking.pk]), {"payment_method": method})


def _step(browser, booking, decision, reference=None):
    reference = reference or Movement.objects.get(booking=booking).gateway_reference
    return browser.post(
        reverse("storefront:booking_pay_local_step", args=[booking.pk]),
        {"payment_reference": reference, "decision": decision},
        follow=True,
    )


def test_a_card_that_needs_authentication_leads_to_the_step(browser_as, customer, booking):
    browser = browser_as(customer)

    response = _pay(browser, booking)

    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:booking_pay_authenticate", args=[booking.pk])
    page = browser.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "Authenticate your payment" in html
    assert "Approve" in html and "Fail" in html
    assert Movement.objects.get().gateway_reference in html
    assert "_secret_" not in html  # the local step needs no client secret in the page
    assert '<script src="https://js.stripe.com' not in html
    assert "payment_step.js" not in html
    assert Booking.objects.get().status == "requested"


def test_approved_the_booking_is_paid_and_confirmed(browser_as, customer, booking):
    browser = browser_as(customer)
    _pay(browser, booking)

    response = _step(browser, booking, "approve")

    assert response.redirect_chain[-1][0] == reverse("storefront:booking_detail", args=[booking.pk])
    assert messages_of(response) == ["Payment received: $300.00 is held in escrow. Your booking is confirmed."]
    assert Booking.objects.get().status == "confirmed"
    assert Transaction.objects.get().status == "held"
    assert assert_money_invariants()["captured"] == 30000


def test_failed_the_customer_is_back_at_the_checkout_and_another_card_pays(browser_as, customer, booking):
    browser = browser_as(customer)
    _pay(browser, booking)

    response = _step(browser, booking, "fail")

    assert response.redirect_chain[-1][0] == reverse("storefront:booking_pay", args=[booking.pk])
    assert messages_of(response) == ["Your bank could not confirm the payment; nothing was charged. Try another card."]
    assert not Transaction.objects.exists()

    paid = browser.post(
        reverse("storefront:booking_pay", args=[booking.pk]), {"payment_method": "pm_card_visa"}, follow=True
    )

    assert paid.redirect_chain[-1][0] == reverse("storefront:booking_detail", args=[booking.pk])
    assert Booking.objects.get().status == "confirmed"
    assert assert_money_invariants()["captured"] == 30000


def test_the_step_reopened_after_paying_again_charges_once(browser_as, customer, booking):
    browser = browser_as(customer)
    _pay(browser, booking)

    again = _pay(browser, booking, method="pm_card_visa")

    assert again["Location"] == reverse("storefront:booking_pay_authenticate", args=[booking.pk])
    assert LocalGatewayOperation.objects.count() == 1


def test_the_checkout_sends_the_customer_back_to_an_open_step(browser_as, customer, booking):
    browser = browser_as(customer)
    _pay(browser, booking)

    response = browser.get(reverse("storefront:booking_pay", args=[booking.pk]))

    assert response["Location"] == reverse("storefront:booking_pay_authenticate", args=[booking.pk])


def test_after_a_failed_step_the_checkout_shows_the_cards_again(browser_as, customer, booking):
    browser = browser_as(customer)
    _pay(browser, booking)
    _step(browser, booking, "fail")

    response = browser.get(reverse("storefront:booking_pay", args=[booking.pk]))

    assert response.status_code == 200
    assert "Visa ending 3155" in response.content.decode()


def test_another_customer_cannot_see_or_answer_the_step(browser_as, customer, other_customer, booking):
    _pay(browser_as(customer), booking)
    stranger = browser_as(other_customer)
    before = data_snapshot()

    page = stranger.get(reverse("storefront:booking_pay_authenticate", args=[booking.pk]))
    answer = stranger.post(
        reverse("storefront:booking_pay_local_step", args=[booking.pk]),
        {"payment_reference": Movement.objects.get().gateway_reference, "decision": "approve"},
    )

    assert (page.status_code, answer.status_code) == (404, 404)
    assert changed_tables(before, data_snapshot()) == []
    assert LocalGatewayOperation.objects.get().status == "requires_action"


def test_a_payment_of_another_booking_is_refused_and_nothing_is_written(browser_as, customer, service, booking):
    browser = browser_as(customer)
    other = requested(customer=customer, service=service, starts_at=local_slot(days_ahead=4))
    _pay(browser, booking)
    _pay(browser, other)
    foreign = Movement.objects.get(booking=other).gateway_reference
    before = data_snapshot()

    response = _step(browser, booking, "approve", reference=foreign)

    assert messages_of(response) == ["That payment does not belong to this booking, or waits for no authentication."]
    assert changed_tables(before, data_snapshot()) == []
    assert set(LocalGatewayOperation.objects.values_list("status", flat=True)) == {"requires_action"}


def test_the_step_page_without_a_step_sends_the_customer_to_the_checkout(browser_as, customer, booking):
    response = browser_as(customer).get(reverse("storefront:booking_pay_authenticate", args=[booking.pk]))

    assert response["Location"] == reverse("storefront:booking_pay", args=[booking.pk])


def test_user_typed_text_on_the_step_page_is_escaped(browser_as, customer, service):
    booking = requested(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    Booking.objects.filter(pk=booking.pk).update(address='<script>alert("x")</script> 1 Main St')
    browser = browser_as(customer)
    _pay(browser, booking)

    html = browser.get(reverse("storefront:booking_pay_authenticate", args=[booking.pk])).content.decode()

    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; 1 Main St" in html


# --- Stripe: Stripe.js and our script, only when Stripe is configured -----------------------------


@pytest.fixture
def stripe_step(monkeypatch):
    """The Stripe gateway answering a PaymentIntent that waits for 3-D Secure (no network)."""
    waiting = GatewayResult(reference="pi_3ds", status=PaymentStatus.REQUIRES_ACTION, client_secret="pi_3ds_secret_x")
    monkeypatch.setattr(StripeGateway, "charge", lambda self, **kwargs: waiting)
    monkeypatch.setattr(StripeGateway, "payment_status", lambda self, **kwargs: waiting)
    return waiting


@override_settings(**STRIPE)
def test_with_stripe_the_step_loads_stripe_js_and_our_script(browser_as, customer, booking, stripe_step):
    browser = browser_as(customer)
    _pay(browser, booking)

    page = browser.get(reverse("storefront:booking_pay_authenticate", args=[booking.pk]))

    html = page.content.decode()
    assert '<script src="https://js.stripe.com/v3/"></script>' in html
    assert re.search(r'<script src="/static/js/payment_step[^"]*\.js" defer></script>', html)
    assert 'data-client-secret="pi_3ds_secret_x"' in html
    assert 'data-publishable-key="pk_test_&lt;x&gt;"' in html  # escaped like any other value
    assert 'name="payment_reference" value="pi_3ds"' in html
    assert reverse("storefront:booking_pay_confirm", args=[booking.pk]) in html
    assert "Approve" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline script"
    policy = _csp(page)
    assert policy["script-src"] == ["'self'", "https://js.stripe.com"]
    assert policy["frame-src"] == ["https://js.stripe.com", "https://hooks.stripe.com"]
    assert policy["connect-src"] == ["'self'", "https://js.stripe.com", "https://api.stripe.com"]


@override_settings(**STRIPE)
def test_with_stripe_the_local_stand_in_does_not_exist(browser_as, customer, booking, stripe_step):
    browser = browser_as(customer)
    _pay(browser, booking)

    response = browser.post(
        reverse("storefront:booking_pay_local_step", args=[booking.pk]),
        {"payment_reference": "pi_3ds", "decision": "approve"},
    )

    assert response.status_code == 404


@override_settings(**STRIPE)
def test_with_stripe_the_confirmation_asks_stripe_and_pays_only_when_it_says_so(
    browser_as, customer, booking, stripe_step, monkeypatch
):
    browser = browser_as(customer)
    _pay(browser, booking)
    confirm = reverse("storefront:booking_pay_confirm", args=[booking.pk])

    still_waiting = browser.post(confirm, {"payment_reference": "pi_3ds"}, follow=True)

    assert still_waiting.redirect_chain[-1][0] == reverse("storefront:booking_pay_authenticate", args=[booking.pk])
    assert "Your bank has not confirmed the payment yet." in messages_of(still_waiting)[0]
    assert not Transaction.objects.exists()

    succeeded = GatewayResult(reference="pi_3ds", status=PaymentStatus.SUCCEEDED)
    monkeypatch.setattr(StripeGateway, "payment_status", lambda self, **kwargs: succeeded)
    paid = browser.post(confirm, {"payment_reference": "pi_3ds"}, follow=True)

    assert messages_of(paid) == ["Payment received: $300.00 is held in escrow. Your booking is confirmed."]
    assert Transaction.objects.get().payment_reference == "pi_3ds"


# --- The Content-Security-Policy --------------------------------------------------------------------


def test_storefront_pages_get_a_strict_policy_without_stripe(client, browser_as, customer, booking):
    for response in (
        client.get("/"),
        client.get(reverse("storefront:search")),
        browser_as(customer).get(reverse("storefront:booking_pay", args=[booking.pk])),
    ):
        assert response.status_code == 200
        policy = _csp(response)
        assert policy["script-src"] == ["'self'"]
        assert policy["frame-src"] == ["'none'"]
        assert policy["connect-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert "stripe" not in response["Content-Security-Policy"]
        assert "js.stripe.com" not in response.content.decode()


@override_settings(PAYMENTS_GATEWAY="stripe", STRIPE_SECRET_KEY="sk_test_x", STRIPE_PUBLISHABLE_KEY="")
def test_without_a_publishable_key_stripe_js_is_not_allowed(client):
    assert "stripe" not in client.get("/")["Content-Security-Policy"]


@override_settings(PAYMENTS_GATEWAY="local", STRIPE_PUBLISHABLE_KEY="pk_test_x")
def test_a_publishable_key_alone_does_not_allow_stripe_js():
    assert "stripe" not in content_security_policy()


def test_the_admin_and_the_api_keep_their_own_rules(client, admin_user):
    client.force_login(admin_user)

    for path in ("/admin/", "/api/v1/docs", "/api/v1/health"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Content-Security-Policy" not in response, path


def test_the_storefront_page_scripts_are_all_from_our_own_origin(client):
    html = client.get("/").content.decode()

    sources = re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", html)
    assert sources and all(source.startswith("/static/") for source in sources)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
