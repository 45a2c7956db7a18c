"""The exact requests the Stripe gateway sends, and how it reads Stripe's answers (recording fake).

Each test queues Stripe's answer, calls the gateway, and asserts the request as it went
on the wire: method, path, form fields, Idempotency-Key. localstripe cannot check these
for Connect (it has no accounts, links, transfers or reversals), nor idempotency (it
ignores the key): the fake keeps Stripe's rule, so a repeated key returns the first
PaymentIntent instead of making a second one.
"""

import pytest

from marketplace.core.money import Money
from marketplace.payments.errors import AmountTooSmall, CardDeclined, TransferDeclined
from marketplace.payments.gateways.base import AccountStatus, GatewayResult, PaymentStatus
from marketplace.payments.webhooks import account_status_of

from .fake_stripe import (
    SentRequest,
    account,
    account_link,
    payment_intent,
    refund,
    transfer,
    transfer_reversal,
)

USD_300 = Money(30000, "USD")


def _charge(gateway, *, key="BK-1:charge", capture=True, amount=USD_300):
    return gateway.charge(
        amount=amount,
        payment_method="pm_card_visa",
        transfer_group="BK-1",
        idempotency_key=key,
        description="Declutter",
        capture=capture,
    )


def _charge_request(*, capture_method="automatic", key="BK-1:charge") -> SentRequest:
    return SentRequest(
        method="POST",
        path="/v1/payment_intents",
        params={
            "amount": "30000",
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "automatic_payment_methods[enabled]": "true",
            "automatic_payment_methods[allow_redirects]": "never",
            "confirm": "true",
            "capture_method": capture_method,
            "transfer_group": "BK-1",
            "description": "Declutter",
            "metadata[idempotency_key]": key,
            "metadata[transfer_group]": "BK-1",
        },
        idempotency_key=key,
    )


# --- Payments ------------------------------------------------------------------------------


def test_a_charge_creates_a_confirmed_payment_intent_with_the_key(fake_gateway, fake_stripe):
    fake_stripe.answer("POST", "/v1/payment_intents", payment_intent("pi_1", status="succeeded"))

    result = _charge(fake_gateway)

    assert result == GatewayResult(reference="pi_1", status=PaymentStatus.SUCCEEDED)
    assert fake_stripe.sent == [_charge_request()]


def test_an_authorisation_asks_for_manual_capture(fake_gateway, fake_stripe):
    fake_stripe.answer("POST", "/v1/payment_intents", payment_intent("pi_1", status="requires_capture"))

    result = _charge(fake_gateway, capture=False)

    assert result == GatewayResult(reference="pi_1", status=PaymentStatus.AUTHORIZED)
    assert fake_stripe.sent == [_charge_request(capture_method="manual")]


def test_three_d_secure_returns_the_client_secret_for_the_browser(fake_gateway, fake_stripe):
    fake_stripe.answer(
        "POST",
        "/v1/payment_intents",
        payment_intent("pi_1", status="requires_action", next_action={"type": "use_stripe_sdk", "use_stripe_sdk": {}}),
    )

    result = _charge(fake_gateway)

    assert result == GatewayResult(
        reference="pi_1", status=PaymentStatus.REQUIRES_ACTION, client_secret="pi_1_secret_Fake"
    )


def test_a_payment_that_needs_another_method_after_confirmation_is_declined_with_stripes_message(
    fake_gateway, fake_stripe
):
    fake_stripe.answer(
        "POST",
        "/v1/payment_intents",
        payment_intent(
            "pi_1",
            status="requires_payment_method",
            last_payment_error={"code": "card_declined", "message": "Your card has insufficient funds."},
        ),
    )

    with pytest.raises(CardDeclined, match="Your card has insufficient funds"):
        _charge(fake_gateway)


def test_the_same_key_twice_makes_one_payment_intent(fake_gateway, fake_stripe):
    """Stripe answers a repeated key with its first answer: the fake has one answer queued, used once."""
    fake_stripe.answer("POST", "/v1/payment_intents", payment_intent("pi_1"))

    first = _charge(fake_gateway)
    second = _charge(fake_gateway)

    assert first == second == GatewayResult(reference="pi_1", status=PaymentStatus.SUCCEEDED)
    assert fake_stripe.sent == [_charge_request(), _charge_request()]


def test_a_key_reused_for_another_amount_is_a_programming_error(fake_gateway, fake_stripe):
    fake_stripe.answer("POST", "/v1/payment_intents", payment_intent("pi_1"))
    _charge(fake_gateway)

    with pytest.raises(ValueError, match="idempotency key"):
        _charge(fake_gateway, amount=Money(100, "USD"))


def test_nothing_to_charge_sends_nothing(fake_gateway, fake_stripe):
    with pytest.raises(AmountTooSmall):
        _charge(fake_gateway, amount=Money(0, "USD"))

    assert fake_stripe.sent == []


def test_a_capture_takes_the_amount_with_the_key(fake_gateway, fake_stripe):
    fake_stripe.answer("POST", "/v1/payment_intents/pi_1/capture", payment_intent("pi_1", amount_received=18000))

    result = fake_gateway.capture(payment_reference="pi_1", amount=Money(18000, "USD"), idempotency_key="BK-1:capture")

    assert result == GatewayResult(reference="pi_1", status=PaymentStatus.SUCCEEDED)
    assert fake_stripe.sent == [
        SentRequest("POST", "/v1/payment_intents/pi_1/capture", {"amount_to_capture": "18000"}, "BK-1:capture")
    ]


def test_a_cancellation_releases_the_authorisation_with_the_key(fake_gateway, fake_stripe):
    fake_stripe.answer("POST", "/v1/payment_intents/pi_1/cancel", payment_intent("pi_1", status="canceled"))

    result = fake_gateway.cancel_authorization(payment_reference="pi_1", idempotency_key="BK-1:cancel")

    assert result == GatewayResult(reference="pi_1", status=PaymentStatus.CANCELED)
    assert fake_stripe.sent == [SentRequest("POST", "/v1/payment_intents/pi_1/cancel", {}, "BK-1:cancel")]


@pytest.mark.parametrize(
    ("stripe_status", "status"),
    [
        ("succeeded", PaymentStatus.SUCCEEDED),
        ("requires_capture", PaymentStatus.AUTHORIZED),
        ("requires_action", PaymentStatus.REQUIRES_ACTION),
        ("canceled", PaymentStatus.CANCELED),
    ],
)
def test_the_payment_status_is_read_from_the_payment_intent(fake_gateway, fake_stripe, stripe_status, status):
    fake_stripe.answer("GET", "/v1/payment_intents/pi_1", payment_intent("pi_1", status=stripe_status))

    result = fake_gateway.payment_status(payment_reference="pi_1")

    assert result.status == status
    assert fake_stripe.sent == [SentRequest("GET", "/v1/payment_intents/pi_1", {}, None)]


def test_a_refund_returns_an_amount_of_a_payment_intent(fake_gateway, fake_stripe):
    fake_stripe.answer("POST", "/v1/refunds", refund("re_1", amount=10000, payment_intent="pi_1"))

    result = fake_gateway.refund(payment_reference="pi_1", amount=Money(10000, "USD"), idempotency_key="BK-1:refund-1")

    assert result == GatewayResult(reference="re_1")
    assert fake_stripe.sent == [
        SentRequest(
            "POST",
            "/v1/refunds",
            {"payment_intent": "pi_1", "amount": "10000", "metadata[idempotency_key]": "BK-1:refund-1"},
            "BK-1:refund-1",
        )
    ]


# --- Payouts ---------------------------------------------------------------------------------


def test_a_transfer_funded_by_a_payment_uses_its_charge_as_source_transaction(fake_gateway, fake_stripe):
    fake_stripe.answer("GET", "/v1/payment_intents/pi_1", payment_intent("pi_1", latest_charge="ch_1"))
    fake_stripe.answer("POST", "/v1/transfers", transfer("tr_1", source_transaction="ch_1"))

    result = fake_gateway.transfer(
        amount=Money(25500, "USD"),
        destination="acct_1Vendor",
        transfer_group="BK-1",
        idempotency_key="BK-1:payout",
        source_reference="pi_1",
    )

    assert result == GatewayResult(reference="tr_1")
    assert fake_stripe.sent == [
        SentRequest("GET", "/v1/payment_intents/pi_1", {}, None),
        SentRequest(
            "POST",
            "/v1/transfers",
            {
                "amount": "25500",
                "currency": "usd",
                "destination": "acct_1Vendor",
                "transfer_group": "BK-1",
                "metadata[idempotency_key]": "BK-1:payout",
                "metadata[transfer_group]": "BK-1",
                "source_transaction": "ch_1",
            },
            "BK-1:payout",
        ),
    ]


def test_a_transfer_without_a_source_is_paid_from_the_platform_balance(fake_gateway, fake_stripe):
    fake_stripe.answer("POST", "/v1/transfers", transfer("tr_1"))

    fake_gateway.transfer(
        amount=Money(25500, "USD"), destination="acct_1Vendor", transfer_group="BK-1", idempotency_key="BK-1:payout"
    )

    assert [(request.method, request.path) for request in fake_stripe.sent] == [("POST", "/v1/transfers")]
    assert "source_transaction" not in fake_stripe.last.params


def test_a_transfer_funded_by_a_payment_without_a_charge_is_declined_before_any_post(fake_gateway, fake_stripe):
    fake_stripe.answer("GET", "/v1/payment_intents/pi_1", payment_intent("pi_1", status="canceled", latest_charge=None))

    with pytest.raises(TransferDeclined, match="has no charge"):
        fake_gateway.transfer(
            amount=Money(25500, "USD"),
            destination="acct_1Vendor",
            transfer_group="BK-1",
            idempotency_key="BK-1:payout",
            source_reference="pi_1",
        )

    assert fake_stripe.posts() == []


def test_a_reversal_takes_an_amount_of_a_transfer_back(fake_gateway, fake_stripe):
    fake_stripe.answer("POST", "/v1/transfers/tr_1/reversals", transfer_reversal("trr_1", amount=5000))

    result = fake_gateway.reverse_transfer(
        transfer_reference="tr_1", amount=Money(5000, "USD"), idempotency_key="BK-1:reversal-1"
    )

    assert result == GatewayResult(reference="trr_1")
    assert fake_stripe.sent == [
        SentRequest(
            "POST",
            "/v1/transfers/tr_1/reversals",
            {"amount": "5000", "metadata[idempotency_key]": "BK-1:reversal-1"},
            "BK-1:reversal-1",
        )
    ]


# --- Payout accounts ---------------------------------------------------------------------------


def test_an_express_account_is_opened_for_transfers_only(fake_gateway, fake_stripe):
    fake_stripe.answer("POST", "/v1/accounts", account("acct_1Vendor"))

    status = fake_gateway.create_account(
        email="organizer@example.com", country="US", idempotency_key="vendor-7:account"
    )

    assert status == AccountStatus(
        reference="acct_1Vendor",
        payouts_enabled=False,
        details_submitted=False,
        requirements_due=("external_account", "individual.dob.day", "tos_acceptance.date"),
        requirements_past_due=("external_account", "individual.dob.day", "tos_acceptance.date"),
        disabled_reason="requirements.past_due",
    )
    assert fake_stripe.sent == [
        SentRequest(
            "POST",
            "/v1/accounts",
            {
                "type": "express",
                "email": "organizer@example.com",
                "country": "US",
                "capabilities[transfers][requested]": "true",
                "metadata[idempotency_key]": "vendor-7:account",
            },
            "vendor-7:account",
        )
    ]


def test_an_account_without_a_country_gets_the_connect_country(fake_gateway, fake_stripe, settings):
    settings.STRIPE_CONNECT_COUNTRY = "CA"
    fake_stripe.answer("POST", "/v1/accounts", account("acct_1Vendor"))

    fake_gateway.create_account(email="organizer@example.com", country="", idempotency_key="vendor-7:account")

    assert fake_stripe.last.params["country"] == "CA"


def test_an_account_link_is_made_for_onboarding(fake_gateway, fake_stripe):
    fake_stripe.answer("POST", "/v1/account_links", account_link("https://connect.stripe.com/setup/e/acct_1Vendor/a"))
    fake_stripe.answer("POST", "/v1/account_links", account_link("https://connect.stripe.com/setup/e/acct_1Vendor/b"))
    urls = {"refresh_url": "https://tidynest.example/payouts/refresh", "return_url": "https://tidynest.example/payouts"}

    first = fake_gateway.account_link(account_reference="acct_1Vendor", **urls)
    second = fake_gateway.account_link(account_reference="acct_1Vendor", **urls)

    assert (first, second) == (
        "https://connect.stripe.com/setup/e/acct_1Vendor/a",
        "https://connect.stripe.com/setup/e/acct_1Vendor/b",
    )
    assert [request.params for request in fake_stripe.sent] == 2 * [
        {"account": "acct_1Vendor", "type": "account_onboarding", **urls}
    ]
    # A link is single-use: each request gets the SDK's own fresh key, so the second is a new link.
    first_key, second_key = (request.idempotency_key for request in fake_stripe.sent)
    assert first_key and second_key and first_key != second_key


def test_the_account_status_reads_its_requirements(fake_gateway, fake_stripe):
    fake_stripe.answer(
        "GET",
        "/v1/accounts/acct_1Vendor",
        account(
            "acct_1Vendor",
            payouts_enabled=True,
            details_submitted=True,
            currently_due=["individual.verification.document"],
            past_due=[],
            disabled_reason=None,
        ),
    )

    status = fake_gateway.account_status(account_reference="acct_1Vendor")

    assert status == AccountStatus(
        reference="acct_1Vendor",
        payouts_enabled=True,
        details_submitted=True,
        requirements_due=("individual.verification.document",),
        requirements_past_due=(),
        disabled_reason="",
    )
    assert fake_stripe.sent == [SentRequest("GET", "/v1/accounts/acct_1Vendor", {}, None)]


def test_an_account_updated_event_reads_as_the_gateway_reads_the_account(fake_gateway, fake_stripe):
    payload = account(
        "acct_1Vendor",
        payouts_enabled=False,
        details_submitted=True,
        currently_due=["individual.verification.document"],
        past_due=["individual.verification.document"],
    )
    fake_stripe.answer("GET", "/v1/accounts/acct_1Vendor", payload)

    assert account_status_of(payload) == fake_gateway.account_status(account_reference="acct_1Vendor")
