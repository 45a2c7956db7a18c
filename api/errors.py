"""One place that turns every error into JSON: {"detail": ..., "code": ...}.

Domain errors keep their status (400/401/402/403/404/409/429, a 429 with Retry-After
when the error knows the wait) and the code their class declares in the domain app's
errors module. The codes below are the API's own, for what goes wrong before or around
the domain (the request itself, the transport); each is declared once, here. Request
validation errors become 422 with a sentence a person can read, plus the field-by-field
list.
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from marketplace.core.errors import DomainError, NotAuthenticated, NotFound, TooManyRequests
from marketplace.core.text import data_size

from .parser import MalformedBody

logger = logging.getLogger("django.request")

# --- The API's own error codes -----------------------------------------------------------
INVALID_INPUT = "invalid_input"
MALFORMED_JSON = "malformed_json"
PAYLOAD_TOO_LARGE = "payload_too_large"
RATE_LIMITED = "rate_limited"
NOT_AUTHENTICATED = NotAuthenticated.code  # the domain's code, with the same meaning
METHOD_NOT_ALLOWED = "method_not_allowed"
NOT_FOUND = NotFound.code  # the domain's code, with the same meaning
SERVER_ERROR = "server_error"
INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
IDEMPOTENCY_KEY_IN_USE = "idempotency_key_in_use"
HTTP_ERROR = "error"

# (code, status, meaning) of the codes above that are the API's alone, for its documentation.
API_ERROR_CODES = [
    (INVALID_INPUT, 422, "The body, query or path does not match the schema; `errors` lists each field."),
    (MALFORMED_JSON, 400, "The body is not a JSON object the API accepts."),
    (PAYLOAD_TOO_LARGE, 413, "The body is larger than the limit (`REQUEST_BODY_LIMIT_MB`)."),
    (RATE_LIMITED, 429, "Too many requests of this kind from this client; see Retry-After."),
    (METHOD_NOT_ALLOWED, 405, "The endpoint exists but not with this method; see Allow."),
    (SERVER_ERROR, 500, "A bug on our side, logged with its traceback."),
    (INVALID_IDEMPOTENCY_KEY, 400, "The Idempotency-Key header is empty, too long or not printable ASCII."),
    (IDEMPOTENCY_KEY_REUSED, 422, "The Idempotency-Key was already used for a different request."),
    (IDEMPOTENCY_KEY_IN_USE, 409, "A request with this Idempotency-Key is still running; retry shortly."),
    (HTTP_ERROR, 400, "Any other error raised by the web framework itself, with its own status."),
]


def error_response(status: int, detail: str, code: str) -> JsonResponse:
    """The error envelope outside django-ninja's handlers (middleware, unknown addresses)."""
    return JsonResponse({"detail": detail, "code": code}, status=status)


def payload_too_large_detail() -> str:
    return f"The request body is too large: the limit is {data_size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}."


def payload_too_large_response() -> JsonResponse:
    """413 for a body Django refused to read (RequestDataTooBig), wherever it was first read."""
    return error_response(413, payload_too_large_detail(), PAYLOAD_TOO_LARGE)


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
        return respond(request, 422, detail, INVALID_INPUT, errors=errors)

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled):
        return respond(request, 429, "Too many requests. Please wait before trying again.", RATE_LIMITED)

    @api.exception_handler(AuthenticationError)
    def not_authenticated(request: HttpRequest, exc: AuthenticationError):
        return respond(
            request, 401, "Authentication required: send 'Authorization: Bearer <access token>'.", NOT_AUTHENTICATED
        )

    @api.exception_handler(RequestDataTooBig)
    def payload_too_large(request: HttpRequest, exc: RequestDataTooBig):
        # django-ninja reads request.body before its parser; Django refuses a body over the limit.
        return payload_too_large_response()

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError):
        # django-ninja wraps whatever the body parser raised in a 400 "Cannot parse request body".
        cause = exc.__cause__
        if isinstance(cause, MalformedBody):
            return respond(request, 400, str(cause), MALFORMED_JSON)
        if isinstance(cause, ValidationError):  # a NUL character in the body (api.parser)
            return validation_error(request, cause)
        if isinstance(cause, DomainError):
            return domain_error(request, cause)
        return respond(request, exc.status_code, str(exc), HTTP_ERROR)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404):
        return respond(request, 404, "Not found.", NOT_FOUND)

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception):
        # A 500 is always a bug: log it with its traceback, and still answer in JSON.
        logger.error("Internal Server Error: %s", request.path, exc_info=exc, extra={"status_code": 500})
        return respond(request, 500, "Something went wrong on our side. Please try again later.", SERVER_ERROR)


API_PREFIX = "/api/"


def api_path_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Every /api/ address that no endpoint answers: a JSON 404 (and no redirect to a trailing slash)."""
    return error_response(404, f"There is no API endpoint at {request.path}; see /api/v1/docs.", NOT_FOUND)


class JsonMethodNotAllowedMiddleware:
    """django-ninja answers a wrong method with a plain-text 405; under /api/ it is JSON like every other error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and request.path.startswith(API_PREFIX):
            allowed = response.get("Allow", "")
            response = error_response(405, f"{request.method} is not allowed here; use {allowed}.", METHOD_NOT_ALLOWED)
            response["Allow"] = allowed
        return response
