"""The local gateway honours idempotency keys as Stripe does, and declines test cards."""

import pytest

from marketplace.core.errors import PaymentFailed
from marketplace.core.money import Money
from marketplace.payments.gateways.local import LocalGateway, local_gateway_account_ready
from marketplace.payments.models import LocalGatewayOperation

pytestmark = pytest.mark.django_db

USD_300 = Money(30000, "USD")


def _charge(gateway, key="BK-1:charge", amount=USD_300, method="pm_card_visa"):
    return gateway.charge(
        amount=amount, payment_method=method, transfer_group="BK-1", idempotency_key=key, description="Declutter"
    )


def test_a_repeated_charge_with_one_key_charges_once():
    gateway = LocalGateway()

    first = _charge(gateway)
    second = _charge(gateway)

    assert first == second
    assert first.reference.startswith("ch_local_")
    assert LocalGatewayOperation.objects.count() == 1


def test_a_key_reused_for_a_different_amount_is_refused():
    gateway = LocalGateway()
    _charge(gateway)

    with pytest.raises(ValueError, match="used for a different request"):
        _charge(gateway, amount=Money(100, "USD"))
    assert LocalGatewayOperation.objects.count() == 1


def test_refunds_and_transfers_are_idempotent_too():
    account = local_gateway_account_ready().reference
    gateway = LocalGateway()
    charge = _charge(gateway)

    refund = [gateway.refund(payment_reference=charge.reference, amount=USD_300, idempotency_key="BK-1:refund")]
    refund.append(gateway.refund(payment_reference=charge.reference, amount=USD_300, idempotency_key="BK-1:refund"))
    transfer = [
        gateway.transfer(amount=Money(25500, "USD"), destination=account, transfer_group="BK-1", idempotency_key="t")
        for _ in range(2)
    ]

    assert refund[0] == refund[1]
    assert transfer[0] == transfer[1]
    assert sorted(LocalGatewayOperation.objects.values_list("kind", flat=True)) == ["charge", "refund", "transfer"]


def test_a_refund_may_not_exceed_the_charge():
    gateway = LocalGateway()
    charge = _charge(gateway)
    gateway.refund(payment_reference=charge.reference, amount=Money(20000, "USD"), idempotency_key="r1")

    with pytest.raises(PaymentFailed) as error:
        gateway.refund(payment_reference=charge.reference, amount=Money(10001, "USD"), idempotency_key="r2")

    assert error.value.code == "refund_exceeds_charge"
    assert LocalGatewayOperation.objects.filter(kind="refund").count() == 1


@pytest.mark.parametrize(
    ("method", "code", "message"),
    [
        ("pm_card_chargeDeclined", "card_declined", "Your card was declined."),
        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "Your card has insufficient funds."),
        ("pm_card_chargeDeclinedExpiredCard", "card_declined", "Your card has expired."),
        ("visa", "invalid_payment_method", "That payment method is not valid."),
        ("", "invalid_payment_method", "That payment method is not valid."),
    ],
)
def test_declined_and_invalid_cards_charge_nothing(method, code, message):
    with pytest.raises(PaymentFailed) as error:
        _charge(LocalGateway(), method=method)

    assert (error.value.code, error.value.message, error.value.status) == (code, message, 402)
    assert not LocalGatewayOperation.objects.exists()


def test_a_declined_card_does_not_burn_the_key():
    gateway = LocalGateway()
    with pytest.raises(PaymentFailed):
        _charge(gateway, method="pm_card_chargeDeclined")

    result = _charge(gateway, method="pm_card_visa")

    assert LocalGatewayOperation.objects.get().reference == result.reference
