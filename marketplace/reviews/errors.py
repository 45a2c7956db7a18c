"""Error codes of reviews (see marketplace.core.errors)."""

from marketplace.core.errors import Conflict


class AlreadyReviewed(Conflict):
    """The booking already has its review (one per booking)."""

    code = "already_reviewed"


class DisputeOpen(Conflict):
    """The booking is disputed: its review waits until the dispute is resolved."""

    code = "dispute_open"
