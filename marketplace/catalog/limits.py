"""What a service may be and how long a booking of it may last: each limit defined once.

The catalog and booking services enforce these, the database constraints repeat
them as a safety net, and the storefront's forms and the API's schemas read them
from here, so a form can never offer what a service would refuse.
"""

# Prices in minor units: $100,000.00 in a two-decimal currency, ¥10,000,000 in JPY (no
# decimals). Anything above is a typo, not a booking. It caps a service's price, an
# organizer's quote and a category's minimum fee alike.
MAX_PRICE_MINOR = 10_000_000

# A service's set length (fixed and quote pricing) or its shortest booking (hourly).
SERVICE_DURATION_MIN_MINUTES = 30
SERVICE_DURATION_MAX_MINUTES = 12 * 60
SERVICE_DURATION_STEP_MINUTES = 15

# An hourly booking lasts a multiple of this, from the service's minimum up to the maximum.
HOURLY_BOOKING_STEP_MINUTES = 30
HOURLY_BOOKING_MAX_MINUTES = 12 * 60


def hourly_shortest_booking(duration_minutes: int) -> int:
    """The shortest booking of an hourly service: its minimum, rounded up to the hourly step."""
    return duration_minutes + (-duration_minutes % HOURLY_BOOKING_STEP_MINUTES)


# Single-line texts (titles, names) and the longer ones, in characters.
SERVICE_TITLE_MAX_LENGTH = 120
SERVICE_SUMMARY_MAX_LENGTH = 240
SERVICE_DESCRIPTION_MAX_LENGTH = 10_000
CATEGORY_NAME_MAX_LENGTH = 120
