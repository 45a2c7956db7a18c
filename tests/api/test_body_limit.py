"""A request body over the limit (REQUEST_BODY_LIMIT_MB) is a 413 in the error envelope, never a 500."""

import json

import pytest

from api.contract import error_codes
from marketplace.bookings.models import Booking
from tests.conftest import local_slot
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

ONE_MB = 1024 * 1024
TOO_LARGE = {"detail": "The request body is too large: the limit is 1 MB.", "code": "payload_too_large"}


def _oversized_booking(service) -> str:
    body = json.dumps({"service_id": service.pk, "starts_at": local_slot(days_ahead=3).isoformat(), "address": ""})
    return body.replace('"address": ""', '"address": "' + "x" * ONE_MB + '"')


@pytest.mark.parametrize(
    "headers",
    [{}, {"Idempotency-Key": "book-big"}],
    ids=["read by the API's parser", "read first by the Idempotency-Key middleware"],
)
def test_an_oversized_json_post_is_a_413_that_names_the_limit_and_writes_nothing(
    api, settings, customer, service, headers
):
    # given a limit of 1 MB and a booking request just over it
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = ONE_MB
    body = _oversized_booking(service)
    before = data_snapshot()

    # when it is posted
    response = api.as_user(customer).post("bookings", body, headers=headers)

    # then it is refused with a 413 in the API's envelope, and nothing was written
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert changed_tables(before, data_snapshot()) == []
    assert not Booking.objects.exists()


def test_an_oversized_body_from_an_anonymous_client_is_a_413_too(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = ONE_MB
    before = data_snapshot()

    response = api.post("auth/register", {"email": "big@example.com", "password": "p" * ONE_MB})

    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert changed_tables(before, data_snapshot()) == []


def test_a_body_at_the_limit_is_read_as_usual(api, settings, customer, service):
    # given a request exactly as large as the limit
    body = json.dumps({"service_id": service.pk, "starts_at": local_slot(days_ahead=3).isoformat(), "address": "1 Elm"})
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body.encode())

    response = api.as_user(customer).post("bookings", body)

    assert response.status_code == 201


def test_the_openapi_document_lists_the_413_on_every_route_that_takes_a_body(client):
    document = client.get("/api/v1/openapi.json").json()

    writes = {
        f"{method.upper()} {path}": error_codes(operation["responses"]["413"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method in ("post", "put", "patch")
    }
    # incl. the Stripe webhook, the payment confirmation, the payout link, 5 dispute routes, the document upload,
    # adding an external calendar and refreshing one, the booking rules, and the three ways to move a booking
    assert len(writes) == 37
    assert set(map(tuple, writes.values())) == {("payload_too_large",)}
