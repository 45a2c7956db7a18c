from django import template
from django.conf import settings

from marketplace.bookings.models import BookingStatus
from marketplace.bookings.policy import status_label
from marketplace.core.money import Money

register = template.Library()


@register.filter
def debit(line) -> str:
    """A ledger line's debit side (positive amounts), blank for a credit."""
    return Money(line.amount_minor, line.currency).format() if line.amount_minor > 0 else ""


@register.filter
def credit(line) -> str:
    """A ledger line's credit side (negative amounts, shown positive), blank for a debit."""
    return Money(-line.amount_minor, line.currency).format() if line.amount_minor < 0 else ""


@register.filter
def staff_status(booking) -> str:
    """The booking's status as staff read it: an open request says what it waits for."""
    return status_label(booking, audience="staff")


def _detail_value(key: str, value, currency: str) -> str:
    if key.endswith("_minor") and isinstance(value, int) and not isinstance(value, bool):
        return Money(value, currency).format()
    if key in ("from", "to") and value in BookingStatus.values:
        return BookingStatus(value).label
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "none"
    return str(value)


@register.filter
def audit_details(entry) -> list[tuple[str, str]]:
    """An audit entry's data in words and money: ("price", "$1,450.00") rather than price_minor: 145000.

    Amounts are in the marketplace's currency, the one every booking and payment is made in.
    """
    currency = settings.MARKETPLACE_CURRENCY
    return [
        (key.removesuffix("_minor").replace("_", " "), _detail_value(key, value, currency))
        for key, value in (entry.data or {}).items()
    ]


@register.filter
def audit_action(entry) -> str:
    """An audit action code in words: booking.quoted -> "Booking quoted"."""
    return entry.action.replace(".", " ").replace("_", " ").capitalize()


@register.filter
def debit_credit(amount: Money) -> str:
    """A debit-positive balance as a bookkeeper writes it: "$300.00 Dr", "$45.00 Cr", or "$0.00"."""
    if amount.minor > 0:
        return f"{amount.format()} Dr"
    if amount.minor < 0:
        return f"{(-amount).format()} Cr"
    return amount.format()
