"""Error codes of reviews (see marketplace.core.errors)."""

from marketplace.core.errors import Conflict


class AlreadyReviewed(Conflict):
    """The booking already has its review (one per booking)."""

    code = "already_reviewed"
