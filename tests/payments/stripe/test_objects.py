"""What the Stripe gateway reports for reconciliation (recording fake: localstripe has no ``created`` filters).

Captured payments (by PaymentIntent, as the ledger knows them), refunds, transfers and
transfer reversals created in [from, to), oldest first, read with Stripe's list calls
and their pages.
"""

from datetime import UTC, datetime, timedelta

from marketplace.core.money import Money
from marketplace.payments.gateways.base import GatewayObject

from .fake_stripe import (
    NOW,
    SentRequest,
    balance_transaction,
    list_of,
    payment_intent,
    refund,
    transfer,
    transfer_reversal,
)

FROM = datetime.fromtimestamp(NOW, tz=UTC)
TO = FROM + timedelta(days=1)
WINDOW = {"created[gte]": str(NOW), "created[lt]": str(NOW + 86400), "limit": "100"}


def _at(seconds: int) -> datetime:
    return FROM + timedelta(seconds=seconds)


def _answer_lists(fake_stripe, *, intents=(), refunds=(), transfers=(), reversals=()):
    fake_stripe.answer("GET", "/v1/payment_intents", list_of("/v1/payment_intents", *intents))
    fake_stripe.answer("GET", "/v1/refunds", list_of("/v1/refunds", *refunds))
    fake_stripe.answer("GET", "/v1/transfers", list_of("/v1/transfers", *transfers))
    fake_stripe.answer(
        "GET",
        "/v1/balance_transactions",
        list_of(
            "/v1/balance_transactions",
            *(balance_transaction(f"txn_{reversal['id']}", source=reversal) for reversal in reversals),
        ),
    )


def test_every_kind_is_listed_in_the_window_oldest_first(fake_gateway, fake_stripe):
    # Stripe lists newest first.
    _answer_lists(
        fake_stripe,
        intents=[
            payment_intent("pi_2", amount=20000, amount_received=15000, created=NOW + 50),  # captured in part
            payment_intent("pi_1", amount=30000, created=NOW + 10),
        ],
        refunds=[refund("re_1", amount=10000, payment_intent="pi_1", created=NOW + 20)],
        transfers=[transfer("tr_1", amount=25500, created=NOW + 30)],
        reversals=[transfer_reversal("trr_1", amount=5000, transfer="tr_1", created=NOW + 40)],
    )

    found = list(fake_gateway.objects(created_from=FROM, created_to=TO))

    assert found == [
        GatewayObject("pi_1", "charge", Money(30000, "USD"), _at(10)),
        GatewayObject("re_1", "refund", Money(10000, "USD"), _at(20), source_reference="pi_1"),
        GatewayObject("tr_1", "transfer", Money(25500, "USD"), _at(30)),
        GatewayObject("trr_1", "reversal", Money(5000, "USD"), _at(40), source_reference="tr_1"),
        GatewayObject("pi_2", "charge", Money(15000, "USD"), _at(50)),
    ]
    assert fake_stripe.sent == [
        SentRequest("GET", "/v1/payment_intents", WINDOW, None),
        SentRequest("GET", "/v1/refunds", WINDOW, None),
        SentRequest("GET", "/v1/transfers", WINDOW, None),
        SentRequest(
            "GET",
            "/v1/balance_transactions",
            {**WINDOW, "type": "transfer_refund", "expand[0]": "data.source"},
            None,
        ),
    ]


def test_payments_that_moved_no_money_and_failed_refunds_are_left_out(fake_gateway, fake_stripe):
    _answer_lists(
        fake_stripe,
        intents=[
            payment_intent("pi_held", status="requires_capture", created=NOW + 4),
            payment_intent("pi_released", status="canceled", created=NOW + 3),
            payment_intent("pi_3ds", status="requires_action", created=NOW + 2),
            payment_intent("pi_declined", status="requires_payment_method", created=NOW + 1),
        ],
        refunds=[refund("re_failed", status="failed"), refund("re_canceled", status="canceled")],
    )

    assert list(fake_gateway.objects(created_from=FROM, created_to=TO)) == []


def test_every_page_is_read(fake_gateway, fake_stripe):
    fake_stripe.answer(
        "GET",
        "/v1/payment_intents",
        list_of("/v1/payment_intents", payment_intent("pi_2", created=NOW + 2), has_more=True),
    )
    fake_stripe.answer(
        "GET", "/v1/payment_intents", list_of("/v1/payment_intents", payment_intent("pi_1", created=NOW))
    )
    for path in ("/v1/refunds", "/v1/transfers", "/v1/balance_transactions"):
        fake_stripe.answer("GET", path, list_of(path))

    found = list(fake_gateway.objects(created_from=FROM, created_to=TO))

    assert [obj.reference for obj in found] == ["pi_1", "pi_2"]
    assert fake_stripe.sent[1] == SentRequest("GET", "/v1/payment_intents", {**WINDOW, "starting_after": "pi_2"}, None)


def test_a_window_between_seconds_holds_the_whole_seconds_inside_it(fake_gateway, fake_stripe):
    _answer_lists(fake_stripe)

    list(
        fake_gateway.objects(
            created_from=_at(0) + timedelta(microseconds=1), created_to=_at(10) + timedelta(milliseconds=500)
        )
    )

    # Stripe's "created" is whole seconds: [0.000001, 10.5) holds seconds 1 to 10.
    assert fake_stripe.sent[0].params["created[gte]"] == str(NOW + 1)
    assert fake_stripe.sent[0].params["created[lt]"] == str(NOW + 11)


def test_stripe_cannot_count_cheaply(fake_gateway, fake_stripe):
    assert fake_gateway.count_objects(created_from=FROM, created_to=TO) is None
    assert fake_stripe.sent == []
