from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import GatewayResult, PaymentGateway

__all__ = ["GatewayResult", "PaymentGateway", "get_gateway"]


def get_gateway() -> PaymentGateway:
    """The gateway named by settings.PAYMENTS_GATEWAY."""
    if settings.PAYMENTS_GATEWAY == "local":
        from .local import LocalGateway

        return LocalGateway()
    raise ImproperlyConfigured(f"Unknown PAYMENTS_GATEWAY {settings.PAYMENTS_GATEWAY!r}; available: 'local'.")
