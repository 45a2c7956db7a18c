"""Start-up checks of the marketplace's own settings (run by ``manage.py check`` and before ``migrate``).

A wrong value here would otherwise surface much later, in the middle of a customer's
payment or an organizer's first service, as a 500.
"""

from django.conf import settings
from django.core.checks import Error, register

from .money import SUPPORTED_CURRENCIES

# A request's payment is only authorised on the card until the organizer answers. Card networks
# keep an online, customer-initiated authorisation for 7 days (Stripe: "Place a hold on a payment
# method"); an unanswered request must expire well before, with room for the expiry sweep and a
# capture retried after a timeout.
LONGEST_RESPONSE_WINDOW_HOURS = 5 * 24


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
    if not 1 <= settings.BOOKING_RESPONSE_WINDOW_HOURS <= LONGEST_RESPONSE_WINDOW_HOURS:
        errors.append(
            Error(
                f"BOOKING_RESPONSE_WINDOW_HOURS is {settings.BOOKING_RESPONSE_WINDOW_HOURS}; it must be between 1 "
                f"and {LONGEST_RESPONSE_WINDOW_HOURS}.",
                hint="A request's payment is only authorised on the customer's card, and card networks release "
                "an authorisation after 7 days: a request must expire well before.",
                id="marketplace.E003",
            )
        )
    return errors
