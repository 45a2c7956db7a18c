"""Rate limits on search, booking and auth: a 429 JSON error with Retry-After.

The throttle reads settings.API_RATE_LIMITS on every request, so each test sets
its own small limit.
"""

import threading
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine

from marketplace.bookings.models import Booking
from tests.conftest import local_slot
from tests.factories.bookings import request_booking

pytestmark = pytest.mark.django_db

LIMITS = {"auth": "100/min", "search": "100/min", "booking": "100/min"}


def _assert_throttled(response) -> None:
    assert response.status_code == 429
    assert response.json() == {"detail": "Too many requests. Please wait before trying again.", "code": "rate_limited"}
    assert 1 <= int(response["Retry-After"]) <= 60


def test_search_is_limited_per_client(api, settings, service):
    settings.API_RATE_LIMITS = {**LIMITS, "search": "3/min"}

    statuses = [api.get("catalog/search", {"q": "declutter"}).status_code for _ in range(3)]
    throttled = api.get("catalog/search", {"q": "declutter"})

    assert statuses == [200, 200, 200]
    _assert_throttled(throttled)
    # another client (another address) is not affected
    assert api.client.get("/api/v1/catalog/search", REMOTE_ADDR="10.0.0.9").status_code == 200


def test_the_limit_is_read_on_every_request(api, settings, service):
    settings.API_RATE_LIMITS = {**LIMITS, "search": "1/min"}
    api.get("catalog/search")
    assert api.get("catalog/search").status_code == 429

    settings.API_RATE_LIMITS = {**LIMITS, "search": "5/min"}

    assert api.get("catalog/search").status_code == 200


def test_booking_and_paying_share_one_limit_per_user(api, settings, customer, other_customer, service):
    # given a customer with an open request and a limit of two booking calls a minute
    settings.API_RATE_LIMITS = {**LIMITS, "booking": "2/min"}
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    api.as_user(customer)
    body = {"service_id": service.pk, "starts_at": local_slot(days_ahead=4).isoformat(), "address": "1 Main St"}

    # when they book once and pay once
    assert api.post("bookings", body).status_code == 201
    assert api.post("payments/capture", {"booking_id": booking.pk, "payment_method": "pm_card_visa"}).status_code == 200

    # then a third booking call is throttled and writes nothing
    throttled = api.post("bookings", {**body, "starts_at": local_slot(days_ahead=5).isoformat()})
    _assert_throttled(throttled)
    assert Booking.objects.count() == 2
    # and another customer still gets through
    other = api.as_user(other_customer).post("bookings", {**body, "starts_at": local_slot(days_ahead=6).isoformat()})
    assert other.status_code == 201


def test_login_is_limited(api, settings, customer):
    settings.API_RATE_LIMITS = {**LIMITS, "auth": "2/min"}

    first = api.post("auth/login", {"email": customer.email, "password": "wrong"})
    second = api.post("auth/login", {"email": customer.email, "password": "wrong"})
    third = api.post("auth/login", {"email": customer.email, "password": "correct-horse-battery-staple"})

    assert (first.status_code, second.status_code) == (401, 401)
    _assert_throttled(third)


def test_registration_and_refresh_count_against_the_auth_limit(api, settings):
    settings.API_RATE_LIMITS = {**LIMITS, "auth": "2/min"}
    api.post("auth/register", {"email": "a@example.com", "password": "tidy-nest-2026!"})
    api.post("auth/refresh", {"refresh": "nope"})

    response = api.post("auth/register", {"email": "b@example.com", "password": "tidy-nest-2026!"})

    _assert_throttled(response)


def test_retry_after_says_when_the_oldest_request_in_the_window_ages_out(api, settings, service):
    settings.API_RATE_LIMITS = {**LIMITS, "search": "2/min"}
    start = datetime(2027, 6, 10, 12, 0, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        api.get("catalog/search")
    with time_machine.travel(start + timedelta(seconds=20), tick=False):
        api.get("catalog/search")
    with time_machine.travel(start + timedelta(seconds=45), tick=False):
        throttled = api.get("catalog/search")
    with time_machine.travel(start + timedelta(seconds=60), tick=False):
        allowed_again = api.get("catalog/search")

    assert throttled.status_code == 429
    assert throttled["Retry-After"] == "15"  # the first request leaves the one-minute window at 12:01:00
    assert allowed_again.status_code == 200


def test_retry_after_is_sent_even_when_the_limit_was_lowered_below_the_history(api, settings, service):
    settings.API_RATE_LIMITS = {**LIMITS, "search": "5/min"}
    for _ in range(4):
        api.get("catalog/search")

    settings.API_RATE_LIMITS = {**LIMITS, "search": "2/min"}
    response = api.get("catalog/search")

    _assert_throttled(response)


def test_concurrent_checks_of_one_scope_keep_each_clients_count_apart():
    # one throttle object serves every request of its scope; two requests checked at the
    # same moment in two threads must each count against their own client
    from django.core.cache import cache
    from django.test import RequestFactory

    from api.security import search_throttle

    barrier = threading.Barrier(2)
    real_get = cache.get

    def get_in_lockstep(key, default=None):
        value = real_get(key, default)
        barrier.wait(timeout=10)  # both threads have read their history before either writes
        return value

    requests = [RequestFactory().get("/api/v1/catalog/search", REMOTE_ADDR=f"10.0.0.{i}") for i in (1, 2)]
    with mock.patch.object(type(search_throttle), "cache", mock.Mock(get=get_in_lockstep, set=cache.set)):
        threads = [threading.Thread(target=search_throttle.allow_request, args=(r,)) for r in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)

    assert len(cache.get("throttle:search:ip-10.0.0.1", [])) == 1
    assert len(cache.get("throttle:search:ip-10.0.0.2", [])) == 1
