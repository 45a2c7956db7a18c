"""The Stripe gateway against localstripe: the payment calls, end to end through the SDK.

localstripe does what these tests use: PaymentIntents confirmed at creation (captured at
once, or authorised then captured or cancelled), declines, 3-D Secure (``requires_action``,
finished with its ``_authenticate`` endpoint, standing in for Stripe.js), refunds and
lookups. It does not check idempotency keys, refund amounts against the charge, or the
capture of a cancelled payment (it captures the charge), and has no Connect (accounts, links, transfers,
reversals) and no ``created`` filters on lists: test_requests.py, test_errors.py and
test_objects.py cover those against the recording fake.

With ``STRIPE_TEST_SECRET_KEY=sk_test_...`` set, the same tests run against that Stripe
test account (conftest.py), except those marked ``localstripe_only``.
"""

import json
import urllib.request
import uuid

import pytest

from marketplace.core.money import Money
from marketplace.payments.errors import CardDeclined, ChargeAlreadyCaptured, ChargeNotCapturable
from marketplace.payments.gateways.base import GatewayResult, PaymentStatus

from .conftest import SECRET_KEY, localstripe_only

USD_300 = Money(30000, "USD")
# Stripe's test cards (localstripe knows them too): a Visa that pays, a card whose charges are declined;
# and the number of one that asks for 3-D Secure (localstripe takes raw numbers, Stripe does not).
VISA = "pm_card_visa"
DECLINED = "pm_card_chargeCustomerFail"
THREE_D_SECURE_CARD = "4000002500003155"


def _charge(gateway, *, key, method=VISA, amount=USD_300, capture=True) -> GatewayResult:
    return gateway.charge(
        amount=amount,
        payment_method=method,
        transfer_group="BK-1",
        idempotency_key=key,
        description="Declutter the garage",
        capture=capture,
    )


def _unique(name: str) -> str:
    # Stripe keeps a key for a day (localstripe ignores keys): every run needs new ones.
    return f"{name}:{uuid.uuid4().hex}"


def _charge_of(client, payment_reference: str):
    return client.v1.payment_intents.retrieve(payment_reference, params={"expand": ["latest_charge"]}).latest_charge


def test_a_charge_is_captured_at_once(server_gateway, server_client):
    result = _charge(server_gateway, key=_unique("BK-1:charge"))

    assert result.status == PaymentStatus.SUCCEEDED
    assert result.reference.startswith("pi_")
    assert result.client_secret == ""
    intent = server_client.v1.payment_intents.retrieve(result.reference)
    assert (intent.amount, intent.currency, intent.capture_method) == (30000, "usd", "automatic")
    assert intent.metadata.to_dict()["transfer_group"] == "BK-1"
    assert (intent["transfer_group"], intent["description"]) == ("BK-1", "Declutter the garage")


def test_an_authorisation_is_captured_later(server_gateway):
    authorised = _charge(server_gateway, key=_unique("BK-2:charge"), capture=False)
    assert authorised.status == PaymentStatus.AUTHORIZED
    assert server_gateway.payment_status(payment_reference=authorised.reference) == authorised

    captured = server_gateway.capture(
        payment_reference=authorised.reference, amount=USD_300, idempotency_key=_unique("BK-2:capture")
    )

    assert captured == GatewayResult(reference=authorised.reference, status=PaymentStatus.SUCCEEDED)
    assert server_gateway.payment_status(payment_reference=authorised.reference) == captured


def test_a_partial_capture_takes_part_of_the_authorisation(server_gateway, server_client):
    authorised = _charge(server_gateway, key=_unique("BK-3:charge"), capture=False)

    captured = server_gateway.capture(
        payment_reference=authorised.reference, amount=Money(18000, "USD"), idempotency_key=_unique("BK-3:capture")
    )

    assert captured.status == PaymentStatus.SUCCEEDED
    charge = _charge_of(server_client, authorised.reference)
    # Stripe says amount_captured; localstripe has no such field and refunds the rest instead.
    captured_minor = charge.to_dict().get("amount_captured", charge.amount - charge.amount_refunded)
    assert (charge.amount, captured_minor) == (30000, 18000)


def test_an_authorisation_is_cancelled(server_gateway):
    authorised = _charge(server_gateway, key=_unique("BK-4:charge"), capture=False)

    cancelled = server_gateway.cancel_authorization(
        payment_reference=authorised.reference, idempotency_key=_unique("BK-4:cancel")
    )

    assert cancelled == GatewayResult(reference=authorised.reference, status=PaymentStatus.CANCELED)
    assert server_gateway.payment_status(payment_reference=authorised.reference) == cancelled


def test_a_captured_payment_cannot_be_cancelled(server_gateway):
    paid = _charge(server_gateway, key=_unique("BK-5:charge"))

    with pytest.raises(ChargeAlreadyCaptured):
        server_gateway.cancel_authorization(payment_reference=paid.reference, idempotency_key=_unique("cancel"))

    assert server_gateway.payment_status(payment_reference=paid.reference).status == PaymentStatus.SUCCEEDED


def test_a_payment_cannot_be_captured_twice(server_gateway):
    authorised = _charge(server_gateway, key=_unique("BK-6:charge"), capture=False)
    server_gateway.capture(payment_reference=authorised.reference, amount=USD_300, idempotency_key=_unique("c1"))

    with pytest.raises(ChargeNotCapturable):
        server_gateway.capture(payment_reference=authorised.reference, amount=USD_300, idempotency_key=_unique("c2"))


def test_a_cancelled_authorisation_cannot_be_captured(server_gateway):
    """Stripe refuses (400); localstripe captures the charge but keeps the intent cancelled: refused either way."""
    authorised = _charge(server_gateway, key=_unique("BK-12:charge"), capture=False)
    server_gateway.cancel_authorization(payment_reference=authorised.reference, idempotency_key=_unique("cancel"))

    with pytest.raises(ChargeNotCapturable):
        server_gateway.capture(payment_reference=authorised.reference, amount=USD_300, idempotency_key=_unique("c"))


def test_a_declined_card_raises_card_declined_with_stripes_message(server_gateway):
    with pytest.raises(CardDeclined) as declined:
        _charge(server_gateway, key=_unique("BK-7:charge"), method=DECLINED)

    assert declined.value.message == "Your card was declined."
    assert declined.value.code == "card_declined"


def _three_d_secure_card(client) -> str:
    method = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": THREE_D_SECURE_CARD, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    return method.id


def _customer_authenticates(base_url: str, result: GatewayResult, *, success: bool) -> None:
    """What Stripe.js does in the customer's browser; localstripe has an endpoint for it."""
    request = urllib.request.Request(
        f"{base_url}/v1/payment_intents/{result.reference}/_authenticate",
        data=json.dumps({"client_secret": result.client_secret, "success": success}).encode(),
        headers={"Authorization": f"Bearer {SECRET_KEY}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


@localstripe_only
def test_three_d_secure_asks_the_customer_then_the_lookup_sees_the_payment(
    server_gateway, server_client, localstripe_url
):
    pending = _charge(server_gateway, key=_unique("BK-8:charge"), method=_three_d_secure_card(server_client))
    assert pending.status == PaymentStatus.REQUIRES_ACTION
    assert pending.client_secret.startswith(f"{pending.reference}_secret_")

    _customer_authenticates(localstripe_url, pending, success=True)

    assert server_gateway.payment_status(payment_reference=pending.reference) == GatewayResult(
        reference=pending.reference, status=PaymentStatus.SUCCEEDED
    )


@localstripe_only
def test_a_failed_three_d_secure_is_a_decline(server_gateway, server_client, localstripe_url):
    pending = _charge(server_gateway, key=_unique("BK-9:charge"), method=_three_d_secure_card(server_client))

    _customer_authenticates(localstripe_url, pending, success=False)

    with pytest.raises(CardDeclined, match="failed authentication"):
        server_gateway.payment_status(payment_reference=pending.reference)


def test_a_refund_returns_all_of_a_payment(server_gateway, server_client):
    paid = _charge(server_gateway, key=_unique("BK-10:charge"))

    refunded = server_gateway.refund(
        payment_reference=paid.reference, amount=USD_300, idempotency_key=_unique("BK-10:refund")
    )

    assert refunded.reference.startswith("re_")
    refund = server_client.v1.refunds.retrieve(refunded.reference)
    assert (refund.amount, refund.currency, refund.payment_intent, refund.status) == (
        30000,
        "usd",
        paid.reference,
        "succeeded",
    )


def test_partial_refunds_return_part_of_a_payment_each(server_gateway, server_client):
    paid = _charge(server_gateway, key=_unique("BK-11:charge"))

    first = server_gateway.refund(
        payment_reference=paid.reference, amount=Money(10000, "USD"), idempotency_key=_unique("BK-11:refund-1")
    )
    second = server_gateway.refund(
        payment_reference=paid.reference, amount=Money(5000, "USD"), idempotency_key=_unique("BK-11:refund-2")
    )

    assert first.reference != second.reference
    assert _charge_of(server_client, paid.reference).amount_refunded == 15000


@localstripe_only
def test_localstripe_listens_on_loopback_only(localstripe_url):
    assert localstripe_url.startswith("http://127.0.0.1:")
