"""Every API answer the test suite sees is checked against the OpenAPI document.

The document says, per operation, which statuses it can answer and, for each error
status, which ``code`` values. A pytest plugin (tests/conftest.py) wraps Django's
request handler: each answer to an /api/v1/ operation that the document does not
describe (an undocumented status, or an error code the operation does not list) is
a violation, and the test that caused it fails. With some 1,900 tests driving the API
through every path they know, the document cannot quietly drift from the server.

``CONTRACT_RECORD=<file>`` also appends every (operation, status, code) seen to a
file, one JSON object per line: what the suite exercises, to compare with what the
document promises.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache

from api.contract import error_codes

API_PREFIX = "/api/v1/"


@dataclass(frozen=True)
class Answer:
    method: str
    path: str
    status: int
    code: str | None


@cache
def _operations() -> list[tuple[re.Pattern, dict]]:
    """(path regex, {method: operation}) for every path of the live OpenAPI document."""
    from api.main import api

    document = api.get_openapi_schema(path_prefix=API_PREFIX)
    table = []
    for template, methods in document["paths"].items():
        pattern = re.escape(template)
        pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", pattern)
        table.append((re.compile(f"^{pattern}$"), methods))
    # Literal paths before templated ones: /services/mine is not /services/{service_id}.
    table.sort(key=lambda row: row[0].pattern.count("[^/]+"))
    return table


def operation_for(method: str, path: str) -> dict | None:
    for pattern, methods in _operations():
        if pattern.match(path):
            return methods.get(method.lower())
    return None


def _code(response) -> str | None:
    if response.get("Content-Type", "").split(";")[0] != "application/json" or getattr(response, "streaming", False):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def violation(answer: Answer) -> str | None:
    """What the document gets wrong about this answer, or None."""
    operation = operation_for(answer.method, answer.path)
    if operation is None:
        return None  # not an operation: /docs, /openapi.json, unknown addresses, wrong methods
    where = f"{answer.method} {answer.path} ({operation['operationId']})"
    responses = operation["responses"]
    documented = responses.get(answer.status, responses.get(str(answer.status)))
    if documented is None:
        return f"{where} answered {answer.status} ({answer.code}), which its responses do not list"
    if answer.status >= 400:
        codes = error_codes(documented)
        if answer.code not in codes:
            return f"{where} answered {answer.status} with code {answer.code!r}, not among {codes}"
    return None


class ContractWatch:
    """Collects violations while a test runs (wraps BaseHandler.get_response once per session)."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.record_to = os.environ.get("CONTRACT_RECORD")

    def install(self) -> None:
        from django.core.handlers.base import BaseHandler

        original = BaseHandler.get_response
        watch = self

        def get_response(handler, request):
            response = original(handler, request)
            if request.path.startswith(API_PREFIX):
                watch.see(Answer(request.method, request.path, response.status_code, _code(response)))
            return response

        BaseHandler.get_response = get_response

    def see(self, answer: Answer) -> None:
        problem = violation(answer)
        if problem:
            self.violations.append(problem)
        if self.record_to:
            operation = operation_for(answer.method, answer.path)
            if operation is not None:
                with open(self.record_to, "a") as file:
                    file.write(
                        json.dumps({"op": operation["operationId"], "status": answer.status, "code": answer.code})
                        + "\n"
                    )
