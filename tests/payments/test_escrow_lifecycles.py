"""Escrow held = captured - released - refunded, checked after every step of several lifecycles.

Six bookings run side by side on one calendar, so every check sees the others'
money too: a happy path, a decline, a quote then the customer's cancellation
(half refunded under the moderate policy), a payout an
admin approves, a paid request that expires, and a 100% commission.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from marketplace.bookings import services as bookings
from marketplace.bookings.tasks import complete_due_bookings, expire_stale_requests
from marketplace.payments.services import escrow_release
from tests.factories import ServiceFactory, VendorFactory, with_weekly_hours
from tests.payments.invariants import assert_money_invariants

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2027, 6, 7, 9, 0, tzinfo=NEW_YORK)


def at(day: int, hour: int) -> datetime:
    return MONDAY.replace(day=MONDAY.day + day, hour=hour)


def test_escrow_balances_after_every_step(customer, category, admin_user):
    def vendor_with(**fields):
        return with_weekly_hours(VendorFactory(**fields))

    happy = ServiceFactory(vendor=vendor_with(), category=category, base_price_minor=30000)  # $300, 15%
    on_request = ServiceFactory(vendor=vendor_with(), category=category, base_price_minor=20000, instant_booking=False)
    quote = ServiceFactory(
        vendor=vendor_with(), category=category, pricing_model="quote", base_price_minor=0, instant_booking=False
    )
    flagged = ServiceFactory(vendor=vendor_with(payouts_need_approval=True), category=category, base_price_minor=333)
    ignored = ServiceFactory(vendor=vendor_with(), category=category, base_price_minor=5000, instant_booking=False)
    all_fee = ServiceFactory(vendor=vendor_with(commission_bps=10000), category=category, base_price_minor=1000)
    totals = {"captured": 0, "released": 0, "refunded": 0, "held": 0, "commission": 0, "paid_out": 0}

    def step(**changes):
        for name, delta in changes.items():
            totals[name] += delta
        assert assert_money_invariants() == totals

    def book(service, **extra):
        return bookings.booking_request(
            customer=customer, service_id=service.pk, starts_at=at(2, 10), address="1 Main St", **extra
        )

    def pay(booking):
        return bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa").booking

    with time_machine.travel(MONDAY, tick=False):
        happy_booking = book(happy)
        step()
        pay(happy_booking)
        step(captured=30000, held=30000)

        declined = book(on_request)
        pay(declined)
        step()  # a request's payment is only authorised on the card
        bookings.booking_decline(vendor_user=on_request.vendor.user, booking_id=declined.pk, reason="Sick")
        step()  # released: nothing was ever taken

        accepted = book(on_request)
        pay(accepted)
        step()
        bookings.booking_accept(vendor_user=on_request.vendor.user, booking_id=accepted.pk)
        step(captured=20000, held=20000)  # accepting captures it into escrow
        bookings.booking_cancel(user=on_request.vendor.user, booking_id=accepted.pk, reason="Van broke down")
        step(refunded=20000, held=-20000)  # the organizer cancels: refunded in full

        quoted = book(quote)
        bookings.booking_quote(vendor_user=quote.vendor.user, booking_id=quoted.pk, price_minor=77777)
        step()
        pay(quoted)
        step(captured=77777, held=77777)
        # 49 hours before the start, the moderate policy gives half back (rounded half up); the
        # organizer keeps the rest less the 15% fee, released at once.
        bookings.booking_cancel(user=customer, booking_id=quoted.pk, reason="Moving later")
        step(refunded=38889, held=-77777, released=38888, commission=5833, paid_out=33055)

        flagged_booking = book(flagged)
        pay(flagged_booking)
        step(captured=333, held=333)

        unanswered = book(ignored)
        pay(unanswered)
        step()

        all_fee_booking = book(all_fee)
        pay(all_fee_booking)
        step(captured=1000, held=1000)

    with time_machine.travel(at(2, 9), tick=False):  # 48 hours unanswered: the paid request expires
        assert expire_stale_requests() == 1
        step()  # its authorisation is released

    with time_machine.travel(at(2, 14), tick=False):  # the work is done; the customer confirms two
        bookings.booking_confirm_completion(customer=customer, booking_id=happy_booking.pk)
        step(released=30000, held=-30000, commission=4500, paid_out=25500)
        bookings.booking_confirm_completion(customer=customer, booking_id=all_fee_booking.pk)
        step(released=1000, held=-1000, commission=1000)  # nothing to transfer

    with time_machine.travel(at(5, 14), tick=False):  # three days later the flagged one completes itself
        assert complete_due_bookings() == 1
        step()  # it waits for an admin: still held
        escrow_release(booking_id=flagged_booking.pk, approved_by=admin_user, reason="Checked")
        step(released=333, held=-333, commission=50, paid_out=283)

    assert totals == {
        "captured": 129110,
        "released": 70221,
        "refunded": 58889,
        "held": 0,
        "commission": 11383,
        "paid_out": 58838,
    }
