"""The trust figures the pages show come from the organizer's bookings: jobs done, and how fast they answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from marketplace.bookings import services as bookings
from storefront.templatetags.storefront_tags import jobs_done, reply_time
from tests.conftest import local_slot
from tests.factories import CustomerFactory, ServiceFactory
from tests.factories.bookings import completed_booking, paid_booking, request_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def by_hand(vendor, category):
    """A service the organizer confirms by hand."""
    return ServiceFactory(vendor=vendor, category=category, title="Garage makeover", instant_booking=False)


def answer_after(service, minutes: int, days_ahead: int, *, decline: bool = False, start=None):
    """A paid request, answered by the organizer ``minutes`` after it was paid."""
    start = start or timezone.now()
    with time_machine.travel(start, tick=False):
        booking = paid_booking(customer=CustomerFactory(), service=service, starts_at=local_slot(days_ahead=days_ahead))
    with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
        if decline:
            return bookings.booking_decline(vendor_user=service.vendor.user, booking_id=booking.pk, reason="Away")
        return bookings.booking_accept(vendor_user=service.vendor.user, booking_id=booking.pk)


def test_each_completed_job_counts(vendor, service, customer):
    assert vendor.jobs_completed == 0
    for days in (2, 3):
        completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-days))
    vendor.refresh_from_db()
    assert vendor.jobs_completed == 2


def test_the_response_time_is_the_median_answer_from_the_third_on(vendor, by_hand):
    answer_after(by_hand, 30, 3)
    answer_after(by_hand, 240, 4, decline=True)  # a refusal is an answer too
    vendor.refresh_from_db()
    assert vendor.response_minutes is None  # two answers say too little
    answer_after(by_hand, 90, 5)
    vendor.refresh_from_db()
    assert vendor.response_minutes == 90
    answer_after(by_hand, 600, 6)
    vendor.refresh_from_db()
    assert vendor.response_minutes == 165  # (90 + 240) / 2


def test_a_quote_is_answered_when_the_organizer_prices_it(vendor, quote_service):
    start = timezone.now()
    for n, minutes in enumerate((20, 40, 60)):
        with time_machine.travel(start, tick=False):
            booking = request_booking(
                customer=CustomerFactory(), service=quote_service, starts_at=local_slot(days_ahead=4 + n)
            )
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            bookings.booking_quote(vendor_user=vendor.user, booking_id=booking.pk, price_minor=90000)
    vendor.refresh_from_db()
    assert vendor.response_minutes == 40


def test_answers_older_than_a_year_no_longer_count(vendor, by_hand):
    long_ago = timezone.now() - timedelta(days=400)
    for n in range(3):
        answer_after(by_hand, 600, 3 + n, start=long_ago)
    answer_after(by_hand, 5, 10)
    vendor.refresh_from_db()
    assert vendor.response_minutes is None  # one answer within the year


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (1, "within an hour"),
        (60, "within an hour"),
        (61, "within 2 hours"),
        (1440, "within 24 hours"),
        (1441, "within 2 days"),
    ],
)
def test_a_response_time_reads_as_a_customer_would_say_it(minutes, words):
    assert reply_time(minutes) == words


def test_jobs_read_in_words():
    assert [jobs_done(1), jobs_done(2), jobs_done(1200)] == ["1 job done", "2 jobs done", "1,200 jobs done"]
