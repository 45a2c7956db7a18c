"""Idempotency-Key support for POSTs under /api/v1/ (booking, paying, releasing money).

A client that retries a POST with the same Idempotency-Key gets the first
response again instead of a second booking or charge. The key is claimed in the
same database transaction as the request's own writes: a concurrent duplicate
waits on the unique index and then replays the committed response, and if the
request fails with a 5xx the claim is rolled back with everything else, so a
retry may run again.
"""

import hashlib

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from .errors import IDEMPOTENCY_KEY_REUSED, INVALID_IDEMPOTENCY_KEY, error_response, payload_too_large_response
from .models import IdempotencyRecord
from .security import user_from_bearer

HEADER = "Idempotency-Key"
API_PREFIX = "/api/v1/"
# Responses to requests that never ran (bad auth, invalid input, rate limited) are not
# kept: the client fixes the problem or waits, then retries with the same key.
NOT_STORED = {401, 422, 429}


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(request.body)
    return digest.hexdigest()


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

        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        user=user, key=key, fingerprint=fingerprint, status_code=0, response_body=b""
                    )
            except IntegrityError:
                record = IdempotencyRecord.objects.get(user=user, key=key)
                if record.fingerprint != fingerprint:
                    return error_response(
                        422,
                        "This Idempotency-Key was already used for a different request; use a new key.",
                        IDEMPOTENCY_KEY_REUSED,
                    )
                return _replay(record)

            response = self.get_response(request)
            if response.status_code >= 500 or getattr(response, "streaming", False):
                transaction.set_rollback(True)  # a failed request leaves nothing behind, not even the claim
                return response
            if response.status_code in NOT_STORED:
                # Only the claim goes: whatever the request did commit (e.g. revoking a sign-in
                # whose old refresh token was replayed) must stay.
                record.delete()
                return response
            record.status_code = response.status_code
            record.response_body = response.content
            record.content_type = response.get("Content-Type", "application/json")
            record.save(update_fields=["status_code", "response_body", "content_type"])
        return response
