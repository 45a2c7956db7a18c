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
# Organizers' documents: a file larger than this is a scan gone wrong (and a full disk), and a
# reminder earlier than this is forgotten by the time it matters.
MAX_UPLOAD_MB = 50
MAX_REMINDER_DAYS = 90
# External calendars: a read must end well inside a job's timeout (Q_CLUSTER["timeout"], 30 s);
# a calendar larger than this is not an organizer's diary; reading more often than every
# 5 minutes would hammer the calendar providers.
MAX_CALENDAR_FETCH_SECONDS = 25
MAX_CALENDAR_BYTES = 20 * 1024 * 1024
MIN_CALENDAR_REFRESH_MINUTES = 5
MAX_CALENDAR_REFRESH_MINUTES = 24 * 60


def setting_between(name: str, low: int, high: int, *, hint: str, id: str) -> list[Error]:
    """The error for a whole-number setting outside [low, high], or none."""
    value = getattr(settings, name)
    if low <= value <= high:
        return []
    return [Error(f"{name} is {value}; it must be between {low} and {high}.", hint=hint, id=id)]


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
    errors += setting_between(
        "BOOKING_RESPONSE_WINDOW_HOURS",
        1,
        LONGEST_RESPONSE_WINDOW_HOURS,
        hint="A request's payment is only authorised on the customer's card, and card networks release "
        "an authorisation after 7 days: a request must expire well before.",
        id="marketplace.E003",
    )
    return errors


@register()
def check_vendor_document_settings(app_configs, **kwargs) -> list[Error]:
    """Organizers' documents: the largest file and how early the reminder goes."""
    errors = []
    if not 0 < settings.VENDOR_DOCUMENT_MAX_MB <= MAX_UPLOAD_MB:
        errors.append(
            Error(
                f"VENDOR_DOCUMENT_MAX_MB is {settings.VENDOR_DOCUMENT_MAX_MB:g}; it must be above 0 and at most "
                f"{MAX_UPLOAD_MB}.",
                hint="The largest document file an organizer may upload, in MB (default 10).",
                id="marketplace.E004",
            )
        )
    errors += setting_between(
        "VENDOR_DOCUMENT_REMINDER_DAYS",
        1,
        MAX_REMINDER_DAYS,
        hint="How many days before a document expires its organizer is reminded (default 14).",
        id="marketplace.E005",
    )
    return errors


@register()
def check_calendar_settings(app_configs, **kwargs) -> list[Error]:
    """External calendars: how long one read may take, how large it may be, how often it is read."""
    return [
        *setting_between(
            "CALENDAR_FETCH_TIMEOUT_SECONDS",
            1,
            MAX_CALENDAR_FETCH_SECONDS,
            hint="A calendar is read inside a job that the worker stops after 30 seconds (default 15).",
            id="marketplace.E006",
        ),
        *setting_between(
            "CALENDAR_MAX_BYTES",
            1024,
            MAX_CALENDAR_BYTES,
            hint="The largest calendar file read, in bytes (default 2 MB).",
            id="marketplace.E007",
        ),
        *setting_between(
            "CALENDAR_REFRESH_MINUTES",
            MIN_CALENDAR_REFRESH_MINUTES,
            MAX_CALENDAR_REFRESH_MINUTES,
            hint="How often each organizer's external calendar is read again (default 30).",
            id="marketplace.E008",
        ),
    ]
