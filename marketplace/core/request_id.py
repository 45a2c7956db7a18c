"""Every request has an id: the client's (or nginx's) ``X-Request-ID`` when it is a sane token, else a new one.

The id is answered in the ``X-Request-ID`` header, carried by every log line written while
the request is handled (``core.logs``) and by the jobs it queues (``core.jobs``), so one
id finds a request's lines in the web and worker logs alike.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

from .logs import set_request_id

HEADER = "X-Request-ID"
# Letters, digits and . _ : - up to 64 characters: a uuid, nginx's $request_id, a trace id. Anything
# else (a newline, a quote, a kilobyte) could forge or flood log lines, so it is replaced.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def request_id_from(*, header_value: str | None) -> str:
    if header_value and SANE_REQUEST_ID.fullmatch(header_value):
        return header_value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so every line about the request carries its id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(header_value=request.headers.get(HEADER))
        request.request_id = request_id
        # Not reset on the way out: Django logs a 4xx or 5xx (django.request) after the
        # middleware returns. It is cleared when the response is finished (below).
        set_request_id(request_id=request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _forget_request_id(**kwargs) -> None:
    set_request_id(request_id="")


request_finished.connect(_forget_request_id, dispatch_uid="marketplace.core.request_id.forget")
