"""Fifty customers ask for one slot at the same instant, on PostgreSQL: one booking, 49 clear refusals.

tests/bookings/test_booking_concurrency.py races 8 customers through the API on both
databases. These push it to 50 real threads, each with its own PostgreSQL connection, all
released by one barrier (tests/races.py): through ``booking_request`` itself, through the
API, and once with the vendor row lock taken away, so that the exclusion constraint on
tstzrange(busy_from, busy_until) is what stops the double booking. Each race is bounded:
the threads must all finish within RACE_SECONDS, or the test fails.
"""

import json
import time

import pytest
from django.test import Client

from marketplace.accounts.tokens import api_session_start
from marketplace.bookings import services as booking_services
from marketplace.bookings.errors import SlotUnavailable
from marketplace.bookings.models import Booking
from marketplace.bookings.services import booking_request
from marketplace.vendors.models import Vendor
from tests.conftest import local_slot
from tests.factories import CustomerFactory
from tests.races import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RACERS = 50
RACE_SECONDS = 60
TAKEN = "That time is already booked. Please choose another slot."


def _race(work) -> list:
    started = time.monotonic()
    results = run_at_once(RACERS, work, timeout=RACE_SECONDS)
    assert time.monotonic() - started < RACE_SECONDS
    return results


def _one_booking_and_refusals(results: list, starts_at) -> None:
    bookings = [r for r in results if isinstance(r, Booking)]
    refusals = [r for r in results if isinstance(r, SlotUnavailable)]
    others = [r for r in results if not isinstance(r, (Booking, SlotUnavailable))]
    assert others == []
    assert len(bookings) == 1
    assert len(refusals) == RACERS - 1
    assert {r.message for r in refusals} == {TAKEN}
    assert list(Booking.objects.values_list("starts_at", flat=True)) == [starts_at]


def _book(customers, service, starts_at):
    def work(i: int):
        return booking_request(customer=customers[i], service_id=service.pk, starts_at=starts_at, address="1 Main St")

    return work


def test_fifty_customers_asking_booking_request_for_one_slot_at_once_get_one_booking(service):
    customers = [CustomerFactory() for _ in range(RACERS)]
    starts_at = local_slot(days_ahead=3)

    results = _race(_book(customers, service, starts_at))

    _one_booking_and_refusals(results, starts_at)


class _VendorsUnlocked:
    """``Vendor.objects`` for booking_request, whose select_for_update() takes no lock."""

    class objects:  # stands in for the manager
        @staticmethod
        def select_for_update():
            return Vendor.objects.all()


def test_without_the_vendor_lock_the_exclusion_constraint_still_lets_one_booking_through(service, monkeypatch):
    # The vendor row lock serialises bookings of one organizer; without it every racer may pass
    # the schedule's check before any commits, and the constraint is what refuses the rest.
    monkeypatch.setattr(booking_services, "Vendor", _VendorsUnlocked)
    customers = [CustomerFactory() for _ in range(RACERS)]
    starts_at = local_slot(days_ahead=3)

    results = _race(_book(customers, service, starts_at))

    _one_booking_and_refusals(results, starts_at)


def test_fifty_customers_booking_one_slot_through_the_api_get_one_201_and_49_clear_409s(service):
    tokens = [api_session_start(user=CustomerFactory()).access for _ in range(RACERS)]
    body = json.dumps({"service_id": service.pk, "starts_at": local_slot(days_ahead=3).isoformat(), "address": "x"})

    def post(i: int):
        return Client().post(
            "/api/v1/bookings", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {tokens[i]}"
        )

    responses = _race(post)

    assert [r for r in responses if isinstance(r, BaseException)] == []
    assert sorted(r.status_code for r in responses) == [201] + [409] * (RACERS - 1)
    refusals = [r.json() for r in responses if r.status_code == 409]
    assert {(e["code"], e["detail"]) for e in refusals} == {("slot_unavailable", TAKEN)}
    assert Booking.objects.count() == 1
