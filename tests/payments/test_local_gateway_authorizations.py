"""The local gateway's authorisations and 3-D Secure, as Stripe's PaymentIntents behave.

A charge made with ``capture=False`` holds the money on the card until it is captured
(all or part) or cancelled; one made with a 3-D Secure test card waits for the
customer's step (``local_gateway_authenticate``). Nothing of an authorisation is money
moved: no refund, no reconciliation object. And the money service never books a
payment that waits for the customer, and cancels one the customer abandoned.
"""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings

from marketplace.bookings import services as bookings
from marketplace.bookings.tasks import expire_stale_requests
from marketplace.core.errors import PaymentFailed
from marketplace.core.money import Money
from marketplace.payments import services as payments
from marketplace.payments.gateways.base import PaymentStatus
from marketplace.payments.gateways.local import LocalGateway, local_gateway_authenticate, local_gateway_faults
from marketplace.payments.models import LocalGatewayOperation, Movement, MovementKind, MovementState, Transaction
from tests.conftest import local_slot
from tests.factories.bookings import request_booking
from tests.payments.money_checks import assert_money_invariants

pytestmark = pytest.mark.django_db

USD_300 = Money(30000, "USD")
THREE_D_SECURE = "pm_card_threeDSecure2Required"


def authorise(gateway, key="BK-1:charge:1", method="pm_card_visa"):
    return gateway.charge(
        amount=USD_300, payment_method=method, transfer_group="BK-1", idempotency_key=key, capture=False
    )


def status_of(reference: str) -> str:
    return LocalGatewayOperation.objects.get(reference=reference).status


def test_an_authorisation_is_captured_once_however_often_capture_is_called():
    gateway = LocalGateway()
    held = authorise(gateway)
    assert (held.status, status_of(held.reference)) == (PaymentStatus.AUTHORIZED, "authorized")

    first = gateway.capture(payment_reference=held.reference, amount=USD_300, idempotency_key="BK-1:capture")
    again = gateway.capture(payment_reference=held.reference, amount=USD_300, idempotency_key="BK-1:capture")

    assert first == again
    assert (first.reference, first.status) == (held.reference, PaymentStatus.SUCCEEDED)
    assert LocalGatewayOperation.objects.count() == 1


def test_part_of_an_authorisation_may_be_captured_and_never_more():
    gateway = LocalGateway()
    held = authorise(gateway)
    with pytest.raises(PaymentFailed) as refused:
        gateway.capture(payment_reference=held.reference, amount=Money(30001, "USD"), idempotency_key="k")
    assert refused.value.code == "amount_too_small"
    assert status_of(held.reference) == "authorized"

    gateway.capture(payment_reference=held.reference, amount=Money(20000, "USD"), idempotency_key="k2")

    assert LocalGatewayOperation.objects.get().amount_minor == 20000  # the rest is released


def test_a_cancelled_authorisation_cannot_be_captured_nor_refunded():
    gateway = LocalGateway()
    held = authorise(gateway)

    cancelled = gateway.cancel_authorization(payment_reference=held.reference, idempotency_key="BK-1:cancel")
    assert cancelled.status == PaymentStatus.CANCELED
    assert gateway.cancel_authorization(payment_reference=held.reference, idempotency_key="x").status == "canceled"

    with pytest.raises(PaymentFailed) as refused:
        gateway.capture(payment_reference=held.reference, amount=USD_300, idempotency_key="BK-1:capture")
    assert refused.value.code == "charge_not_capturable"
    with pytest.raises(PaymentFailed) as refused:
        gateway.refund(payment_reference=held.reference, amount=USD_300, idempotency_key="BK-1:refund:1")
    assert refused.value.code == "charge_not_captured"


def test_a_captured_payment_cannot_be_cancelled_only_refunded():
    gateway = LocalGateway()
    paid = gateway.charge(amount=USD_300, payment_method="pm_card_visa", transfer_group="BK-1", idempotency_key="k")
    with pytest.raises(PaymentFailed) as refused:
        gateway.cancel_authorization(payment_reference=paid.reference, idempotency_key="BK-1:cancel")
    assert refused.value.code == "charge_already_captured"
    assert status_of(paid.reference) == "succeeded"


def test_an_unknown_payment_is_refused():
    gateway = LocalGateway()
    for call in (
        lambda: gateway.capture(payment_reference="ch_nope", amount=USD_300, idempotency_key="k"),
        lambda: gateway.cancel_authorization(payment_reference="ch_nope", idempotency_key="k"),
        lambda: gateway.payment_status(payment_reference="ch_nope"),
    ):
        with pytest.raises(PaymentFailed) as refused:
            call()
        assert refused.value.code == "charge_not_found"


def test_a_capture_can_fail_before_or_after_acting_and_be_retried():
    gateway = LocalGateway()
    held = authorise(gateway)
    with local_gateway_faults(capture=["error", "timeout"]):
        with pytest.raises(Exception, match="failed before the capture"):
            gateway.capture(payment_reference=held.reference, amount=USD_300, idempotency_key="c")
        assert status_of(held.reference) == "authorized"
        with pytest.raises(Exception, match="answer was lost"):
            gateway.capture(payment_reference=held.reference, amount=USD_300, idempotency_key="c")
    assert status_of(held.reference) == "succeeded"  # it happened; the retry answers the same
    assert gateway.capture(payment_reference=held.reference, amount=USD_300, idempotency_key="c").status == "succeeded"


@pytest.mark.parametrize("capture, after", [(True, "succeeded"), (False, "authorized")])
def test_a_three_d_secure_payment_waits_for_the_customer(capture, after):
    gateway = LocalGateway()
    waiting = gateway.charge(
        amount=USD_300, payment_method=THREE_D_SECURE, transfer_group="BK-1", idempotency_key="k", capture=capture
    )
    assert (waiting.status, waiting.client_secret) == (
        PaymentStatus.REQUIRES_ACTION,
        f"{waiting.reference}_secret_local",
    )
    assert gateway.payment_status(payment_reference=waiting.reference).status == PaymentStatus.REQUIRES_ACTION
    assert list(gateway.objects(created_from=_ever(), created_to=_forever())) == []  # nothing taken yet

    local_gateway_authenticate(waiting.reference)

    assert gateway.payment_status(payment_reference=waiting.reference).status == after


def test_a_failed_three_d_secure_step_takes_nothing():
    gateway = LocalGateway()
    waiting = gateway.charge(amount=USD_300, payment_method=THREE_D_SECURE, transfer_group="B", idempotency_key="k")

    local_gateway_authenticate(waiting.reference, approve=False)

    with pytest.raises(PaymentFailed) as refused:
        gateway.payment_status(payment_reference=waiting.reference)
    assert refused.value.code == "authentication_failed"
    assert list(gateway.objects(created_from=_ever(), created_to=_forever())) == []


def _ever():
    from datetime import UTC, datetime

    return datetime(2000, 1, 1, tzinfo=UTC)


def _forever():
    from datetime import UTC, datetime

    return datetime(2100, 1, 1, tzinfo=UTC)


# --- The money service and a payment that waits for the customer -----------------------------


def pay_with_three_d_secure(customer, service):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    outcome = bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method=THREE_D_SECURE)
    assert outcome.requires_action
    [charge] = Movement.objects.filter(kind=MovementKind.CHARGE)
    return booking, charge


def test_a_charge_waiting_for_three_d_secure_is_never_booked_until_the_customer_passes_it(customer, service):
    booking, charge = pay_with_three_d_secure(customer, service)

    assert (charge.state, charge.gateway_reference) == (MovementState.PENDING, charge.gateway_reference)
    assert charge.gateway_reference.startswith("ch_local_")
    assert not Transaction.objects.exists()
    assert payments.movement_execute(charge.pk).state == MovementState.PENDING  # asked again: still waiting
    assert LocalGatewayOperation.objects.count() == 1  # asked, never charged twice

    local_gateway_authenticate(charge.gateway_reference)
    assert payments.movement_execute(charge.pk).state == MovementState.SUCCEEDED

    booking.refresh_from_db()
    assert booking.status == "confirmed"  # the instant test service: the payment confirms it
    assert Transaction.objects.get().payment_reference == charge.gateway_reference
    assert assert_money_invariants()["captured"] == 30000


def test_a_charge_the_customer_abandoned_is_cancelled_so_the_booking_can_expire(customer, service):
    booking, charge = pay_with_three_d_secure(customer, service)

    with time_machine.travel(timedelta(minutes=settings.BOOKING_PAYMENT_WINDOW_MINUTES + 1)):
        assert expire_stale_requests() == 0  # a charge on its way: the booking waits for it
        charge = payments.movement_execute(charge.pk)
        assert expire_stale_requests() == 1

    assert (charge.state, charge.failure_code) == (MovementState.FAILED, "authentication_failed")
    assert status_of(charge.gateway_reference) == "canceled"
    booking.refresh_from_db()
    assert booking.status == "expired"
    assert not Transaction.objects.exists()
    assert assert_money_invariants()["captured"] == 0
