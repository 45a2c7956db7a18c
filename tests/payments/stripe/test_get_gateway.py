"""get_gateway() gives the Stripe gateway for PAYMENTS_GATEWAY="stripe", and refuses it without a key."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from marketplace.payments.gateways import get_gateway
from marketplace.payments.gateways.stripe import StripeGateway


def test_stripe_is_chosen_by_the_setting(settings):
    settings.PAYMENTS_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_tidynest_0000000000000000"

    gateway = get_gateway()

    assert isinstance(gateway, StripeGateway)
    assert gateway.name == "stripe"


def test_stripe_without_a_secret_key_is_refused(settings):
    settings.PAYMENTS_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = ""

    with pytest.raises(ImproperlyConfigured, match="STRIPE_SECRET_KEY is empty"):
        get_gateway()


def test_an_unknown_gateway_names_the_ones_there_are(settings):
    settings.PAYMENTS_GATEWAY = "paypal"

    with pytest.raises(ImproperlyConfigured, match="available: 'local', 'stripe'"):
        get_gateway()
