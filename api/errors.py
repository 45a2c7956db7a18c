"""One place that turns every error into JSON: {"detail": ..., "code": ...}.

Domain errors keep their status (400/401/402/403/404/409/429, a 429 with Retry-After
when the error knows the wait); request validation errors become 422 with a sentence
a person can read, plus the field-by-field list.
"""

import logging

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from marketplace.core.errors import DomainError, TooManyRequests

from .parser import MalformedBody

logger = logging.getLogger("django.request")


def _location(error: dict) -> str:
    parts = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "payload", "data")]
    return ".".join(parts)


def _message(error: dict) -> str:
    where = _location(error)
    text = error.get("msg", "is invalid")
    if text == "Field required":
        text = "is required"
    return f"{where}: {text}" if where else text


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request, status: int, detail: str, code: str, **extra) -> HttpResponse:
        return api.create_response(request, {"detail": detail, "code": code, **extra}, status=status)

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError):
        extra = {"field": exc.field} if exc.field else {}
        response = respond(request, exc.status, exc.message, exc.code, **extra)
        if isinstance(exc, TooManyRequests) and exc.retry_after:
            response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError):
        errors = [{"field": _location(e), "message": e.get("msg", "")} for e in exc.errors]
        detail = "Invalid input. " + "; ".join(_message(e) for e in exc.errors) + "."
        return respond(request, 422, detail, "invalid_input", errors=errors)

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled):
        return respond(request, 429, "Too many requests. Please wait before trying again.", "rate_limited")

    @api.exception_handler(AuthenticationError)
    def not_authenticated(request: HttpRequest, exc: AuthenticationError):
        return respond(
            request, 401, "Authentication required: send 'Authorization: Bearer <access token>'.", "not_authenticated"
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError):
        # django-ninja wraps whatever the body parser raised in a 400 "Cannot parse request body".
        cause = exc.__cause__
        if isinstance(cause, MalformedBody):
            return respond(request, 400, str(cause), "malformed_json")
        if isinstance(cause, DomainError):
            return domain_error(request, cause)
        return respond(request, exc.status_code, str(exc), "error")

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404):
        return respond(request, 404, "Not found.", "not_found")

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception):
        # A 500 is always a bug: log it with its traceback, and still answer in JSON.
        logger.error("Internal Server Error: %s", request.path, exc_info=exc, extra={"status_code": 500})
        return respond(request, 500, "Something went wrong on our side. Please try again later.", "server_error")


API_PREFIX = "/api/"


def api_path_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Every /api/ address that no endpoint answers: a JSON 404 (and no redirect to a trailing slash)."""
    return JsonResponse(
        {"detail": f"There is no API endpoint at {request.path}; see /api/v1/docs.", "code": "not_found"}, status=404
    )


class JsonMethodNotAllowedMiddleware:
    """django-ninja answers a wrong method with a plain-text 405; under /api/ it is JSON like every other error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and request.path.startswith(API_PREFIX):
            allowed = response.get("Allow", "")
            response = JsonResponse(
                {"detail": f"{request.method} is not allowed here; use {allowed}.", "code": "method_not_allowed"},
                status=405,
            )
            response["Allow"] = allowed
        return response
