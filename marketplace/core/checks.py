"""Start-up checks of the marketplace's own settings (run by ``manage.py check`` and before ``migrate``).

A wrong value here would otherwise surface much later, in the middle of a customer's
payment or an organizer's first service, as a 500.
"""

from django.conf import settings
from django.core.checks import Error, register

from .money import SUPPORTED_CURRENCIES


@register()
def check_marketplace_money_settings(app_configs, **kwargs) -> list[Error]:
    errors = []
    currency = settings.MARKETPLACE_CURRENCY
    if currency not in SUPPORTED_CURRENCIES:
        errors.append(
            Error(
                f"MARKETPLACE_CURRENCY is {currency!r}, which is not a supported currency.",
                hint=f"Use one of: {', '.join(SUPPORTED_CURRENCIES)} (an upper-case ISO 4217 code).",
                id="marketplace.E001",
            )
        )
    if settings.PLATFORM_MINIMUM_FEE_MINOR < 0:
        errors.append(
            Error(
                f"PLATFORM_MINIMUM_FEE_MINOR is {settings.PLATFORM_MINIMUM_FEE_MINOR}; it cannot be negative.",
                hint="Use 0 for no minimum, or the least fee in minor units of MARKETPLACE_CURRENCY.",
                id="marketplace.E002",
            )
        )
    return errors
