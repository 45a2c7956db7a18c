"""The checkout's 3-D Secure wiring against localstripe, without a browser.

localstripe serves a stand-in for Stripe.js at ``/js.stripe.com/v3/``: a ``Stripe(key)``
whose ``confirmCardPayment(clientSecret)`` asks "confirm or cancel?" in a modal, then
posts ``/v1/payment_intents/{id}/_authenticate?success=...`` with the publishable key
and the client secret. It has no ``handleNextAction`` (our script uses it when Stripe.js
has it, and ``confirmCardPayment`` otherwise).

These tests check what can be checked without running the script: the step page
points at that Stripe.js, which localstripe serves and which exposes the function our
script calls; the Content-Security-Policy allows its origin; then, playing what the
stand-in's ``confirmCardPayment`` sends, a PaymentIntent made by the Stripe gateway
flows through our confirmation (paid when approved; refused, then paid with another
card, when the authentication fails).
"""

import json
import re
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from marketplace.bookings import services as bookings
from marketplace.bookings.models import Booking
from marketplace.payments.errors import AuthenticationFailed
from marketplace.payments.models import Movement, MovementState, Transaction
from marketplace.payments.selectors import escrow_held
from tests.conftest import local_slot
from tests.factories.bookings import request_booking

from .conftest import localstripe_only

pytestmark = [pytest.mark.django_db, localstripe_only]

PUBLISHABLE_KEY = "pk_test_tidynest_0000000000000000"
THREE_D_SECURE_CARD = "4000002500003155"  # localstripe takes raw numbers (Stripe's test card that asks for 3-D Secure)
PAYMENT_STEP_SCRIPT = Path(settings.BASE_DIR) / "static" / "js" / "payment_step.js"


@pytest.fixture
def stripe_checkout(settings, server_gateway, localstripe_url):
    """The Stripe gateway on localstripe, with the checkout loading localstripe's Stripe.js."""
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_JS_URL = f"{localstripe_url}/js.stripe.com/v3/"
    return server_gateway


def _three_d_secure_card(client) -> str:
    card = {"number": THREE_D_SECURE_CARD, "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    return client.v1.payment_methods.create(params={"type": "card", "card": card}).id


def _fetch(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read().decode()


def _stand_in_confirms(base_url: str, *, client_secret: str, success: bool) -> dict:
    """What localstripe's ``confirmCardPayment`` posts once the customer answered its modal."""
    payment_intent = client_secret.split("_secret_")[0]
    request = urllib.request.Request(
        f"{base_url}/v1/payment_intents/{payment_intent}/_authenticate?success={str(success).lower()}",
        data=json.dumps({"key": PUBLISHABLE_KEY, "client_secret": client_secret}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def _pay_with_three_d_secure(customer, service, server_client):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    outcome = bookings.booking_pay(
        customer=customer, booking_id=booking.pk, payment_method=_three_d_secure_card(server_client)
    )
    return booking, outcome


def test_the_step_page_loads_localstripes_stripe_js_which_has_what_our_script_calls(
    stripe_checkout, server_client, localstripe_url, client, customer, service
):
    booking, outcome = _pay_with_three_d_secure(customer, service, server_client)
    assert outcome.requires_action
    assert outcome.action.payment_reference.startswith("pi_")
    assert outcome.action.client_secret.startswith(f"{outcome.action.payment_reference}_secret_")
    client.force_login(customer)

    page = client.get(reverse("storefront:booking_pay_authenticate", args=[booking.pk]))

    html = page.content.decode()
    [stripe_js] = re.findall(r'<script src="([^"]+)"></script>', html)
    assert stripe_js == f"{localstripe_url}/js.stripe.com/v3/"
    assert f'data-client-secret="{outcome.action.client_secret}"' in html
    assert f'data-publishable-key="{PUBLISHABLE_KEY}"' in html
    status, content_type, script = _fetch(stripe_js)
    assert (status, content_type.split(";")[0]) == (200, "application/javascript")
    assert "window.Stripe = " in script or "Stripe = " in script
    assert "confirmCardPayment: async (clientSecret" in script  # what our script calls when there is no...
    assert "handleNextAction" not in script  # ...handleNextAction, which localstripe does not implement
    ours = PAYMENT_STEP_SCRIPT.read_text()
    assert "stripe.handleNextAction({ clientSecret: clientSecret })" in ours
    assert "stripe.confirmCardPayment(clientSecret)" in ours
    assert f"script-src 'self' {localstripe_url};" in page["Content-Security-Policy"]
    assert f"connect-src 'self' {localstripe_url} https://api.stripe.com;" in page["Content-Security-Policy"]


def test_approved_through_the_stand_in_the_confirmation_pays_the_booking(
    stripe_checkout, server_client, localstripe_url, client, customer, service
):
    booking, outcome = _pay_with_three_d_secure(customer, service, server_client)
    client.force_login(customer)
    assert Movement.objects.get().state == MovementState.PENDING

    answered = _stand_in_confirms(localstripe_url, client_secret=outcome.action.client_secret, success=True)
    response = client.post(
        reverse("storefront:booking_pay_confirm", args=[booking.pk]),
        {"payment_reference": outcome.action.payment_reference},
    )

    assert answered["status"] == "succeeded"
    assert response["Location"] == reverse("storefront:booking_detail", args=[booking.pk])
    assert Booking.objects.get().status == "confirmed"
    payment = Transaction.objects.get()
    assert (payment.status, payment.gateway, payment.payment_reference) == (
        "held",
        "stripe",
        outcome.action.payment_reference,
    )
    assert escrow_held(currency="USD") == 30000


def test_a_failed_authentication_through_the_stand_in_is_refused_then_another_card_pays(
    stripe_checkout, server_client, localstripe_url, customer, service
):
    booking, outcome = _pay_with_three_d_secure(customer, service, server_client)

    _stand_in_confirms(localstripe_url, client_secret=outcome.action.client_secret, success=False)
    with pytest.raises(AuthenticationFailed) as refused:
        bookings.booking_payment_confirm(
            customer=customer, booking_id=booking.pk, payment_reference=outcome.action.payment_reference
        )

    assert "failed authentication" in refused.value.message
    assert refused.value.message.endswith("Nothing was charged.")
    assert not Transaction.objects.exists()
    assert Booking.objects.get().status == "requested"

    paid = bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa")

    assert not paid.requires_action
    assert paid.booking.status == "confirmed"
    assert Transaction.objects.get().payment_reference != outcome.action.payment_reference


def test_paying_again_during_the_step_asks_stripe_and_makes_no_second_payment_intent(
    stripe_checkout, server_client, customer, service
):
    booking, outcome = _pay_with_three_d_secure(customer, service, server_client)
    made_before = len(server_client.v1.payment_intents.list(params={"limit": 100}).data)

    again = bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa")

    assert again.action == outcome.action
    assert Movement.objects.count() == 1
    assert len(server_client.v1.payment_intents.list(params={"limit": 100}).data) == made_before
