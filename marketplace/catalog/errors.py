"""Error codes of the catalog (see marketplace.core.errors)."""

from marketplace.core.errors import Conflict, NotFound


class ServiceNotFound(NotFound):
    """The service does not exist, is unpublished, or its organizer is not taking bookings."""

    code = "service_not_found"


class CategoryInUse(Conflict):
    """The category still has services (or a category page presents it), so it cannot be removed."""

    code = "category_in_use"
