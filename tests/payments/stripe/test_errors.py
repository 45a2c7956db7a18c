"""Stripe's errors become the gateway's three kinds (base.py), through the recording fake.

A refusal for good is a PaymentFailed subclass; a rate limit is GatewayUnavailable (Stripe
did nothing); no answer, a 5xx or a 409 on a POST is GatewayTimeout (it may have acted:
the call is repeated with the same key), on a GET GatewayUnavailable (a read never acts);
a wrong key or a missing permission propagates. localstripe answers every refusal with a
bare 400 and cannot lose a connection, so these run against the fake.
"""

import pytest
import stripe

from marketplace.core.errors import PaymentFailed
from marketplace.core.money import Money
from marketplace.payments.errors import (
    CardDeclined,
    ChargeAlreadyCaptured,
    ChargeNotCapturable,
    ChargeNotFound,
    InvalidPaymentMethod,
    PayoutAccountNotFound,
    PayoutAccountRefused,
    PlatformBalanceInsufficient,
    RefundExceedsCharge,
    ReversalDeclined,
    ReversalExceedsTransfer,
    TransferDeclined,
    TransferNotFound,
)
from marketplace.payments.gateways import GatewayTimeout, GatewayUnavailable
from marketplace.payments.gateways.base import GatewayResult, PaymentStatus

from .fake_stripe import payment_intent

USD_300 = Money(30000, "USD")
INVALID = "invalid_request_error"


def _charge(gateway, key="BK-1:charge"):
    return gateway.charge(
        amount=USD_300, payment_method="pm_card_visa", transfer_group="BK-1", idempotency_key=key, description="x"
    )


def _refund(gateway):
    return gateway.refund(payment_reference="pi_1", amount=Money(40000, "USD"), idempotency_key="BK-1:refund-1")


def _transfer(gateway):
    return gateway.transfer(
        amount=Money(25500, "USD"), destination="acct_1Vendor", transfer_group="BK-1", idempotency_key="BK-1:payout"
    )


def _reverse(gateway):
    return gateway.reverse_transfer(transfer_reference="tr_1", amount=Money(5000, "USD"), idempotency_key="BK-1:rev")


def _capture(gateway):
    return gateway.capture(payment_reference="pi_1", amount=USD_300, idempotency_key="BK-1:capture")


def _cancel(gateway):
    return gateway.cancel_authorization(payment_reference="pi_1", idempotency_key="BK-1:cancel")


def _open_account(gateway):
    return gateway.create_account(email="organizer@example.com", country="ZZ", idempotency_key="vendor-7:account")


def _account_status(gateway):
    return gateway.account_status(account_reference="acct_gone")


def _payment_status(gateway):
    return gateway.payment_status(payment_reference="pi_1")


CHARGE = ("POST", "/v1/payment_intents", _charge)
REFUND = ("POST", "/v1/refunds", _refund)
TRANSFER = ("POST", "/v1/transfers", _transfer)
REVERSAL = ("POST", "/v1/transfers/tr_1/reversals", _reverse)
CAPTURE = ("POST", "/v1/payment_intents/pi_1/capture", _capture)
CANCEL = ("POST", "/v1/payment_intents/pi_1/cancel", _cancel)
OPEN_ACCOUNT = ("POST", "/v1/accounts", _open_account)
ACCOUNT_STATUS = ("GET", "/v1/accounts/acct_gone", _account_status)
PAYMENT_STATUS = ("GET", "/v1/payment_intents/pi_1", _payment_status)


@pytest.mark.parametrize(
    ("call", "status", "error", "expected"),
    [
        pytest.param(
            CHARGE,
            402,
            {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
            },
            CardDeclined,
            id="charge-card-declined",
        ),
        pytest.param(
            CHARGE,
            400,
            {
                "type": INVALID,
                "code": "resource_missing",
                "param": "payment_method",
                "message": "No such PaymentMethod: 'pm_card_visa'",
            },
            InvalidPaymentMethod,
            id="charge-unknown-payment-method",
        ),
        pytest.param(
            CHARGE,
            400,
            {"type": INVALID, "code": "parameter_unknown", "param": "bogus", "message": "Received unknown parameter"},
            PaymentFailed,
            id="charge-other-invalid-request",
        ),
        pytest.param(
            REFUND,
            400,
            {
                "type": INVALID,
                "param": "amount",
                "message": "Refund amount ($400.00) is greater than unrefunded amount on charge ($300.00)",
            },
            RefundExceedsCharge,
            id="refund-too-large",
        ),
        pytest.param(
            REFUND,
            400,
            {"type": INVALID, "code": "charge_already_refunded", "message": "Charge ch_1 has already been refunded."},
            RefundExceedsCharge,
            id="refund-of-a-refunded-charge",
        ),
        pytest.param(
            REFUND,
            404,
            {
                "type": INVALID,
                "code": "resource_missing",
                "param": "payment_intent",
                "message": "No such payment_intent: 'pi_1'",
            },
            ChargeNotFound,
            id="refund-of-an-unknown-payment",
        ),
        pytest.param(
            TRANSFER,
            400,
            {
                "type": INVALID,
                "code": "balance_insufficient",
                "message": "You have insufficient available funds in your Stripe account.",
            },
            PlatformBalanceInsufficient,
            id="transfer-without-funds",
        ),
        pytest.param(
            TRANSFER,
            400,
            {
                "type": INVALID,
                "message": "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
            },
            TransferDeclined,
            id="transfer-to-an-account-without-the-capability",
        ),
        pytest.param(
            REVERSAL,
            400,
            {
                "type": INVALID,
                "code": "balance_insufficient",
                "message": "Insufficient funds in the destination account to reverse the transfer.",
            },
            ReversalDeclined,
            id="reversal-without-funds-on-the-account",
        ),
        pytest.param(
            REVERSAL,
            400,
            {"type": INVALID, "param": "amount", "message": "Amount is greater than the unreversed amount."},
            ReversalExceedsTransfer,
            id="reversal-too-large",
        ),
        pytest.param(
            REVERSAL,
            404,
            {"type": INVALID, "code": "resource_missing", "param": "id", "message": "No such transfer: 'tr_1'"},
            TransferNotFound,
            id="reversal-of-an-unknown-transfer",
        ),
        pytest.param(
            CAPTURE,
            400,
            {
                "type": INVALID,
                "code": "payment_intent_unexpected_state",
                "message": "This PaymentIntent could not be captured because it has a status of canceled.",
            },
            ChargeNotCapturable,
            id="capture-of-a-cancelled-payment",
        ),
        pytest.param(
            CAPTURE,
            404,
            {"type": INVALID, "code": "resource_missing", "param": "intent", "message": "No such payment_intent"},
            ChargeNotFound,
            id="capture-of-an-unknown-payment",
        ),
        pytest.param(
            CANCEL,
            400,
            {
                "type": INVALID,
                "code": "payment_intent_unexpected_state",
                "message": "You cannot cancel this PaymentIntent because it has a status of succeeded.",
            },
            ChargeAlreadyCaptured,
            id="cancel-of-a-captured-payment",
        ),
        pytest.param(
            OPEN_ACCOUNT,
            400,
            {"type": INVALID, "param": "country", "message": "Country 'ZZ' is unknown."},
            PayoutAccountRefused,
            id="account-in-an-unknown-country",
        ),
        pytest.param(
            ACCOUNT_STATUS,
            404,
            {
                "type": INVALID,
                "code": "resource_missing",
                "param": "account",
                "message": "No such account: 'acct_gone'",
            },
            PayoutAccountNotFound,
            id="status-of-an-unknown-account",
        ),
        pytest.param(
            PAYMENT_STATUS,
            404,
            {"type": INVALID, "code": "resource_missing", "param": "intent", "message": "No such payment_intent"},
            ChargeNotFound,
            id="status-of-an-unknown-payment",
        ),
    ],
)
def test_a_refusal_for_good_is_a_payment_failure(fake_gateway, fake_stripe, call, status, error, expected):
    method, path, act = call
    fake_stripe.refuse(method, path, status, **error)

    with pytest.raises(expected) as refused:
        act(fake_gateway)

    assert isinstance(refused.value, PaymentFailed)
    assert refused.value.status == 402
    assert len(fake_stripe.sent) == 1


def test_a_card_decline_carries_stripes_message_for_the_customer(fake_gateway, fake_stripe):
    fake_stripe.refuse(
        "POST", "/v1/payment_intents", 402, type="card_error", code="expired_card", message="Your card has expired."
    )

    with pytest.raises(CardDeclined) as declined:
        _charge(fake_gateway)

    assert (declined.value.code, declined.value.message) == ("card_declined", "Your card has expired.")


def test_a_refusal_says_what_stripe_said_for_the_back_office(fake_gateway, fake_stripe):
    fake_stripe.refuse(
        "POST",
        "/v1/refunds",
        400,
        type=INVALID,
        param="amount",
        message="Refund amount ($400.00) is greater than unrefunded amount on charge ($300.00)",
    )

    with pytest.raises(RefundExceedsCharge) as refused:
        _refund(fake_gateway)

    assert refused.value.message == (
        "The refund exceeds what is left of the charge "
        "(Stripe: Refund amount ($400.00) is greater than unrefunded amount on charge ($300.00))."
    )


@pytest.mark.parametrize("call", [CHARGE, REFUND, TRANSFER, REVERSAL, CAPTURE, CANCEL, OPEN_ACCOUNT])
@pytest.mark.parametrize("status", [500, 503, 409])
def test_a_stripe_server_error_on_a_post_may_have_acted(fake_gateway, fake_stripe, call, status):
    method, path, act = call
    fake_stripe.refuse(method, path, status, type="api_error", message="An unknown error occurred")

    with pytest.raises(GatewayTimeout):
        act(fake_gateway)

    assert len(fake_stripe.sent) == 1  # the SDK does not retry: the movement sweep does, with the same key


@pytest.mark.parametrize("call", [CHARGE, REFUND, TRANSFER, REVERSAL, CAPTURE, CANCEL, OPEN_ACCOUNT])
def test_a_lost_connection_on_a_post_may_have_acted(fake_gateway, fake_stripe, call):
    method, path, act = call
    fake_stripe.lose_connection(method, path)

    with pytest.raises(GatewayTimeout):
        act(fake_gateway)


@pytest.mark.parametrize("call", [PAYMENT_STATUS, ACCOUNT_STATUS])
def test_a_read_that_fails_did_nothing(fake_gateway, fake_stripe, call):
    method, path, act = call
    fake_stripe.lose_connection(method, path)
    fake_stripe.refuse(method, path, 500, type="api_error", message="An unknown error occurred")

    with pytest.raises(GatewayUnavailable):
        act(fake_gateway)
    with pytest.raises(GatewayUnavailable):
        act(fake_gateway)


def test_a_charge_whose_answer_was_lost_is_found_again_with_the_same_key(fake_gateway, fake_stripe):
    fake_stripe.lose_connection("POST", "/v1/payment_intents", acted_with=payment_intent("pi_1"))

    with pytest.raises(GatewayTimeout):
        _charge(fake_gateway)
    again = _charge(fake_gateway)

    assert again == GatewayResult(reference="pi_1", status=PaymentStatus.SUCCEEDED)
    assert [request.idempotency_key for request in fake_stripe.sent] == ["BK-1:charge", "BK-1:charge"]


@pytest.mark.parametrize("call", [CHARGE, TRANSFER, PAYMENT_STATUS])
def test_a_rate_limit_did_nothing(fake_gateway, fake_stripe, call):
    method, path, act = call
    fake_stripe.refuse(method, path, 429, type=INVALID, code="rate_limit", message="Too many requests")

    with pytest.raises(GatewayUnavailable):
        act(fake_gateway)


def test_a_reused_key_is_a_programming_error(fake_gateway, fake_stripe):
    fake_stripe.refuse(
        "POST",
        "/v1/refunds",
        400,
        type="idempotency_error",
        message="Keys for idempotent requests can only be used with the same parameters",
    )

    with pytest.raises(ValueError, match="idempotency key"):
        _refund(fake_gateway)


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(401, stripe.AuthenticationError), (403, stripe.PermissionError)],
)
def test_a_wrong_key_or_a_missing_permission_is_loud(fake_gateway, fake_stripe, status, error_class):
    fake_stripe.refuse("POST", "/v1/transfers", status, type=INVALID, message="Invalid API Key provided: sk_test_***")

    with pytest.raises(error_class):
        _transfer(fake_gateway)


def test_an_invalid_lookup_other_than_not_found_is_loud(fake_gateway, fake_stripe):
    fake_stripe.refuse(
        "GET",
        "/v1/payment_intents/pi_1",
        400,
        type=INVALID,
        code="parameter_unknown",
        param="x",
        message="Received unknown parameter: x",
    )

    with pytest.raises(stripe.InvalidRequestError):
        _payment_status(fake_gateway)
