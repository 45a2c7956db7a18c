"""Idempotency-Key support for POSTs under /api/v1/ (booking, paying, releasing money).

Evidence uploads (multipart, larger than the usual body limit: api.uploads) are
fingerprinted from their parsed fields and files, never from ``request.body``.

A client that retries a POST with the same Idempotency-Key gets the first
response again instead of a second booking or charge. The key is claimed in its
own short transaction, before the request runs; the request then runs with no
transaction open (a payment gateway is never called inside one), and its
response is stored on the claim. A duplicate that arrives while the first is
still running gets 409 ``idempotency_key_in_use`` and retries; a claim whose
request failed with a 5xx, or never finished (the process died), is given up, so
a retry may run again: the services below are idempotent themselves (a pending
charge is finished with its own key, never made twice).
"""

import hashlib
from datetime import timedelta

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .errors import (
    IDEMPOTENCY_KEY_IN_USE,
    IDEMPOTENCY_KEY_REUSED,
    INVALID_IDEMPOTENCY_KEY,
    error_response,
    payload_too_large_response,
)
from .models import IdempotencyRecord
from .security import user_from_bearer
from .uploads import is_multipart, is_upload_route

HEADER = "Idempotency-Key"
API_PREFIX = "/api/v1/"
# Responses to requests that never ran (bad auth, invalid input, rate limited) are not
# kept: the client fixes the problem or waits, then retries with the same key. Nor is a 202
# (a payment waiting for the customer's 3-D Secure step): its body carries the payment's
# client secret, which we never store, and its answer changes once the customer acted; a
# retry runs again and gets the same step (paying again never charges twice).
NOT_STORED = {202, 401, 422, 429}
# A claim still unanswered after this long belongs to a request that died: a retry may take it over.
ABANDONED_AFTER = timedelta(minutes=2)


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    if is_upload_route(request) and is_multipart(request):
        _digest_multipart(digest, request)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _digest_multipart(digest, request: HttpRequest) -> None:
    """An evidence upload's fingerprint, from its parsed fields and files read in chunks.

    Reading ``request.body`` would hold the whole upload in memory and refuse it over
    REQUEST_BODY_LIMIT_MB (api.uploads); the multipart body was already parsed, its files
    streamed to temporary files. Each part is length-prefixed so no two requests collide.
    """

    def part(value: bytes) -> None:
        digest.update(f"{len(value)}:".encode())
        digest.update(value)

    for name in sorted(request.POST):
        for value in request.POST.getlist(name):
            part(name.encode())
            part(value.encode())
    for name in sorted(request.FILES):
        for file in request.FILES.getlist(name):
            part(name.encode())
            part((file.name or "").encode())
            digest.update(f"{file.size}:".encode())
            for chunk in file.chunks():
                digest.update(chunk)
            file.seek(0)


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.response_body), status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > 255 or not (key.isascii() and key.isprintable()):
            return error_response(
                400, "Idempotency-Key must be 1 to 255 printable ASCII characters.", INVALID_IDEMPOTENCY_KEY
            )
        user = user_from_bearer(request)
        if user is None:
            return self.get_response(request)  # the route answers 401 itself
        try:
            fingerprint = _fingerprint(request)
        except RequestDataTooBig:  # the body is read here first, before the API's own handlers
            return payload_too_large_response()

        claim = _claim(user=user, key=key, fingerprint=fingerprint)
        if isinstance(claim, HttpResponse):
            return claim
        try:
            response = self.get_response(request)
        except BaseException:
            claim.delete()
            raise
        if response.status_code >= 500 or getattr(response, "streaming", False) or response.status_code in NOT_STORED:
            # Nothing is kept for a request that failed or never ran: a retry runs again. Whatever
            # the request itself committed (e.g. revoking a sign-in) stays.
            claim.delete()
            return response
        claim.status_code = response.status_code
        claim.response_body = response.content
        claim.content_type = response.get("Content-Type", "application/json")
        claim.save(update_fields=["status_code", "response_body", "content_type"])
        return response


def _claim(*, user, key: str, fingerprint: str) -> IdempotencyRecord | HttpResponse:
    """Claim the key for this request (committed at once), or the answer to give instead of running it."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    user=user, key=key, fingerprint=fingerprint, status_code=0, response_body=b""
                )
        except IntegrityError:
            record = IdempotencyRecord.objects.select_for_update().get(user=user, key=key)
        if record.fingerprint != fingerprint:
            return error_response(
                422,
                "This Idempotency-Key was already used for a different request; use a new key.",
                IDEMPOTENCY_KEY_REUSED,
            )
        if record.status_code:
            return _replay(record)
        if record.created_at > timezone.now() - ABANDONED_AFTER:
            response = error_response(
                409,
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                IDEMPOTENCY_KEY_IN_USE,
            )
            response["Retry-After"] = "1"
            return response
        record.created_at = timezone.now()  # an abandoned claim: this request takes it over
        IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=record.created_at)
        return record
