"""Error codes of the catalog (see marketplace.core.errors)."""

from marketplace.core.errors import NotFound


class ServiceNotFound(NotFound):
    """The service does not exist, is unpublished, or its organizer is not taking bookings."""

    code = "service_not_found"
