"""A booking's money timeline: each step's words and amounts, for the organizer and for staff, in a few queries."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from marketplace.bookings import services as bookings
from marketplace.bookings.models import Booking
from marketplace.core.money import Money
from marketplace.payments.models import Payout, Transaction
from marketplace.payments.services import escrow_hold, escrow_hold_lift, escrow_refund_by_admin, escrow_release
from marketplace.payments.timeline import booking_money_timeline
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.factories.bookings import completed_booking, paid_booking

pytestmark = pytest.mark.django_db


def loaded(booking) -> Booking:
    return Booking.objects.select_related("vendor__profile").get(pk=booking.pk)


def steps(booking, audience="organizer"):
    return [
        (event.code, event.title, str(event.amount) if event.amount else None)
        for event in booking_money_timeline(booking=loaded(booking), audience=audience)
    ]


def event(booking, code, audience="organizer"):
    [found] = [e for e in booking_money_timeline(booking=loaded(booking), audience=audience) if e.code == code]
    return found


def test_an_instant_booking_released_and_paid_out(customer, service):
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))

    assert steps(booking) == [
        ("paid", "Paid by the customer", "$300.00"),
        ("released", "Released from escrow", "$255.00"),
        ("payout_sent", "Payout sent to your account", "$255.00"),
    ]
    released = event(booking, "released")
    assert [(label, str(amount)) for label, amount in released.lines] == [
        ("Commission", "$45.00"),
        ("Your share", "$255.00"),
    ]
    assert released.detail == "The work is confirmed: the platform keeps its commission, the rest is yours."
    assert event(booking, "paid").detail == "Held in escrow until the work is confirmed."


def test_a_request_is_authorised_then_captured_when_the_organizer_accepts(customer, vendor, category):
    service = ServiceFactory(vendor=vendor, category=category, base_price_minor=30000, instant_booking=False)
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=4))

    assert steps(booking) == [("authorized", "Payment authorised on the customer's card", "$300.00")]

    bookings.booking_accept(vendor_user=vendor.user, booking_id=booking.pk)

    assert steps(booking) == [
        ("authorized", "Payment authorised on the customer's card", "$300.00"),
        ("captured", "Captured on acceptance", "$300.00"),
    ]
    assert event(booking, "captured").detail == (
        "The request was accepted: the payment is held in escrow until the work is confirmed."
    )


def test_a_partial_refund_after_the_payout_takes_the_organizers_share_back(admin_user, customer, service):
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))

    escrow_refund_by_admin(
        admin=admin_user, booking_id=booking.pk, amount=Money(10000, "USD"), reason="Customer said: my ex lives here"
    )

    assert steps(booking) == [
        ("paid", "Paid by the customer", "$300.00"),
        ("released", "Released from escrow", "$255.00"),
        ("payout_sent", "Payout sent to your account", "$255.00"),
        ("refund", "Refunded to the customer by our team", "$100.00"),
        ("reversal", "Taken back from the payout", "$85.00"),
    ]
    refund = event(booking, "refund")
    # $200 kept is split again at 15%: the organizer's share goes down by $85.
    assert [(label, str(amount)) for label, amount in refund.lines] == [("Your share goes down by", "$85.00")]
    assert refund.detail == ""  # our team's reason may carry what the customer told support: not for the organizer
    assert event(booking, "reversal").detail == "Your account gave back your share of the refund."
    staff = event(booking, "refund", audience="staff")
    assert staff.title == "Refunded to the customer by Ada Admin"
    assert staff.detail == "Reason: Customer said: my ex lives here"
    assert [(label, str(amount)) for label, amount in staff.lines] == [
        ("Organizer's share down by", "$85.00"),
        ("Commission down by", "$15.00"),
    ]


def test_a_dispute_hold_is_placed_and_lifted_in_the_organizers_words(admin_user, customer, service):
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    escrow_hold(booking_id=booking.pk, reason="dispute", actor=customer, note="The customer's private complaint")
    escrow_hold_lift(booking_id=booking.pk, reason="dispute", actor=None, note="Settled between them")
    escrow_hold(booking_id=booking.pk, reason="admin", actor=admin_user, note="Checking a fraud signal")

    assert steps(booking) == [
        ("paid", "Paid by the customer", "$300.00"),
        ("hold_placed", "Payout on hold: a dispute is open", None),
        ("hold_lifted", "Hold lifted", None),
        ("hold_placed", "Payout on hold by our team", None),
    ]
    details = [e.detail for e in booking_money_timeline(booking=loaded(booking), audience="organizer")]
    assert details[1:] == [
        "Nothing is paid out until the dispute is resolved.",
        "The dispute is resolved.",
        "Nothing is paid out until our team lifts the hold.",
    ]
    staff = [e.detail for e in booking_money_timeline(booking=loaded(booking), audience="staff")]
    assert staff[3] == "Nothing is paid out until our team lifts the hold. Placed by Ada Admin. Checking a fraud signal"
    assert staff[2] == "Lifted automatically. Settled between them"


def test_a_booking_never_paid_has_no_timeline(customer, service):
    booking = bookings.booking_request(
        customer=customer, service_id=service.pk, starts_at=local_slot(days_ahead=3), address="12 Elm St, Brooklyn, NY"
    )

    assert booking_money_timeline(booking=loaded(booking), audience="organizer") == []


def test_an_unknown_audience_is_refused(customer, service):
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    with pytest.raises(ValueError, match="Unknown audience 'customer'"):
        booking_money_timeline(booking=loaded(booking), audience="customer")


def test_the_timeline_costs_a_handful_of_queries_however_long_the_history(
    admin_user, customer, service, django_assert_max_num_queries
):
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    for amount in (1000, 2000, 3000):
        escrow_refund_by_admin(admin=admin_user, booking_id=booking.pk, amount=Money(amount, "USD"), reason="Goodwill")
    booking = loaded(booking)
    # Content types are cached for the life of the process, as in production.
    ContentType.objects.get_for_model(Transaction)
    ContentType.objects.get_for_model(Payout, for_concrete_model=False)

    with django_assert_max_num_queries(6):
        timeline = booking_money_timeline(booking=booking, audience="organizer")

    assert [e.code for e in timeline].count("refund") == 3
    assert [e.code for e in timeline].count("reversal") == 3


def test_a_release_an_admin_approved_says_so(settings, admin_user, customer, service, django_assert_max_num_queries):
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 10000
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    assert [code for code, _, _ in steps(booking)] == ["paid"]

    escrow_release(booking_id=booking.pk, approved_by=admin_user, reason="Checked")

    assert event(booking, "released").detail == (
        "The work is confirmed: the platform keeps its commission, the rest is yours. Our team approved the payout."
    )
    booking = loaded(booking)
    ContentType.objects.get_for_model(Transaction)
    ContentType.objects.get_for_model(Payout, for_concrete_model=False)
    with django_assert_max_num_queries(6):
        staff = booking_money_timeline(booking=booking, audience="staff")
    [released] = [e for e in staff if e.code == "released"]
    assert released.detail.endswith("the rest is the organizer's. Payout approved by Ada Admin.")
