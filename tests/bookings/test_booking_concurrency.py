"""Races with real threads: many customers grab one slot, a payment is sent twice at once.

These tests commit for real (transaction=True) so that each thread's connection sees
the others' writes, and restore the migrations' data afterwards (serialized_rollback).
They run on SQLite (a file database; every transaction is BEGIN IMMEDIATE) and on
PostgreSQL (the vendor row lock, with the exclusion constraint behind it).
"""

from datetime import timedelta

import pytest
from django.test import Client

from marketplace.accounts.tokens import api_session_start
from marketplace.bookings.models import Booking
from marketplace.payments.models import LedgerEntry, LocalGatewayOperation, Transaction
from tests.conftest import local_slot
from tests.factories import CustomerFactory
from tests.factories.bookings import request_booking
from tests.races import run_at_once

racing = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RACERS = 8


def _post(token: str, path: str, body: dict):
    import json

    return Client().post(
        f"/api/v1/{path}", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


@racing
def test_many_customers_booking_one_slot_at_once_get_exactly_one_booking(service):
    # given eight signed-in customers who all want Thursday 10:00
    tokens = [api_session_start(user=CustomerFactory()).access for _ in range(RACERS)]
    body = {"service_id": service.pk, "starts_at": local_slot(days_ahead=3).isoformat(), "address": "1 Main St"}

    # when they all press "book" at the same moment
    responses = run_at_once(RACERS, lambda i: _post(tokens[i], "bookings", body))

    # then one gets the booking and the others a clean 409
    errors = [r for r in responses if isinstance(r, BaseException)]
    assert errors == []
    assert sorted(r.status_code for r in responses) == [201] + [409] * (RACERS - 1)
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"slot_unavailable"}
    assert Booking.objects.count() == 1


@racing
def test_overlapping_but_different_starts_also_yield_one_booking(service):
    # 10:00, 10:15 ... 11:45 all overlap a 3-hour booking from any of them
    service.vendor.slot_step_minutes = 15
    service.vendor.save(update_fields=["slot_step_minutes"])
    tokens = [api_session_start(user=CustomerFactory()).access for _ in range(RACERS)]
    start = local_slot(days_ahead=3)

    def book(i):
        starts_at = start + timedelta(minutes=15 * i)
        return _post(
            tokens[i], "bookings", {"service_id": service.pk, "starts_at": starts_at.isoformat(), "address": "x"}
        )

    responses = run_at_once(RACERS, book)

    assert sorted(getattr(r, "status_code", r) for r in responses) == [201] + [409] * (RACERS - 1)
    assert Booking.objects.count() == 1


@racing
def test_a_payment_sent_twice_at_once_charges_once(customer, service):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    token = api_session_start(user=customer).access
    body = {"booking_id": booking.pk, "payment_method": "pm_card_visa"}

    responses = run_at_once(4, lambda i: _post(token, "payments/capture", body))

    statuses = sorted(getattr(r, "status_code", r) for r in responses)
    assert statuses == [200, 409, 409, 409]
    # The others either found the charge in flight or the booking already confirmed by it.
    refusals = {r.json()["code"] for r in responses if r.status_code == 409}
    assert refusals <= {"payment_processing", "invalid_transition", "already_paid"}
    assert Transaction.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert LocalGatewayOperation.objects.count() == 1


@racing
def test_one_idempotency_key_sent_at_once_books_once(customer, service):
    token = api_session_start(user=customer).access
    body = {"service_id": service.pk, "starts_at": local_slot(days_ahead=3).isoformat(), "address": "1 Main St"}

    def book(i):
        import json

        return Client().post(
            "/api/v1/bookings",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_IDEMPOTENCY_KEY="double-click",
        )

    responses = run_at_once(4, book)

    # One runs; the others replay its response, or (still running) are told to retry: never a second booking.
    statuses = [getattr(r, "status_code", r) for r in responses]
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}, statuses
    assert len({r.content for r in responses if r.status_code == 201}) == 1
    assert sum(r.has_header("Idempotent-Replayed") for r in responses) == statuses.count(201) - 1
    assert {r.json()["code"] for r in responses if r.status_code == 409} <= {"idempotency_key_in_use"}
    assert Booking.objects.count() == 1
