"""The Stripe gateway's fixtures: a Stripe server (localstripe on 127.0.0.1), and the recording fake.

Nothing here reaches the network: localstripe listens on a loopback socket for the
session, and the fake answers inside the SDK (see fake_stripe.py). With
``STRIPE_TEST_SECRET_KEY=sk_test_...`` in the environment, the server tests
(test_localstripe.py) run against that real Stripe test account instead, and the few
that use localstripe's own endpoints are skipped.
"""

import os
from dataclasses import dataclass

import pytest
import stripe

from marketplace.payments.gateways import get_gateway
from marketplace.payments.gateways.stripe import StripeGateway

from .fake_stripe import FakeStripe
from .localstripe_server import LocalStripeServer, patch_localstripe

SECRET_KEY = "sk_test_tidynest_0000000000000000"
REAL_STRIPE_KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")
if REAL_STRIPE_KEY and not REAL_STRIPE_KEY.startswith("sk_test_"):
    raise pytest.UsageError("STRIPE_TEST_SECRET_KEY must be a test-mode key (sk_test_...)")

localstripe_only = pytest.mark.skipif(bool(REAL_STRIPE_KEY), reason="uses localstripe's own endpoints")


@dataclass(frozen=True)
class StripeServer:
    secret_key: str
    api_base: str  # empty: api.stripe.com


@pytest.fixture(scope="session")
def stripe_server():
    """localstripe for the whole session (stopped at its end), or the real test account when one is given."""
    if REAL_STRIPE_KEY:
        yield StripeServer(secret_key=REAL_STRIPE_KEY, api_base="")
        return
    with pytest.MonkeyPatch.context() as monkeypatch:
        patch_localstripe(monkeypatch)
        server = LocalStripeServer()
        try:
            yield StripeServer(secret_key=SECRET_KEY, api_base=server.start())
        finally:
            server.stop()


@pytest.fixture
def localstripe_url(stripe_server) -> str:
    assert stripe_server.api_base, "localstripe_only tests need localstripe"
    return stripe_server.api_base


@pytest.fixture
def server_gateway(settings, stripe_server) -> StripeGateway:
    """The gateway as the money service gets it (get_gateway, from the settings), talking to the Stripe server."""
    settings.PAYMENTS_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = stripe_server.secret_key
    settings.STRIPE_API_BASE = stripe_server.api_base
    gateway = get_gateway()
    assert isinstance(gateway, StripeGateway)
    return gateway


@pytest.fixture
def server_client(stripe_server) -> stripe.StripeClient:
    """A plain SDK client on the Stripe server, to check what the gateway made and to play the customer's browser."""
    base_addresses = {"api": stripe_server.api_base} if stripe_server.api_base else None
    return stripe.StripeClient(stripe_server.secret_key, base_addresses=base_addresses, max_network_retries=0)


@pytest.fixture
def fake_stripe() -> FakeStripe:
    return FakeStripe()


@pytest.fixture
def fake_gateway(fake_stripe) -> StripeGateway:
    """The gateway with its SDK client's HTTP layer replaced by the recording fake."""
    return StripeGateway(client=stripe.StripeClient(SECRET_KEY, http_client=fake_stripe, max_network_retries=0))
