"""Paying with a card that needs 3-D Secure: a state of the payment, not an error.

``booking_pay`` answers the step the customer must take (asked of the gateway, never
stored); ``booking_payment_confirm`` pays the booking only when the gateway says the
payment went through. Here the local gateway plays the customer's bank
(``local_gateway_authenticate``, or the storefront's stand-in
``booking_payment_authenticate_locally``).
"""

import pytest
from django.test import override_settings

from marketplace.bookings import services as bookings
from marketplace.bookings.models import Booking
from marketplace.core.errors import NotFound
from marketplace.payments import services as payments
from marketplace.payments.errors import AuthenticationFailed, PaymentNotForBooking
from marketplace.payments.gateways.local import local_gateway_authenticate
from marketplace.payments.models import LocalGatewayOperation, Movement, MovementState, Transaction
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.factories.bookings import request_booking
from tests.payments.money_checks import assert_money_invariants
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

THREE_D_SECURE = "pm_card_threeDSecure2Required"


def _movements() -> list:
    return list(Movement.objects.order_by("pk").values_list())


def _pay_with_three_d_secure(customer, service, *, days_ahead=5):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=days_ahead))
    outcome = bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method=THREE_D_SECURE)
    return booking, outcome


def test_a_card_that_needs_authentication_answers_the_step_and_pays_nothing_yet(customer, service):
    booking, outcome = _pay_with_three_d_secure(customer, service)

    [charge] = Movement.objects.all()
    assert outcome.requires_action
    assert outcome.booking.pk == booking.pk
    assert outcome.booking.status == "requested"
    assert outcome.booking.paid_at is None
    assert outcome.action.payment_reference == charge.gateway_reference
    assert outcome.action.client_secret == f"{charge.gateway_reference}_secret_local"
    assert outcome.action.gateway == "local"
    assert charge.state == MovementState.PENDING
    assert not Transaction.objects.exists()
    assert assert_money_invariants()["captured"] == 0


def test_approved_by_the_bank_the_booking_is_paid_and_confirmed(customer, service):
    booking, outcome = _pay_with_three_d_secure(customer, service)

    confirmed = bookings.booking_payment_authenticate_locally(
        customer=customer, booking_id=booking.pk, payment_reference=outcome.action.payment_reference, approve=True
    )

    assert not confirmed.requires_action
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert booking.paid_at is not None
    payment = Transaction.objects.get()
    assert (payment.status, payment.amount_minor, payment.payment_reference) == (
        "held",
        30000,
        outcome.action.payment_reference,
    )
    assert assert_money_invariants()["captured"] == 30000


def test_the_confirmation_asks_the_gateway_as_it_would_ask_stripe(customer, service):
    booking, outcome = _pay_with_three_d_secure(customer, service)
    local_gateway_authenticate(outcome.action.payment_reference, approve=True)  # the bank, in the browser

    confirmed = bookings.booking_payment_confirm(
        customer=customer, booking_id=booking.pk, payment_reference=outcome.action.payment_reference
    )

    assert confirmed.booking.status == "confirmed"
    assert Movement.objects.get().state == MovementState.SUCCEEDED


def test_a_request_authenticated_by_the_customer_waits_for_the_organizer(customer, vendor, category):
    service = ServiceFactory(vendor=vendor, category=category, base_price_minor=30000, instant_booking=False)
    booking, outcome = _pay_with_three_d_secure(customer, service)

    confirmed = bookings.booking_payment_authenticate_locally(
        customer=customer, booking_id=booking.pk, payment_reference=outcome.action.payment_reference, approve=True
    )

    assert confirmed.booking.status == "requested"
    assert Transaction.objects.get().status == "authorized"
    assert Movement.objects.get().state == MovementState.AUTHORIZED


def test_a_failed_authentication_is_refused_and_another_card_can_pay(customer, service):
    booking, outcome = _pay_with_three_d_secure(customer, service)

    with pytest.raises(AuthenticationFailed) as refused:
        bookings.booking_payment_authenticate_locally(
            customer=customer, booking_id=booking.pk, payment_reference=outcome.action.payment_reference, approve=False
        )

    assert refused.value.status == 402
    assert refused.value.message == "Your bank could not confirm the payment; nothing was charged."
    assert Movement.objects.get().state == MovementState.FAILED
    booking.refresh_from_db()
    assert (booking.status, booking.paid_at) == ("requested", None)
    assert not Transaction.objects.exists()

    paid = bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa")

    assert not paid.requires_action
    assert paid.booking.status == "confirmed"
    assert Movement.objects.filter(state=MovementState.SUCCEEDED).count() == 1
    assert LocalGatewayOperation.objects.filter(status="succeeded").count() == 1
    assert assert_money_invariants()["captured"] == 30000


def test_paying_again_after_the_bank_refused_pays_with_the_new_card(customer, service):
    booking, outcome = _pay_with_three_d_secure(customer, service)
    local_gateway_authenticate(outcome.action.payment_reference, approve=False)  # nobody confirmed it yet

    paid = bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa")

    assert paid.booking.status == "confirmed"
    assert list(Movement.objects.order_by("pk").values_list("state", "failure_code")) == [
        (MovementState.FAILED, "authentication_failed"),
        (MovementState.SUCCEEDED, ""),
    ]
    assert assert_money_invariants()["captured"] == 30000


def test_confirming_a_failed_step_again_says_so_again(customer, service):
    booking, outcome = _pay_with_three_d_secure(customer, service)
    local_gateway_authenticate(outcome.action.payment_reference, approve=False)
    with pytest.raises(AuthenticationFailed):
        bookings.booking_payment_confirm(
            customer=customer, booking_id=booking.pk, payment_reference=outcome.action.payment_reference
        )
    before = data_snapshot()

    with pytest.raises(AuthenticationFailed) as again:
        bookings.booking_payment_confirm(
            customer=customer, booking_id=booking.pk, payment_reference=outcome.action.payment_reference
        )

    assert again.value.code == "authentication_failed"
    assert changed_tables(before, data_snapshot()) == []


def test_a_step_still_open_is_answered_again(customer, service):
    booking, outcome = _pay_with_three_d_secure(customer, service)

    again = bookings.booking_payment_confirm(
        customer=customer, booking_id=booking.pk, payment_reference=outcome.action.payment_reference
    )

    assert again.action == outcome.action
    assert Movement.objects.get().state == MovementState.PENDING
    assert not Transaction.objects.exists()


def test_paying_again_during_the_step_answers_the_same_step_and_charges_once(customer, service):
    booking, outcome = _pay_with_three_d_secure(customer, service)

    again = bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa")

    assert again.action == outcome.action
    assert Movement.objects.count() == 1
    assert LocalGatewayOperation.objects.count() == 1
    assert not Transaction.objects.exists()


def test_a_payment_of_another_booking_is_refused_and_nothing_is_written(customer, service):
    booking, _ = _pay_with_three_d_secure(customer, service, days_ahead=5)
    _, other = _pay_with_three_d_secure(customer, service, days_ahead=6)
    before, movements = data_snapshot(), _movements()

    for reference in (other.action.payment_reference, "pi_made_up", ""):
        with pytest.raises(PaymentNotForBooking) as refused:
            bookings.booking_payment_confirm(customer=customer, booking_id=booking.pk, payment_reference=reference)
        assert (refused.value.status, refused.value.field) == (400, "payment_reference")

    assert changed_tables(before, data_snapshot()) == []
    assert _movements() == movements  # not even asked of the gateway (no attempt counted)


def test_another_customer_cannot_confirm_or_authenticate_the_payment(customer, other_customer, service):
    booking, outcome = _pay_with_three_d_secure(customer, service)
    reference = outcome.action.payment_reference
    before, movements = data_snapshot(), _movements()

    with pytest.raises(NotFound):
        bookings.booking_payment_confirm(customer=other_customer, booking_id=booking.pk, payment_reference=reference)
    with pytest.raises(NotFound):
        bookings.booking_payment_authenticate_locally(
            customer=other_customer, booking_id=booking.pk, payment_reference=reference, approve=True
        )
    with pytest.raises(NotFound):
        bookings.booking_payment_action(customer=other_customer, booking_id=booking.pk)

    assert changed_tables(before, data_snapshot()) == []
    assert _movements() == movements
    assert LocalGatewayOperation.objects.get().status == "requires_action"


def test_the_local_step_of_another_booking_is_refused_and_the_bank_is_not_asked(customer, service):
    booking, _ = _pay_with_three_d_secure(customer, service, days_ahead=5)
    _, other = _pay_with_three_d_secure(customer, service, days_ahead=6)
    before = data_snapshot()

    with pytest.raises(PaymentNotForBooking):
        bookings.booking_payment_authenticate_locally(
            customer=customer, booking_id=booking.pk, payment_reference=other.action.payment_reference, approve=True
        )

    assert changed_tables(before, data_snapshot()) == []


@override_settings(PAYMENTS_GATEWAY="stripe", STRIPE_SECRET_KEY="sk_test_x")
def test_the_local_step_exists_only_with_the_local_gateway(customer, service):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=5))

    with pytest.raises(NotFound, match="not the local one"):
        bookings.booking_payment_authenticate_locally(
            customer=customer, booking_id=booking.pk, payment_reference="ch_local_x", approve=True
        )


def test_a_confirmation_after_the_sweep_settled_the_payment_answers_it_paid(customer, service):
    booking, outcome = _pay_with_three_d_secure(customer, service)
    local_gateway_authenticate(outcome.action.payment_reference, approve=True)
    payments.movement_execute(Movement.objects.get().pk)  # the sweep (or a webhook) came first

    confirmed = bookings.booking_payment_confirm(
        customer=customer, booking_id=booking.pk, payment_reference=outcome.action.payment_reference
    )

    assert confirmed.booking.status == "confirmed"
    assert Booking.objects.get().status == "confirmed"
    assert assert_money_invariants()["captured"] == 30000
