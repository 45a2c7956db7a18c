from datetime import datetime

from django import template
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.formats import date_format

from marketplace.bookings.models import BookingStatus
from marketplace.bookings.policy import status_label
from marketplace.catalog.models import Category
from marketplace.core.money import Money
from marketplace.disputes.models import DisputeStatus
from marketplace.payments.policy import EscrowState
from marketplace.vendors.models import DocumentStatus, VerificationStatus

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


# The states an entry's "from" and "to" name, by the kind of object its action is about.
STATES_BY_ACTION = {
    "booking": BookingStatus,
    "escrow": EscrowState,
    "payment": EscrowState,
    "dispute": DisputeStatus,
    "vendor": VerificationStatus,
    "vendor_document": DocumentStatus,
}


# Actions whose "from" and "to" are amounts in minor units.
MONEY_CHANGES = {"category.minimum_fee_changed"}

# A booking's moves (bookings.services booking_reschedule*): their "from", "to" and "proposed" are start times.
MOVES = {"booking.rescheduled", "booking.reschedule_proposed", "booking.reschedule_declined"}
MOVE_TIMES = {"from", "to", "proposed"}
# Who moved a booking ("by" of booking.rescheduled).
MOVED_BY = {
    "customer": "the customer",
    "staff": "support staff",
    "organizer": "the customer, accepting the organizer's proposal",
}

# Actions whose code says too little on its own.
ACTION_WORDS = {
    "booking.rescheduled": "Booking moved to another time",
    "booking.reschedule_proposed": "Organizer proposed another time",
    "booking.reschedule_declined": "Customer declined the proposed time",
}


def _moment_text(value) -> str:
    """A start time kept as ISO 8601, in the reader's time zone with its abbreviation: "Dec. 10, 2026, 10 a.m. EST"."""
    try:
        moment = timezone.localtime(datetime.fromisoformat(value))
    except (TypeError, ValueError):  # not a moment after all: say it as it is
        return str(value)
    return f"{date_format(moment, 'DATETIME_FORMAT')} {moment.tzname()}"


def _field_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a key that is not a field: say it as it is
        return name.removesuffix("_minor").replace("_", " ")


def _detail_value(key: str, value, currency: str, *, action: str = "") -> str:
    if action in MOVES:
        if key in MOVE_TIMES:
            return _moment_text(value)
        if key == "by":
            return MOVED_BY.get(value, str(value))
    if key.endswith("_minor") and isinstance(value, int) and not isinstance(value, bool):
        return Money(value, currency).format()
    if key in ("from", "to"):
        if action in MONEY_CHANGES and isinstance(value, int):
            return Money(value, currency).format()
        if isinstance(value, dict):  # fields edited: their values before or after
            model = Category if action.startswith("category.") else None
            return "; ".join(
                f"{_field_label(model, name) if model else name}: {_detail_value(name, item, currency)}"
                for name, item in sorted(value.items())
            )
        states = STATES_BY_ACTION.get(action.split(".", 1)[0])
        if states is not None and value in states.values:
            return str(states(value).label)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "none"
    return str(value)


@register.filter
def audit_details(entry) -> list[tuple[str, str]]:
    """An audit entry's data in words and money: ("price", "$1,450.00") rather than price_minor: 145000.

    "from" and "to" are the state (or the edited fields' values) before and after the action.
    Amounts are in the marketplace's currency, the one every booking and payment is made in.
    """
    currency = settings.MARKETPLACE_CURRENCY
    labels = {"from": "before", "to": "after"}
    if entry.action in MOVES:
        labels = {"by": "moved by", "from": "from", "to": "to"}
    data = entry.data or {}
    # In a fixed order (PostgreSQL's jsonb keeps no insertion order): the details by name, then before and after.
    keys = sorted(key for key in data if key not in labels) + [key for key in labels if key in data]
    return [
        (
            labels.get(key, key.removesuffix("_minor").replace("_", " ")),
            _detail_value(key, data[key], currency, action=entry.action),
        )
        for key in keys
    ]


@register.filter
def audit_action(entry) -> str:
    """An audit action code in words: booking.quoted -> "Booking quoted"; some have words of their own."""
    if entry.action in ACTION_WORDS:
        return ACTION_WORDS[entry.action]
    return entry.action.replace(".", " ").replace("_", " ").capitalize()


@register.filter
def debit_credit(amount: Money) -> str:
    """A debit-positive balance as a bookkeeper writes it: "$300.00 Dr", "$45.00 Cr", or "$0.00"."""
    if amount.minor > 0:
        return f"{amount.format()} Dr"
    if amount.minor < 0:
        return f"{(-amount).format()} Cr"
    return amount.format()
