"""Error codes of bookings (see marketplace.core.errors)."""

from marketplace.core.errors import Conflict, PermissionDenied


class CustomersOnly(PermissionDenied):
    """Only customer accounts can book and pay for services."""

    code = "customers_only"


class OutsideAvailability(Conflict):
    """The requested time is outside the organizer's working hours."""

    code = "outside_availability"


class SlotUnavailable(Conflict):
    """The requested time overlaps another booking of the organizer (or the break the organizer keeps after it),
    or a busy time in one of the organizer's own calendars."""

    code = "slot_unavailable"


class AwaitingQuote(Conflict):
    """The organizer has not priced this quote request yet, so it cannot be paid."""

    code = "awaiting_quote"


class AwaitingPayment(Conflict):
    """The customer has not paid yet: the request can be accepted once payment is held."""

    code = "awaiting_payment"


class BookingStarted(Conflict):
    """The booking's start time has passed, so it can no longer be paid, accepted or cancelled."""

    code = "booking_started"


class NotStarted(Conflict):
    """The appointment has not started yet, so the work cannot be confirmed."""

    code = "not_started"


class RescheduleClosed(Conflict):
    """The booking can no longer be moved: its policy's reschedule window has passed, or it is not confirmed."""

    code = "reschedule_closed"


class NoProposal(Conflict):
    """The organizer has not proposed a new time for this booking (or it was already answered)."""

    code = "no_proposal"
