from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from marketplace.core.db import in_transaction, is_replaying

from .base import GatewayObject, GatewayResult, GatewayTimeout, GatewayUnavailable, PaymentGateway

__all__ = [
    "GatewayObject",
    "GatewayResult",
    "GatewayTimeout",
    "GatewayUnavailable",
    "PaymentGateway",
    "assert_outside_transaction",
    "get_gateway",
]


class GatewayCalledInTransaction(RuntimeError):
    """A programming error: the gateway was about to be called while a transaction (and its row locks) is open."""


def assert_outside_transaction() -> None:
    """Refuse to call a payment gateway inside a database transaction.

    A slow or hanging provider would otherwise hold row locks for as long as it takes,
    and a rollback after the call would forget money that moved. Every gateway call goes
    through ``payments.services.movement_execute``, which checks this first. The one
    exception is the demo's replay of history on the local gateway (``core.db.replaying``).
    """
    if in_transaction() and not (is_replaying() and settings.PAYMENTS_GATEWAY == "local"):
        raise GatewayCalledInTransaction("A payment gateway must not be called inside a database transaction.")


def get_gateway() -> PaymentGateway:
    """The gateway named by settings.PAYMENTS_GATEWAY."""
    if settings.PAYMENTS_GATEWAY == "local":
        from .local import LocalGateway

        return LocalGateway()
    if settings.PAYMENTS_GATEWAY == "stripe":
        if not settings.STRIPE_SECRET_KEY:
            raise ImproperlyConfigured("PAYMENTS_GATEWAY is 'stripe' but STRIPE_SECRET_KEY is empty.")
        from .stripe import StripeGateway

        return StripeGateway()
    raise ImproperlyConfigured(f"Unknown PAYMENTS_GATEWAY {settings.PAYMENTS_GATEWAY!r}; available: 'local', 'stripe'.")
