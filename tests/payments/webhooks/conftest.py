import pytest

from .stripe_events import SECRET


@pytest.fixture(autouse=True)
def stripe_webhook_secret(settings):
    """The endpoint's signing secret, as STRIPE_WEBHOOK_SECRETS would give it."""
    settings.STRIPE_WEBHOOK_SECRETS = [SECRET]
    settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300
    return SECRET
