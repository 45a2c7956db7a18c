"""One error type for every broken rule, with a stable machine-readable code.

Each code is declared once, as a subclass of one of the kinds below in the
``errors`` module of the app whose rule it is (``marketplace/bookings/errors.py``
declares ``SlotUnavailable`` with the code ``slot_unavailable``). A raise site names
the class and writes the sentence a person reads; it never spells a code, so a code
cannot drift between two places. The class's docstring says what the code means:
the API documentation lists every code from there (``error_catalog``).

Domain services raise these; each face has one handler that turns them into a clear
4xx (JSON for the API, a message on the page for the storefront). A 500 is a bug.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass


class DomainError(Exception):
    """The request breaks a rule of the marketplace."""

    code = "invalid"
    status = 400
    default_message = "The request could not be processed."
    _codes: dict[str, type[DomainError]] = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            raise TypeError(f"{cls.__qualname__} must declare its own error code")
        known = DomainError._codes.get(cls.code)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise TypeError(f"error code {cls.code!r} is declared twice: {known.__qualname__} and {cls.__qualname__}")
        DomainError._codes[cls.code] = cls

    def __init__(self, message: str | None = None, *, field: str | None = None):
        self.message = message or self.default_message
        self.field = field
        super().__init__(self.message)


# --- The kinds of error: each fixes the HTTP status of every code declared under it. ----


class ValidationFailed(DomainError):
    """The input is well-formed but breaks a rule (a past date, an unknown time zone...)."""

    code = "validation_failed"
    status = 400


class NotAuthenticated(DomainError):
    """No credentials, or credentials that are not valid."""

    code = "not_authenticated"
    status = 401
    default_message = "Authentication credentials were not provided or are invalid."


class PaymentFailed(DomainError):
    """The payment gateway refused the payment."""

    code = "payment_failed"
    status = 402
    default_message = "The payment was declined."


class PermissionDenied(DomainError):
    """The signed-in user may not do this."""

    code = "permission_denied"
    status = 403
    default_message = "You are not allowed to do this."


class NotFound(DomainError):
    """The object does not exist, or the user may not know that it exists."""

    code = "not_found"
    status = 404
    default_message = "Not found."


class FailedJobGone(NotFound):
    """The failed background job was retried or deleted already (back office, Failed jobs)."""

    code = "failed_job_gone"
    default_message = "This failed job is no longer there: it was retried or deleted already."


class Conflict(DomainError):
    """The request clashes with the current state (a taken slot, a payment already made)."""

    code = "conflict"
    status = 409


class InvalidTransition(Conflict):
    """The object's status does not allow this change (e.g. accepting a cancelled booking)."""

    code = "invalid_transition"


class TooManyRequests(DomainError):
    """Too many attempts in a short time; wait and try again."""

    code = "too_many_requests"
    status = 429
    default_message = "Too many attempts. Please wait before trying again."

    def __init__(self, message: str | None = None, *, retry_after: int | None = None, field: str | None = None):
        super().__init__(message, field=field)
        # Whole seconds until an attempt may succeed again, when known (faces send it as Retry-After).
        self.retry_after = retry_after


# --- The catalogue of codes, for the API documentation ------------------------------------


@dataclass(frozen=True)
class ErrorCodeInfo:
    code: str
    status: int
    meaning: str
    app: str


def error_catalog() -> list[ErrorCodeInfo]:
    """Every error code declared so far, with its status and meaning, sorted by status then code.

    A code is known once the module declaring it is imported; the API imports every
    app's ``errors`` module before it lists them.
    """
    return sorted((error_info(cls) for cls in DomainError._codes.values()), key=lambda info: (info.status, info.code))


def error_info(cls: type[DomainError]) -> ErrorCodeInfo:
    """One error class's code, status and meaning (its docstring, on one line)."""
    return ErrorCodeInfo(
        code=cls.code,
        status=cls.status,
        meaning=" ".join((inspect.getdoc(cls) or "").split()),
        app=cls.__module__.split(".")[1] if cls.__module__.startswith("marketplace.") else cls.__module__,
    )
