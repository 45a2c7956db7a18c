"""The booking policy is the one answer to "may this user do this now?": faces ask it, services enforce it.

The central test drives every move on bookings in every stage, by the right user and
by the wrong one, and checks that the verdict a face would show is exactly what the
service then does: allowed means it succeeds, refused means it raises that refusal.
"""

from datetime import time, timedelta

import pytest
import time_machine

from marketplace.bookings import policy
from marketplace.bookings import services as bookings
from marketplace.bookings.policy import WaitingFor
from marketplace.core.errors import DomainError
from marketplace.payments.policy import EscrowState
from marketplace.reviews.policy import can_review
from marketplace.reviews.services import review_create
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.factories.bookings import completed_booking, paid_booking, past_paid_booking, request_booking

pytestmark = pytest.mark.django_db


def _stage(stage: str, *, customer, service, request_only_service, quote_service):
    """A booking in one stage of its life, made through the services."""
    soon = local_slot(days_ahead=3)
    if stage == "unpaid request":
        return request_booking(customer=customer, service=request_only_service, starts_at=soon)
    if stage == "paid request":
        return paid_booking(customer=customer, service=request_only_service, starts_at=soon)
    if stage == "quote request":
        return request_booking(customer=customer, service=quote_service, starts_at=soon)
    if stage == "quoted":
        booking = request_booking(customer=customer, service=quote_service, starts_at=soon)
        return bookings.booking_quote(vendor_user=quote_service.vendor.user, booking_id=booking.pk, price_minor=50000)
    if stage == "confirmed":
        return paid_booking(customer=customer, service=service, starts_at=soon)
    if stage == "confirmed, started":
        return past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-1))
    if stage == "completed":
        return completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    if stage == "cancelled":
        booking = paid_booking(customer=customer, service=service, starts_at=soon)
        return bookings.booking_cancel(user=customer, booking_id=booking.pk)
    raise AssertionError(stage)


STAGES = [
    "unpaid request",
    "paid request",
    "quote request",
    "quoted",
    "confirmed",
    "confirmed, started",
    "completed",
    "cancelled",
]

# action -> (the guard, who it is meant for, the service call)
ACTIONS = {
    "pay": (
        policy.can_pay,
        "customer",
        lambda user, booking: bookings.booking_pay(customer=user, booking_id=booking.pk, payment_method="pm_card_visa"),
    ),
    "quote": (
        policy.can_quote,
        "vendor",
        lambda user, booking: bookings.booking_quote(vendor_user=user, booking_id=booking.pk, price_minor=42000),
    ),
    "accept": (
        policy.can_accept,
        "vendor",
        lambda user, booking: bookings.booking_accept(vendor_user=user, booking_id=booking.pk),
    ),
    "decline": (
        policy.can_decline,
        "vendor",
        lambda user, booking: bookings.booking_decline(vendor_user=user, booking_id=booking.pk, reason="Fully booked"),
    ),
    "cancel (customer)": (
        policy.can_cancel,
        "customer",
        lambda user, booking: bookings.booking_cancel(user=user, booking_id=booking.pk),
    ),
    "cancel (organizer)": (
        policy.can_cancel,
        "vendor",
        lambda user, booking: bookings.booking_cancel(user=user, booking_id=booking.pk),
    ),
    "confirm completion": (
        policy.can_confirm_completion,
        "customer",
        lambda user, booking: bookings.booking_confirm_completion(customer=user, booking_id=booking.pk),
    ),
    "review": (
        can_review,
        "customer",
        lambda user, booking: review_create(customer=user, booking_id=booking.pk, rating=5),
    ),
}


@pytest.mark.parametrize("stranger", [False, True], ids=["owner", "stranger"])
@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("stage", STAGES)
def test_the_verdict_a_face_shows_is_what_the_service_does(
    customer, other_customer, other_vendor, service, request_only_service, quote_service, stage, action, stranger
):
    booking = _stage(
        stage,
        customer=customer,
        service=service,
        request_only_service=request_only_service,
        quote_service=quote_service,
    )
    guard, meant_for, call = ACTIONS[action]
    owner = customer if meant_for == "customer" else booking.vendor.user
    user = (other_customer if meant_for == "customer" else other_vendor.user) if stranger else owner

    verdict = guard(booking, user=user)
    try:
        call(user, booking)
    except DomainError as error:
        outcome = (error.code, error.message)
    else:
        outcome = None

    expected = None if verdict else (verdict.refusal.code, verdict.refusal.message)
    assert outcome == expected
    if stranger:
        assert outcome == ("not_found", "Booking not found.")


@pytest.fixture
def request_only_service(vendor, category):
    return ServiceFactory(
        vendor=vendor, category=category, title="Garage makeover", base_price_minor=65000, instant_booking=False
    )


def test_what_an_open_request_waits_for(customer, service, request_only_service, quote_service):
    soon = local_slot(days_ahead=3)
    quote = request_booking(customer=customer, service=quote_service, starts_at=soon)
    assert policy.waiting_for(quote) == WaitingFor.QUOTE
    quoted = bookings.booking_quote(vendor_user=quote_service.vendor.user, booking_id=quote.pk, price_minor=9000)
    assert policy.waiting_for(quoted) == WaitingFor.QUOTE_PAYMENT

    unpaid = request_booking(customer=customer, service=request_only_service, starts_at=soon + timedelta(days=1))
    assert policy.waiting_for(unpaid) == WaitingFor.PAYMENT
    paid = bookings.booking_pay(customer=customer, booking_id=unpaid.pk, payment_method="pm_card_visa").booking
    assert policy.waiting_for(paid) == WaitingFor.ANSWER
    assert {WaitingFor.QUOTE, WaitingFor.ANSWER} == policy.ORGANIZER_MOVES

    confirmed = paid_booking(customer=customer, service=service, starts_at=soon + timedelta(days=2))
    assert policy.waiting_for(confirmed) is None


def test_request_deadlines_name_why_the_request_expires(customer, request_only_service, settings):
    settings.BOOKING_PAYMENT_WINDOW_MINUTES = 30
    settings.BOOKING_RESPONSE_WINDOW_HOURS = 48
    unpaid = request_booking(customer=customer, service=request_only_service, starts_at=local_slot(days_ahead=5))
    assert policy.request_deadline(unpaid) == (
        unpaid.created_at + timedelta(minutes=30),
        "The booking was not paid in time.",
    )
    paid = bookings.booking_pay(customer=customer, booking_id=unpaid.pk, payment_method="pm_card_visa").booking
    assert policy.request_deadline(paid) == (
        paid.created_at + timedelta(hours=48),
        "The organizer did not answer in time.",
    )
    # never later than the appointment itself
    day = local_slot(days_ahead=4, at=time(7, 0))
    with time_machine.travel(day, tick=False):
        early = paid_booking(customer=customer, service=request_only_service, starts_at=day.replace(hour=10))
        assert policy.request_deadline(early) == (early.starts_at, "The organizer did not answer in time.")


def test_the_money_outlook_follows_the_money(customer, service, admin_user, settings):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    assert policy.money_outlook(booking).state == EscrowState.NOT_PAID
    assert policy.money_outlook(booking).detail == "Nothing has been charged."

    booking = bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa").booking
    outlook = policy.money_outlook(booking)
    assert (outlook.state, outlook.label, outlook.detail) == (
        EscrowState.HELD,
        "Held in escrow",
        "Held securely until the work is confirmed.",
    )
    assert policy.money_outlook(booking, audience="vendor").detail == (
        "Paid out when the customer confirms the work, or automatically a few days after the appointment."
    )


def test_confirming_tells_the_truth_about_a_payout_that_waits_for_approval(customer, service, settings, admin_user):
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 10000  # the $300.00 service now needs an admin's approval
    booking = past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-1))
    assert policy.confirmation_preview(booking) == (
        "We then release $300.00 to Calm Spaces once our team has approved the payout."
    )

    with time_machine.travel(booking.ends_at + timedelta(minutes=5)):
        booking = bookings.booking_confirm_completion(customer=customer, booking_id=booking.pk)

    outlook = policy.money_outlook(booking)
    assert (outlook.state, outlook.label, outlook.detail) == (
        EscrowState.AWAITING_APPROVAL,
        "Held in escrow",
        "The work is confirmed; the payout is waiting for our team's approval.",
    )
    assert policy.release_sentence(booking) == "The payment goes to Calm Spaces once our team approves the payout."


def test_confirming_a_payout_without_approval_says_it_is_released(customer, service):
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))

    assert policy.money_outlook(booking).state == EscrowState.RELEASED
    assert policy.release_sentence(booking) == "The payment is released to Calm Spaces."
    assert policy.money_outlook(booking, audience="vendor").detail == "Paid out to you."


def test_a_refunded_booking_says_so(customer, service):
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    booking = bookings.booking_cancel(user=customer, booking_id=booking.pk)

    outlook = policy.money_outlook(booking)
    assert (outlook.state, outlook.label, outlook.detail) == (
        EscrowState.REFUNDED,
        "Refunded",
        "Returned to the customer in full.",
    )


def test_booking_actions_list_exactly_the_allowed_moves(customer, service, request_only_service):
    booking = paid_booking(customer=customer, service=request_only_service, starts_at=local_slot(days_ahead=3))

    assert policy.booking_actions(booking, user=customer) == ["cancel"]
    assert policy.booking_actions(booking, user=request_only_service.vendor.user) == ["accept", "decline", "cancel"]
