"""Error codes of availability and external calendars (see marketplace.core.errors)."""

from marketplace.core.errors import NotFound, ValidationFailed


class CalendarAddressRefused(ValidationFailed):
    """The calendar's address cannot be read from: not an http(s) address, or it points at a private network."""

    code = "calendar_address_refused"


class CalendarNotFound(NotFound):
    """The external calendar does not exist, or is another organizer's."""

    code = "calendar_not_found"
