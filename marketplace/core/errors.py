"""One error type for every broken rule, with a stable machine-readable code.

Domain services raise these; each face has one handler that turns them into a clear
4xx (JSON for the API, a message on the page for the storefront). A 500 is a bug.
"""


class DomainError(Exception):
    code = "invalid"
    status = 400
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, code: str | None = None, field: str | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.field = field
        super().__init__(self.message)


class ValidationFailed(DomainError):
    """The input is well-formed but breaks a rule (a past date, an unknown timezone...)."""

    code = "validation_failed"
    status = 400


class NotFound(DomainError):
    """The object does not exist, or the user may not know that it exists."""

    code = "not_found"
    status = 404
    default_message = "Not found."


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    default_message = "You are not allowed to do this."


class Conflict(DomainError):
    """The request clashes with the current state (an illegal transition, a taken slot)."""

    code = "conflict"
    status = 409


class InvalidTransition(Conflict):
    code = "invalid_transition"


class PaymentFailed(DomainError):
    code = "payment_failed"
    status = 402
    default_message = "The payment was declined."


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401
    default_message = "Authentication credentials were not provided or are invalid."
