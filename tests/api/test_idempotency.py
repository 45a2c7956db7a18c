"""Idempotency-Key: a retried POST replays the first answer instead of booking or charging twice."""

import pytest

from api.models import IdempotencyRecord
from marketplace.bookings.models import Booking
from marketplace.payments.models import LedgerEntry, LocalGatewayOperation, Transaction
from tests.conftest import local_slot
from tests.factories.bookings import request_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def body(service):
    return {"service_id": service.pk, "starts_at": local_slot(days_ahead=3).isoformat(), "address": "12 Elm St"}


def test_the_same_key_and_body_replays_the_first_response(api, customer, body):
    api.as_user(customer)

    first = api.post("bookings", body, headers={"Idempotency-Key": "book-1"})
    second = api.post("bookings", body, headers={"Idempotency-Key": "book-1"})

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Booking.objects.count() == 1


def test_the_same_key_with_a_different_body_is_a_422(api, customer, body):
    api.as_user(customer)
    api.post("bookings", body, headers={"Idempotency-Key": "book-1"})

    response = api.post(
        "bookings", {**body, "starts_at": local_slot(days_ahead=4).isoformat()}, headers={"Idempotency-Key": "book-1"}
    )

    assert response.status_code == 422
    assert response.json() == {
        "detail": "This Idempotency-Key was already used for a different request; use a new key.",
        "code": "idempotency_key_reused",
    }
    assert Booking.objects.count() == 1


def test_the_same_key_on_another_path_is_a_different_request(api, customer, body):
    api.as_user(customer)
    booking_id = api.post("bookings", body, headers={"Idempotency-Key": "k"}).json()["id"]

    response = api.post(f"bookings/{booking_id}/cancel", body, headers={"Idempotency-Key": "k"})

    assert response.status_code == 422
    assert Booking.objects.get().status == "requested"


def test_keys_belong_to_one_user(api, customer, other_customer, body):
    mine = api.as_user(customer).post("bookings", body, headers={"Idempotency-Key": "shared"})

    theirs = api.as_user(other_customer).post(
        "bookings", {**body, "starts_at": local_slot(days_ahead=4).isoformat()}, headers={"Idempotency-Key": "shared"}
    )

    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert theirs.json()["customer_id"] == other_customer.pk
    assert Booking.objects.count() == 2


def test_without_a_key_each_request_runs(api, customer, body):
    api.as_user(customer)

    first = api.post("bookings", body)
    second = api.post("bookings", body)

    assert first.status_code == 201
    assert second.status_code == 409  # the slot is taken now
    assert second.json()["code"] == "slot_unavailable"
    assert not IdempotencyRecord.objects.exists()


def test_an_invalid_request_is_not_stored_so_a_corrected_retry_works(api, customer, body):
    api.as_user(customer)
    invalid = api.post("bookings", {**body, "service_id": "one"}, headers={"Idempotency-Key": "book-1"})

    corrected = api.post("bookings", body, headers={"Idempotency-Key": "book-1"})

    assert invalid.status_code == 422
    assert corrected.status_code == 201, corrected.content
    assert "Idempotent-Replayed" not in corrected
    assert Booking.objects.count() == 1


def test_a_throttled_request_is_not_stored_so_a_later_retry_works(api, customer, body, settings):
    settings.API_RATE_LIMITS = {"auth": "100/min", "search": "100/min", "booking": "1/min"}
    api.as_user(customer)
    api.post("bookings", {**body, "starts_at": local_slot(days_ahead=5).isoformat()})
    throttled = api.post("bookings", body, headers={"Idempotency-Key": "book-1"})
    assert throttled.status_code == 429

    settings.API_RATE_LIMITS = {"auth": "100/min", "search": "100/min", "booking": "100/min"}
    retried = api.post("bookings", body, headers={"Idempotency-Key": "book-1"})

    assert retried.status_code == 201, retried.content
    assert "Idempotent-Replayed" not in retried
    assert Booking.objects.count() == 2


def test_a_refused_request_is_stored_and_replayed(api, customer, body, other_customer, service):
    # given the slot is taken, so the booking is refused with a 409
    request_booking(customer=other_customer, service=service, starts_at=local_slot(days_ahead=3))
    api.as_user(customer)
    first = api.post("bookings", body, headers={"Idempotency-Key": "book-1"})

    # when the client retries with the same key
    second = api.post("bookings", body, headers={"Idempotency-Key": "book-1"})

    # then it gets the same answer, without running again
    assert first.status_code == second.status_code == 409
    assert second["Idempotent-Replayed"] == "true"


def test_a_retried_payment_charges_once(api, customer, service):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    api.as_user(customer)
    pay = {"booking_id": booking.pk, "payment_method": "pm_card_visa"}

    first = api.post("payments/capture", pay, headers={"Idempotency-Key": "pay-1"})
    second = api.post("payments/capture", pay, headers={"Idempotency-Key": "pay-1"})

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert Transaction.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert LocalGatewayOperation.objects.count() == 1


@pytest.mark.parametrize("key", ["", " ", "k" * 256, "caf\u00e9", "tab\there"])
def test_a_malformed_key_is_refused(api, customer, body, key):
    api.as_user(customer)

    response = api.post("bookings", body, headers={"Idempotency-Key": key})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Idempotency-Key must be 1 to 255 printable ASCII characters.",
        "code": "invalid_idempotency_key",
    }
    assert not Booking.objects.exists()


def test_an_unauthenticated_request_with_a_key_is_a_401_and_not_stored(api, body):
    response = api.post("bookings", body, headers={"Idempotency-Key": "book-1"})

    assert response.status_code == 401
    assert not IdempotencyRecord.objects.exists()


def _claim_in_flight(user, key: str, body: dict, path: str = "/api/v1/bookings"):
    """The claim a request still running would hold: status 0, same fingerprint."""
    import hashlib
    import json

    digest = hashlib.sha256()
    digest.update(b"POST")
    digest.update(path.encode())
    digest.update(json.dumps(body).encode())
    return IdempotencyRecord.objects.create(
        user=user, key=key, fingerprint=digest.hexdigest(), status_code=0, response_body=b""
    )


def test_a_duplicate_of_a_request_still_running_is_told_to_retry(api, customer, body):
    _claim_in_flight(customer, "book-1", body)

    response = api.as_user(customer).post("bookings", body, headers={"Idempotency-Key": "book-1"})

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_use"
    assert response["Retry-After"] == "1"
    assert Booking.objects.count() == 0


def test_a_claim_whose_request_died_is_taken_over(api, customer, body):
    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now() - timezone.timedelta(minutes=5)):
        _claim_in_flight(customer, "book-1", body)

    response = api.as_user(customer).post("bookings", body, headers={"Idempotency-Key": "book-1"})

    assert response.status_code == 201, response.content
    assert IdempotencyRecord.objects.get().status_code == 201
