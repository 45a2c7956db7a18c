"""The Stripe gateway's fixtures: localstripe on 127.0.0.1, and the recording fake.

Nothing here reaches the network: localstripe listens on a loopback socket for the
session, and the fake answers inside the SDK (see fake_stripe.py).
"""

import pytest
import stripe

from marketplace.payments.gateways import get_gateway
from marketplace.payments.gateways.stripe import StripeGateway

from .fake_stripe import FakeStripe
from .localstripe_server import LocalStripeServer, patch_localstripe

SECRET_KEY = "sk_test_tidynest_0000000000000000"


@pytest.fixture(scope="session")
def localstripe_url():
    """localstripe's address, for the whole session; stopped at its end."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        patch_localstripe(monkeypatch)
        server = LocalStripeServer()
        try:
            yield server.start()
        finally:
            server.stop()


@pytest.fixture
def stripe_settings(settings, localstripe_url):
    settings.PAYMENTS_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_API_BASE = localstripe_url
    return settings


@pytest.fixture
def localstripe_gateway(stripe_settings) -> StripeGateway:
    """The gateway as the money service gets it (get_gateway), talking to localstripe."""
    gateway = get_gateway()
    assert isinstance(gateway, StripeGateway)
    return gateway


@pytest.fixture
def localstripe_client(localstripe_url) -> stripe.StripeClient:
    """A plain SDK client on localstripe, to set up what a customer's browser would (a card, 3-D Secure)."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": localstripe_url}, max_network_retries=0)


@pytest.fixture
def fake_stripe() -> FakeStripe:
    return FakeStripe()


@pytest.fixture
def fake_gateway(fake_stripe) -> StripeGateway:
    """The gateway with its SDK client's HTTP layer replaced by the recording fake."""
    return StripeGateway(client=stripe.StripeClient(SECRET_KEY, http_client=fake_stripe, max_network_retries=0))
