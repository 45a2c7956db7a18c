"""Chargebacks in the back office: the list with its filters, one chargeback with its booking's money, read-only.

Chargebacks are made the way production makes them: a Stripe dispute event applied by the
webhook's own handler, which records the chargeback and holds (or frees) the escrow.
"""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.payments.models import Chargeback, ChargebackStatus, StripeEvent
from marketplace.payments.policy import (
    ChargebackOutcome,
    chargeback_hold_text,
    chargeback_holds_escrow,
    chargeback_outcome,
    chargeback_status_text,
)
from marketplace.payments.webhooks import stripe_event_apply
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.factories.bookings import past_paid_booking

from .conftest import client_for

pytestmark = pytest.mark.django_db

INDEX = "backoffice_chargebacks:index"


def dispute_event(booking, *, status: str, opened: datetime, at: datetime | None = None, reason="fraudulent") -> None:
    """Stripe's dispute event about ``booking``'s payment, stored and applied as the webhook does."""
    at = at or opened
    payment = booking.transaction
    dispute_id = f"dp_{booking.reference}"
    event_id = f"evt_{booking.reference}_{status}"
    payload = {
        "id": event_id,
        "type": "charge.dispute.updated",
        "data": {
            "object": {
                "id": dispute_id,
                "object": "dispute",
                "charge": payment.payment_reference,
                "amount": payment.amount_minor,
                "currency": "usd",
                "reason": reason,
                "status": status,
                "created": int(opened.timestamp()),
                "evidence_details": {"due_by": int((opened + timedelta(days=9)).timestamp())},
            }
        },
    }
    StripeEvent.objects.create(
        stripe_id=event_id, type="charge.dispute.updated", created=at, payload=payload, livemode=False
    )
    assert stripe_event_apply(event_id=event_id) == "applied"


def held_booking(customer, service, days_ago: int = 2):
    return past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-days_ago))


@pytest.fixture
def chargebacks(customer, other_customer, service, other_vendor, category):
    """Open (Calm Spaces, ten days ago), won (Box & Order, five days ago) and lost (Calm Spaces, two days ago)."""
    now = timezone.now().replace(microsecond=0)
    box_service = ServiceFactory(vendor=other_vendor, category=category, title="Garage reset", base_price_minor=20000)
    open_one = held_booking(customer, service, days_ago=2)
    won = held_booking(other_customer, box_service, days_ago=3)
    lost = held_booking(other_customer, service, days_ago=4)
    dispute_event(open_one, status="needs_response", opened=now - timedelta(days=10))
    dispute_event(won, status="needs_response", opened=now - timedelta(days=5))
    dispute_event(won, status="won", opened=now - timedelta(days=5), at=now - timedelta(days=1))
    dispute_event(lost, status="under_review", opened=now - timedelta(days=2), reason="product_not_received")
    dispute_event(
        lost,
        status="lost",
        opened=now - timedelta(days=2),
        at=now - timedelta(hours=3),
        reason="product_not_received",
    )
    return {
        "open": Chargeback.objects.get(booking=open_one),
        "won": Chargeback.objects.get(booking=won),
        "lost": Chargeback.objects.get(booking=lost),
    }


def listed(response) -> list[str]:
    return [chargeback.booking.reference for chargeback in response.context["object_list"]]


def test_the_list_says_each_chargeback_in_words(admin_client, chargebacks):
    response = admin_client.get(reverse(INDEX))

    assert response.status_code == 200
    # newest opened first
    assert listed(response) == [chargebacks[key].booking.reference for key in ("lost", "won", "open")]
    html = response.content.decode()
    for text in (
        "$300.00",
        "$200.00",
        "Calm Spaces",
        "Box &amp; Order",
        "casey@example.com",
        "The cardholder says they did not make the payment (fraud)",
        "The customer says the service was not provided",
        "Needs a response: evidence is due at Stripe",
        "Won: the money stays with the platform",
        "Lost: the bank returned the money to the customer",
        "Held",
    ):
        assert text in html, text
    booking_url = reverse("backoffice_bookings:inspect", args=[chargebacks["open"].booking_id])
    assert f'href="{booking_url}"' in html


@pytest.mark.parametrize("outcome", ["open", "won", "lost"])
def test_the_list_filters_by_outcome(admin_client, chargebacks, outcome):
    response = admin_client.get(reverse(INDEX), {"outcome": outcome})

    assert listed(response) == [chargebacks[outcome].booking.reference]


def test_the_list_filters_by_organizer_and_date_opened(admin_client, chargebacks):
    by_organizer = admin_client.get(reverse(INDEX), {"organizer": "box"})
    today = timezone.localdate()
    last_week = admin_client.get(
        reverse(INDEX),
        {"created_from": (today - timedelta(days=6)).isoformat(), "created_to": today.isoformat()},
    )

    assert listed(by_organizer) == [chargebacks["won"].booking.reference]
    assert listed(last_week) == [chargebacks[key].booking.reference for key in ("lost", "won")]


def test_the_list_costs_the_same_queries_however_many_chargebacks(
    admin_client, chargebacks, customer, service, django_assert_max_num_queries
):
    with django_assert_max_num_queries(14) as few:
        admin_client.get(reverse(INDEX))
    for days_ago in (5, 6, 7):
        dispute_event(
            held_booking(customer, service, days_ago=days_ago), status="needs_response", opened=timezone.now()
        )

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(reverse(INDEX))

    assert len(response.context["object_list"]) == 6


def test_one_chargeback_with_its_booking_hold_and_money_timeline(admin_client, chargebacks):
    chargeback = chargebacks["open"]

    response = admin_client.get(reverse("backoffice_chargebacks:inspect", args=[chargeback.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Chargebacks are decided by the card network, not here" in html
    assert "Held: the escrow is not released while the card network decides." in html
    assert "Needs a response: evidence is due at Stripe" in html
    assert chargeback.stripe_dispute_id in html
    assert reverse("backoffice_bookings:inspect", args=[chargeback.booking_id]) in html
    codes = [event.code for event in response.context["money_timeline"]]
    assert codes[-1] == "hold_placed"  # the booking's money timeline, ending with the chargeback's hold
    assert 'data-event="hold_placed"' in html
    assert "Payout on hold: the customer&#x27;s bank contests the card payment" in html
    # read-only: no form posts anywhere from this page
    assert "<form" not in html.split('id="chargeback-details"')[1]


def test_a_won_and_a_lost_chargeback_say_what_happened_to_the_hold(admin_client, chargebacks):
    won = admin_client.get(reverse("backoffice_chargebacks:inspect", args=[chargebacks["won"].pk])).content.decode()
    lost = admin_client.get(reverse("backoffice_chargebacks:inspect", args=[chargebacks["lost"].pk])).content.decode()

    assert "Not held: the platform kept the money, so the chargeback&#x27;s hold was lifted." in won
    assert "Held: the chargeback was lost, and the escrow stays held until an admin decides." in lost


def test_finance_sees_chargebacks_and_support_does_not(chargebacks, finance, support):
    urls = [reverse(INDEX), reverse("backoffice_chargebacks:inspect", args=[chargebacks["open"].pk])]

    for url in urls:
        assert client_for(finance).get(url).status_code == 200
        refused = client_for(support).get(url)
        assert refused.status_code == 302
        assert refused.url == reverse("wagtailadmin_home")
    assert client_for(support).get(reverse("backoffice_chargebacks:export_csv")).status_code == 302
    assert reverse(INDEX) in client_for(finance).get(reverse("wagtailadmin_home")).content.decode()  # the menu
    assert reverse(INDEX) not in client_for(support).get(reverse("wagtailadmin_home")).content.decode()


def test_stripe_and_organizer_text_is_escaped(admin_client, chargebacks, vendor):
    vendor.business_name = "<b>Calm</b> Spaces"
    vendor.save(update_fields=["business_name"])
    Chargeback.objects.filter(pk=chargebacks["open"].pk).update(reason="<script>alert(1)</script>")

    pages = [
        admin_client.get(reverse(INDEX)).content.decode(),
        admin_client.get(reverse("backoffice_chargebacks:inspect", args=[chargebacks["open"].pk])).content.decode(),
    ]

    for html in pages:
        assert "<script>alert(1)</script>" not in html
        assert "<b>Calm</b>" not in html
        assert "&lt;b&gt;Calm&lt;/b&gt; Spaces" in html


def test_chargebacks_export_in_words(admin_client, chargebacks):
    today = timezone.now().astimezone(UTC).date()
    period = {"from": (today - timedelta(days=30)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}

    response = admin_client.get(reverse("backoffice_chargebacks:export_csv"), period)

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:7] == [
        "stripe_dispute",
        "opened_at_utc",
        "closed_at_utc",
        "booking",
        "customer",
        "organizer",
        "status",
    ]
    by_booking = {row[3]: row for row in rows[1:]}
    opened = by_booking[chargebacks["open"].booking.reference]
    assert opened[6:] == [
        "Open",
        "Needs a response: evidence is due at Stripe",
        "The cardholder says they did not make the payment (fraud)",
        "USD",
        "300.00",
        opened[11],
        "yes",
    ]
    assert by_booking[chargebacks["won"].booking.reference][6] == "Won"
    assert by_booking[chargebacks["won"].booking.reference][12] == "no"
    assert by_booking[chargebacks["lost"].booking.reference][12] == "yes"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (ChargebackStatus.WARNING_NEEDS_RESPONSE, ChargebackOutcome.OPEN),
        (ChargebackStatus.WARNING_UNDER_REVIEW, ChargebackOutcome.OPEN),
        (ChargebackStatus.NEEDS_RESPONSE, ChargebackOutcome.OPEN),
        (ChargebackStatus.UNDER_REVIEW, ChargebackOutcome.OPEN),
        (ChargebackStatus.WARNING_CLOSED, ChargebackOutcome.WON),
        (ChargebackStatus.WON, ChargebackOutcome.WON),
        (ChargebackStatus.PREVENTED, ChargebackOutcome.WON),
        (ChargebackStatus.LOST, ChargebackOutcome.LOST),
        ("a_status_stripe_adds_later", ChargebackOutcome.OPEN),
    ],
)
def test_every_stripe_status_has_one_outcome_and_words(status, outcome):
    assert chargeback_outcome(status) == outcome
    assert chargeback_status_text(status)
    # open and lost chargebacks hold the escrow (when the payment carries the hold); won ones never
    assert chargeback_holds_escrow(status=status, hold_reasons=["chargeback"]) is (outcome != ChargebackOutcome.WON)
    assert chargeback_holds_escrow(status=status, hold_reasons=[]) is False


def test_a_chargeback_on_money_already_released_holds_nothing(chargebacks):
    chargeback = chargebacks["open"]
    chargeback.transaction.status = "released"
    chargeback.transaction.hold_reasons = []

    assert chargeback_hold_text(chargeback) == "Not held: the payment was already released when it was contested."
