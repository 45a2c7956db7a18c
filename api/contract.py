"""The API's contract: what each operation can answer, written into the OpenAPI document.

Each operation documents exactly the statuses it can answer, and for each error status
the ``code`` values it can carry (an ``enum`` in the error envelope's schema, with what
each means in the description). Two sources make that list, so no route repeats what a
rule already says:

- **what the operation is**, read from django-ninja's operation: signed in (401 and the
  token codes), any input (422 ``invalid_input``), a JSON body (400 ``malformed_json``),
  a body at all (413), a POST (the Idempotency-Key codes), a rate limit (429);
- **what its domain services raise**, declared on the view with ``@raises(...)``: the
  error classes from the apps' ``errors`` modules, each with its own status and code.

The test suite checks every answer it provokes against this document
(tests/api_contract.py), and schemathesis checks the live server against it in CI.

The document also carries the headers the API reads and sets (``Idempotency-Key`` on
every POST, ``Idempotent-Replayed`` on a replayed answer, ``Retry-After`` on 429 and on
409 ``idempotency_key_in_use``), forbids NUL characters in every string the API reads
(PostgreSQL cannot store them; api.parser refuses them), and links the operations that
create something to those that use it, for clients and for stateful testing.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from marketplace.accounts.errors import InvalidToken, SessionRevoked, TokenExpired
from marketplace.core.errors import DomainError, NotAuthenticated, error_info
from marketplace.core.request_id import HEADER as REQUEST_ID
from marketplace.core.request_id import SANE_REQUEST_ID

from . import errors as api_errors

IDEMPOTENCY_KEY = "Idempotency-Key"
# Strings the API reads never hold a NUL character (api.parser refuses them with a 422).
NO_NUL = "^[^\\u0000]*$"
TOKEN_ERRORS = (NotAuthenticated, TokenExpired, InvalidToken, SessionRevoked)
BODY_METHODS = {"POST", "PUT", "PATCH"}


def raises(*errors: type[DomainError]) -> Callable:
    """Declare the domain errors a view's services can raise (their statuses and codes go into the document)."""
    for error in errors:
        if not (isinstance(error, type) and issubclass(error, DomainError)):
            raise TypeError(f"@raises takes DomainError classes, not {error!r}")

    def mark(view: Callable) -> Callable:
        view.contract_raises = (*getattr(view, "contract_raises", ()), *errors)
        return view

    return mark


_API_CODES = {code: (status, meaning) for code, status, meaning in api_errors.API_ERROR_CODES}


def _api_code(code: str) -> tuple[int, str, str]:
    status, meaning = _API_CODES[code]
    return status, code, meaning


def _domain(error: type[DomainError]) -> tuple[int, str, str]:
    info = error_info(error)
    return info.status, info.code, info.meaning


def _sources(operation) -> set[str]:
    return {model.__ninja_param_source__ for model in operation.models}


def operation_errors(operation) -> dict[int, dict[str, str]]:
    """{status: {code: meaning}} of every error the operation can answer."""
    found: list[tuple[int, str, str]] = []
    methods = set(operation.methods)
    sources = _sources(operation)
    if operation.auth_callbacks:
        found += [_domain(error) for error in TOKEN_ERRORS]
    if sources:
        found.append(_api_code(api_errors.INVALID_INPUT))
    if "body" in sources:
        found.append(_api_code(api_errors.MALFORMED_JSON))
    if methods & BODY_METHODS:
        found.append(_api_code(api_errors.PAYLOAD_TOO_LARGE))
    if "POST" in methods:
        found += [
            _api_code(api_errors.INVALID_IDEMPOTENCY_KEY),
            _api_code(api_errors.IDEMPOTENCY_KEY_REUSED),
            _api_code(api_errors.IDEMPOTENCY_KEY_IN_USE),
        ]
    if operation.throttle_objects:
        found.append(_api_code(api_errors.RATE_LIMITED))
    found += [_domain(error) for error in getattr(operation.view_func, "contract_raises", ())]
    result: dict[int, dict[str, str]] = {}
    for status, code, meaning in sorted(found):
        result.setdefault(status, {})[code] = meaning
    return result


RETRY_AFTER = {"description": "Whole seconds to wait before trying again.", "schema": {"type": "integer", "minimum": 0}}
REQUEST_ID_HEADER = {
    "description": "This request's id: the client's own X-Request-ID when it is a sane token, else a new one. "
    "Quote it when you report a problem: it finds the request's lines in our logs.",
    "required": True,
    "schema": {"type": "string", "pattern": f"^{SANE_REQUEST_ID.pattern}$"},
}
REPLAYED = {
    "description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key.",
    "schema": {"type": "string", "enum": ["true"]},
}


# The error envelope every error answer uses; each operation narrows ``code`` to its own codes.
ERROR_ENVELOPE = {
    "title": "Error",
    "type": "object",
    "required": ["detail", "code"],
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, in a sentence for people."},
        "code": {"type": "string", "description": "Stable, for programs: the operation's answer lists its codes."},
        "field": {"type": "string", "description": "The input the error is about, when there is one."},
        "errors": {
            "type": "array",
            "description": "invalid_input only: each field the schema refused, and why.",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
ERROR_REF = "#/components/schemas/Error"


def error_response(status: int, codes: dict[str, str]) -> dict:
    lines = "\n".join(f"- `{code}`: {meaning}" for code, meaning in sorted(codes.items()))
    schema = {"allOf": [{"$ref": ERROR_REF}, {"type": "object", "properties": {"code": {"enum": sorted(codes)}}}]}
    result: dict[str, Any] = {
        "description": f"{HTTPStatus(status).phrase}.\n\n{lines}",
        "content": {"application/json": {"schema": schema}},
    }
    if status == 429 or api_errors.IDEMPOTENCY_KEY_IN_USE in codes:
        result["headers"] = {"Retry-After": RETRY_AFTER}
    return result


def error_codes(response: dict) -> list[str]:
    """The codes an error answer of the document lists (for tests and tools reading the document)."""
    schema = response["content"]["application/json"]["schema"]
    return next(part["properties"]["code"]["enum"] for part in schema["allOf"] if "properties" in part)


IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": IDEMPOTENCY_KEY,
    "required": False,
    "description": (
        "Send a unique key (1 to 255 printable ASCII characters) to make a retry safe: a repeated request with the "
        "same key and body gets the first answer again (with `Idempotent-Replayed: true`) instead of running "
        "twice. Applies to requests made while signed in."
    ),
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": "^[ -~]+$",
    },
}


class ContractSchema(OpenAPISchema):
    """django-ninja's document, with each operation's own statuses, error codes and headers."""

    def responses(self, operation) -> dict:
        result = super().responses(operation)
        if "POST" in operation.methods:
            for answer in result.values():
                answer.setdefault("headers", {})["Idempotent-Replayed"] = REPLAYED
        for status, codes in operation_errors(operation).items():
            result[status] = error_response(status, codes)
        for answer in result.values():
            answer.setdefault("headers", {})[REQUEST_ID] = REQUEST_ID_HEADER
        return result

    def operation_parameters(self, operation) -> list:
        parameters = super().operation_parameters(operation)
        if "POST" in operation.methods:
            parameters.append(IDEMPOTENCY_PARAMETER)
        return parameters


def _walk_inputs(document: dict, visit: Callable[[dict], None]) -> None:
    """Call ``visit`` on every schema (and sub-schema) the API reads: parameters and request bodies."""
    components = document.get("components", {}).get("schemas", {})
    seen: set[str] = set()

    def walk(schema: Any) -> None:
        if isinstance(schema, list):
            for item in schema:
                walk(item)
            return
        if not isinstance(schema, dict):
            return
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                walk(components.get(name))
            return
        visit(schema)
        for key in ("properties", "$defs"):
            for item in (schema.get(key) or {}).values():
                walk(item)
        for key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties"):
            walk(schema.get(key))

    for methods in document.get("paths", {}).values():
        for operation in methods.values():
            for parameter in operation.get("parameters", ()):
                if parameter.get("name") != IDEMPOTENCY_KEY:
                    walk(parameter.get("schema"))
            for media in operation.get("requestBody", {}).get("content", {}).values():
                walk(media.get("schema"))


def _forbid_nul(schema: dict) -> None:
    if schema.get("type") == "string" and not {"enum", "const", "format", "pattern"} & schema.keys():
        schema["pattern"] = NO_NUL


def _add_links(document: dict, links: dict[str, dict[str, tuple[str, dict]]]) -> None:
    """OpenAPI links: from an operation's success answer to the operations that use what it made."""
    by_id = {
        operation["operationId"]: operation for methods in document["paths"].values() for operation in methods.values()
    }
    for source, targets in links.items():
        responses = by_id[source]["responses"]
        success = next(status for status in sorted(responses, key=str) if str(status).startswith("2"))
        responses[success]["links"] = {
            name: {"operationId": target, "parameters": parameters}
            for name, (target, parameters) in targets.items()
            if target in by_id
        }


# From what an operation creates to the operations that use it: {source: {link name: (target, parameters)}}.
BOOKING_ID = {"booking_id": "$response.body#/id"}
LINKS = {
    "create_booking": {
        "GetBooking": ("get_booking", BOOKING_ID),
        "PreviewCancellation": ("preview_cancellation", BOOKING_ID),
        "CancelBooking": ("cancel", BOOKING_ID),
        "AcceptBooking": ("accept", BOOKING_ID),
        "DeclineBooking": ("decline", BOOKING_ID),
        "QuoteBooking": ("quote", BOOKING_ID),
        "ConfirmCompletion": ("confirm_completion", BOOKING_ID),
        "OpenDispute": ("open_dispute", BOOKING_ID),
    },
    "create_service": {
        "GetService": ("get_service", {"service_id": "$response.body#/id"}),
        "UpdateService": ("update_service", {"service_id": "$response.body#/id"}),
        "ServiceSlots": ("service_slots", {"service_id": "$response.body#/id"}),
    },
    "add_exception": {"RemoveException": ("remove_exception", {"exception_id": "$response.body#/id"})},
    "open_dispute": {
        "GetDispute": ("get_dispute", {"dispute_id": "$response.body#/id"}),
        "Respond": ("respond", {"dispute_id": "$response.body#/id"}),
        "AddEvidence": ("add_evidence", {"dispute_id": "$response.body#/id"}),
        "Withdraw": ("withdraw", {"dispute_id": "$response.body#/id"}),
    },
    "add_calendar": {
        "RefreshCalendar": ("refresh_calendar", {"calendar_id": "$response.body#/id"}),
        "RemoveCalendar": ("remove_calendar", {"calendar_id": "$response.body#/id"}),
    },
    "upload_document": {"DownloadDocument": ("download_document", {"document_id": "$response.body#/id"})},
    "upsert_profile": {"GetVendor": ("get_vendor", {"vendor_id": "$response.body#/id"})},
}


class ContractAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document is the contract above; operation ids are the view functions' names."""

    def get_openapi_operation_id(self, operation) -> str:
        return operation.view_func.__name__

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None) -> dict:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        document = ContractSchema(self, path_prefix)
        document["components"].setdefault("schemas", {})["Error"] = ERROR_ENVELOPE
        _walk_inputs(document, _forbid_nul)
        _add_links(document, LINKS)
        return document
