"""The API routes that take files (dispute evidence, organizers' documents), and their own body limits.

Every other API route reads its JSON body whole (``request.body``), so Django refuses a
body over REQUEST_BODY_LIMIT_MB (DATA_UPLOAD_MAX_MEMORY_SIZE) with a 413. The routes below
take ``multipart/form-data`` with files up to DISPUTE_EVIDENCE_MAX_MB each (an organizer's
document: one file up to VENDOR_DOCUMENT_MAX_MB): Django's
multipart parser streams each file to a temporary file (FILE_UPLOAD_MAX_MEMORY_SIZE) and
applies DATA_UPLOAD_MAX_MEMORY_SIZE to the text fields only, so the body is never held in
memory as long as nobody reads ``request.body``. This middleware:

- refuses, before anything is read, a body on these routes larger than the evidence limits
  allow (413, naming the limit), and a non-multipart body over the usual limit;
- parses the multipart body once, answering a malformed one with a 400 instead of a 500,
  so the Idempotency-Key middleware and the route read the parsed fields and files.

nginx says the same in its own location for these routes (site/nginx.conf.example).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError

from marketplace.core.text import data_size
from marketplace.disputes.evidence import max_bytes
from marketplace.vendors.policy import max_bytes as document_max_bytes

from .errors import HTTP_ERROR, PAYLOAD_TOO_LARGE, error_response, payload_too_large_response

UPLOAD_ROUTES = re.compile(r"^/api/v1/(bookings/\d+/dispute|disputes/\d+/(response|evidence))$")
DOCUMENT_UPLOAD_ROUTE = re.compile(r"^/api/v1/vendors/me/documents$")


def is_document_route(request: HttpRequest) -> bool:
    return bool(DOCUMENT_UPLOAD_ROUTE.match(request.path))


def is_upload_route(request: HttpRequest) -> bool:
    return request.method == "POST" and (bool(UPLOAD_ROUTES.match(request.path)) or is_document_route(request))


def is_multipart(request: HttpRequest) -> bool:
    return request.content_type == "multipart/form-data"


def upload_limit() -> int:
    """The largest body an evidence route reads: every file a side may give at its largest, plus the text fields."""
    return settings.DISPUTE_EVIDENCE_MAX_FILES * max_bytes() + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def document_upload_limit() -> int:
    """The largest body the document route reads: one document at its largest, plus the text fields."""
    return document_max_bytes() + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class UploadLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_upload_route(request):
            return self.get_response(request)
        length = _content_length(request)
        if not is_multipart(request):
            if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                return payload_too_large_response()
            return self.get_response(request)
        limit, what = (
            (document_upload_limit(), "document") if is_document_route(request) else (upload_limit(), "evidence")
        )
        if length > limit:
            return error_response(
                413,
                f"The request body is too large: the limit for {what} uploads is {data_size(limit)}.",
                PAYLOAD_TOO_LARGE,
            )
        try:
            request.POST  # noqa: B018  (parsed here, streamed to temporary files, once)
        except RequestDataTooBig:  # the text fields alone are over the usual limit
            return payload_too_large_response()
        except (MultiPartParserError, SuspiciousOperation) as error:
            return error_response(400, f"The multipart body could not be read: {error}", HTTP_ERROR)
        return self.get_response(request)
