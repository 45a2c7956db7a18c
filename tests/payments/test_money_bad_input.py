"""Bad input to the money services is refused with a stable code and writes nothing.

Each refusal is compared with a snapshot of every marketplace table plus the movements
and holds: no payment, movement, ledger line, gateway operation or audit entry appears.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from marketplace.accounts.errors import NotPermitted
from marketplace.bookings import services as bookings
from marketplace.core.money import Money
from marketplace.payments import services as payments
from marketplace.payments import tasks
from marketplace.payments.errors import (
    BookingNotCompleted,
    CurrencyMismatch,
    InvalidAmount,
    NoActiveHold,
    NothingToRefund,
    PaymentNotHeld,
    RefundTooLarge,
)
from tests.payments.money_checks import assert_money_invariants, money_snapshot, usd

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2027, 6, 7, 9, 0, tzinfo=NEW_YORK)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def paid(clock, customer, service):
    """A confirmed booking of the $300 service, paid into escrow, five days ahead."""
    booking = bookings.booking_request(
        customer=customer,
        service_id=service.pk,
        starts_at=(MONDAY + timedelta(days=5)).replace(hour=10),
        address="12 Elm St, Brooklyn, NY",
    )
    return bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa").booking


def refuse(error_class, call):
    """Run ``call``; it must raise ``error_class`` and change nothing. Returns the error."""
    before = money_snapshot()
    with pytest.raises(error_class) as refused:
        call()
    assert money_snapshot() == before
    return refused.value


@pytest.mark.parametrize("minor", [0, -1, -30000])
def test_a_refund_of_nothing_or_less_is_an_invalid_amount(paid, admin_user, minor):
    error = refuse(
        InvalidAmount,
        lambda: payments.escrow_refund_by_admin(admin=admin_user, booking_id=paid.pk, amount=usd(minor), reason="x"),
    )

    assert (error.code, error.status, error.field) == ("invalid_amount", 400, "amount_minor")


def test_a_refund_above_what_is_left_is_too_large(paid, admin_user):
    payments.escrow_refund_by_admin(admin=admin_user, booking_id=paid.pk, amount=usd(10000), reason="Part")

    error = refuse(
        RefundTooLarge,
        lambda: payments.escrow_refund_by_admin(admin=admin_user, booking_id=paid.pk, amount=usd(20001), reason="x"),
    )

    assert (error.code, error.status, error.field) == ("refund_too_large", 400, "amount_minor")
    assert error.message == "At most $200.00 of this payment is left to refund."
    payments.escrow_refund_by_admin(admin=admin_user, booking_id=paid.pk, amount=usd(20000), reason="The rest")
    assert assert_money_invariants()["refunded"] == 30000


def test_a_refund_in_another_currency_is_refused(paid, admin_user):
    error = refuse(
        CurrencyMismatch,
        lambda: payments.escrow_refund_by_admin(
            admin=admin_user, booking_id=paid.pk, amount=Money(100, "EUR"), reason="x"
        ),
    )

    assert (error.code, error.status, error.field) == ("currency_mismatch", 400, "currency")


def test_nothing_is_left_to_refund_after_a_full_refund(paid, admin_user):
    payments.escrow_refund_by_admin(admin=admin_user, booking_id=paid.pk, amount=None, reason="All of it")

    error = refuse(
        NothingToRefund,
        lambda: payments.escrow_refund_by_admin(admin=admin_user, booking_id=paid.pk, amount=usd(1), reason="x"),
    )

    assert (error.code, error.status) == ("nothing_to_refund", 409)


def test_only_an_admin_refunds(paid, customer):
    error = refuse(
        NotPermitted,
        lambda: payments.escrow_refund_by_admin(admin=customer, booking_id=paid.pk, amount=usd(100), reason="x"),
    )

    assert error.status == 403


def test_a_booking_that_is_not_completed_is_not_released(paid, admin_user):
    error = refuse(
        BookingNotCompleted,
        lambda: payments.escrow_release(booking_id=paid.pk, approved_by=admin_user, reason="Looks fine"),
    )

    assert (error.code, error.status) == ("booking_not_completed", 409)
    before = money_snapshot()
    assert tasks.escrow_release_due() == 0  # the job leaves it alone, and writes nothing
    assert money_snapshot() == before


def test_a_released_payment_cannot_be_held_and_an_absent_hold_cannot_be_lifted(clock, paid, customer, admin_user):
    error = refuse(
        NoActiveHold,
        lambda: payments.escrow_hold_lift(booking_id=paid.pk, reason="admin", actor=admin_user, note="x"),
    )
    assert error.code == "no_active_hold"
    clock.move_to(paid.ends_at + timedelta(minutes=5))
    bookings.booking_confirm_completion(customer=customer, booking_id=paid.pk)

    error = refuse(
        PaymentNotHeld,
        lambda: payments.escrow_hold(booking_id=paid.pk, reason="admin", actor=admin_user, note="x"),
    )

    assert error.code == "payment_not_held"
