"""Error codes of disputes (see marketplace.core.errors)."""

from marketplace.core.errors import Conflict, ValidationFailed


class DisputeNotAllowed(Conflict):
    """The booking cannot be disputed now: it has not started, or its money was already paid out or refunded."""

    code = "dispute_not_allowed"


class AlreadyDisputed(Conflict):
    """The booking already has a dispute (one per booking, even once it is resolved or withdrawn)."""

    code = "already_disputed"


class DisputeClosed(Conflict):
    """The dispute was resolved or withdrawn: it can no longer be answered, added to or decided."""

    code = "dispute_closed"


class AlreadyAnswered(Conflict):
    """The other side has already answered this dispute."""

    code = "already_answered"


class ResponseTooLate(Conflict):
    """The deadline to answer the dispute has passed: it is with the support team, who may still ask."""

    code = "response_too_late"


class EvidenceRefused(ValidationFailed):
    """An evidence file of a type, a size or a number the marketplace does not accept."""

    code = "evidence_refused"
