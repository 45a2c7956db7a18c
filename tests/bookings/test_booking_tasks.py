"""The periodic jobs: expire stale requests, complete bookings whose release timer ran out.

Each job is run twice: the second run must change nothing.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from marketplace.bookings import services as bookings
from marketplace.bookings.models import Booking
from marketplace.bookings.tasks import complete_due_bookings, expire_stale_requests, sweep
from marketplace.payments.models import LocalGatewayOperation
from tests.factories.bookings import past_paid_booking
from tests.payments.invariants import assert_money_invariants
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2027, 5, 3, 9, 0, tzinfo=NEW_YORK)  # a Monday morning
STARTS_AT = datetime(2027, 5, 7, 10, 0, tzinfo=NEW_YORK)  # that Friday, 10:00


def _request(customer, service, starts_at=STARTS_AT) -> Booking:
    return bookings.booking_request(customer=customer, service_id=service.pk, starts_at=starts_at, address="1 Main St")


def _run_twice(job, at: datetime) -> tuple[int, int, list[str]]:
    """Run the job, then again; return both counts and what the second run changed."""
    with time_machine.travel(at):
        first = job()
        before = data_snapshot()
        second = job()
        return first, second, changed_tables(before, data_snapshot())


def test_an_unpaid_request_expires_after_the_payment_window(customer, service):
    with time_machine.travel(NOW, tick=False):
        booking = _request(customer, service)
    mail.outbox.clear()

    with time_machine.travel(NOW + timedelta(minutes=29)):
        assert expire_stale_requests() == 0
    first, second, changed = _run_twice(expire_stale_requests, NOW + timedelta(minutes=30))

    assert (first, second, changed) == (1, 0, [])
    booking.refresh_from_db()
    assert booking.status == "expired"
    assert booking.close_reason == "The booking was not paid in time."
    assert sorted(m.to[0] for m in mail.outbox) == sorted([customer.email, service.vendor.user.email])


def test_a_paid_request_the_vendor_does_not_answer_expires_and_its_authorisation_is_released(customer, service):
    service.instant_booking = False
    service.save()
    with time_machine.travel(NOW, tick=False):
        booking = _request(customer, service)
        bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa")

    with time_machine.travel(NOW + timedelta(hours=47, minutes=59)):
        assert expire_stale_requests() == 0
    first, second, changed = _run_twice(expire_stale_requests, NOW + timedelta(hours=48))

    assert (first, second, changed) == (1, 0, [])
    booking.refresh_from_db()
    assert (booking.status, booking.close_reason) == ("expired", "The organizer did not answer in time.")
    assert booking.transaction.status == "voided"
    assert LocalGatewayOperation.objects.get().status == "canceled"  # the hold on the card is released
    assert assert_money_invariants() == {
        "captured": 0,
        "released": 0,
        "refunded": 0,
        "held": 0,
        "commission": 0,
        "paid_out": 0,
    }


def test_a_paid_request_expires_at_its_start_if_that_comes_first(customer, service):
    service.instant_booking = False
    service.save()
    starts_at = NOW + timedelta(hours=5)
    with time_machine.travel(NOW, tick=False):
        booking = _request(customer, service, starts_at=starts_at)
        bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa")

    with time_machine.travel(starts_at - timedelta(minutes=1)):
        assert expire_stale_requests() == 0
    first, second, changed = _run_twice(expire_stale_requests, starts_at)

    assert (first, second, changed) == (1, 0, [])
    assert LocalGatewayOperation.objects.get().status == "canceled"
    assert assert_money_invariants()["captured"] == 0


def test_a_quote_request_expires_when_the_vendor_does_not_quote(customer, quote_service):
    with time_machine.travel(NOW, tick=False):
        booking = _request(customer, quote_service)

    with time_machine.travel(NOW + timedelta(hours=47)):
        assert expire_stale_requests() == 0
    first, second, changed = _run_twice(expire_stale_requests, NOW + timedelta(hours=48))

    assert (first, second, changed) == (1, 0, [])
    booking.refresh_from_db()
    assert booking.close_reason == "The organizer did not send a quote in time."


def test_a_quote_expires_when_the_customer_does_not_pay_it(customer, quote_service):
    with time_machine.travel(NOW, tick=False):
        booking = _request(customer, quote_service)
    quoted_at = NOW + timedelta(hours=10)
    with time_machine.travel(quoted_at, tick=False):
        bookings.booking_quote(vendor_user=quote_service.vendor.user, booking_id=booking.pk, price_minor=90000)

    with time_machine.travel(quoted_at + timedelta(hours=47)):
        assert expire_stale_requests() == 0  # the 48 hours run from the quote, not the request
    first, second, changed = _run_twice(expire_stale_requests, quoted_at + timedelta(hours=48))

    assert (first, second, changed) == (1, 0, [])
    booking.refresh_from_db()
    assert booking.close_reason == "The quote was not paid in time."


def test_a_confirmed_booking_is_not_expired(customer, service):
    with time_machine.travel(NOW, tick=False):
        booking = _request(customer, service)
        bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa")

    first, second, changed = _run_twice(expire_stale_requests, STARTS_AT + timedelta(hours=1))

    assert (first, second, changed) == (0, 0, [])
    assert Booking.objects.get().status == "confirmed"


def test_a_confirmed_booking_completes_n_days_after_it_ended(customer, service):
    # given a confirmed $300 booking that ends at 13:00 on Friday
    booking = past_paid_booking(customer=customer, service=service, starts_at=STARTS_AT)
    released_at = booking.ends_at + timedelta(days=3)

    # when the job runs a minute before the three days are up, then at the moment they are
    with time_machine.travel(released_at - timedelta(minutes=1)):
        assert complete_due_bookings() == 0
    first, second, changed = _run_twice(complete_due_bookings, released_at)

    # then it completes once, and the payout (under the threshold) is released
    assert (first, second, changed) == (1, 0, [])
    booking.refresh_from_db()
    assert booking.status == "completed"
    assert booking.transaction.status == "released"
    assert assert_money_invariants() == {
        "captured": 30000,
        "released": 30000,
        "refunded": 0,
        "held": 0,
        "commission": 4500,
        "paid_out": 25500,
    }


def test_automatic_completion_leaves_a_large_payout_for_an_admin(customer, service, settings):
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 29_999
    booking = past_paid_booking(customer=customer, service=service, starts_at=STARTS_AT)

    first, second, changed = _run_twice(complete_due_bookings, booking.ends_at + timedelta(days=3))

    assert (first, second, changed) == (1, 0, [])
    booking.refresh_from_db()
    assert booking.status == "completed"
    assert booking.transaction.status == "held"
    assert booking.transaction.payout_needs_approval is True
    assert assert_money_invariants()["held"] == 30000


def test_unpaid_and_closed_bookings_are_never_completed(customer, service):
    with time_machine.travel(NOW, tick=False):
        booking = _request(customer, service)
        bookings.booking_cancel(user=customer, booking_id=booking.pk)

    first, second, changed = _run_twice(complete_due_bookings, STARTS_AT + timedelta(days=10))

    assert (first, second, changed) == (0, 0, [])


def test_a_sweep_goes_on_past_a_booking_that_fails(caplog):
    calls = []

    def step(*, booking_id):
        calls.append(booking_id)
        if booking_id == 2:
            raise RuntimeError("boom")
        return booking_id

    assert sweep([1, 2, 3], step, name="test sweep") == 2
    assert calls == [1, 2, 3]
    assert "test sweep failed for booking 2" in caplog.text
