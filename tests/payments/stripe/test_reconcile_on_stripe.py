"""manage.py reconcile against Stripe: money moved through the Stripe gateway, then compared with the ledger.

The bookings are paid, accepted, declined, released, paid out and refunded by the real
services with ``PAYMENTS_GATEWAY=stripe``; the gateway's HTTP layer talks to a stateful
fake of one Stripe account (fake_stripe_account.py), which keeps what was made and lists
it back as Stripe does. Reconciliation then reads those lists through the same gateway.
"""

from datetime import UTC, timedelta
from io import StringIO

import pytest
import stripe
from django.core.management import call_command
from django.utils import timezone

from marketplace.bookings import services as bookings
from marketplace.core.money import Money
from marketplace.payments.gateways import stripe as stripe_gateway
from marketplace.payments.models import EntryKind, LedgerEntry, Payout
from marketplace.payments.services import escrow_refund_by_admin
from tests.conftest import local_slot
from tests.factories.bookings import completed_booking, paid_booking, request_booking

from .conftest import SECRET_KEY
from .fake_stripe_account import FakeStripeAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_account(settings, monkeypatch, vendor) -> FakeStripeAccount:
    """The Stripe gateway as the services get it from the settings, on the fake account; the organizer onboarded."""
    account = FakeStripeAccount()
    settings.PAYMENTS_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    monkeypatch.setattr(
        stripe_gateway,
        "stripe_client",
        lambda: stripe.StripeClient(SECRET_KEY, http_client=account, max_network_retries=0),
    )
    vendor.profile.stripe_account_id = "acct_1CalmSpaces"
    vendor.profile.payouts_enabled = True
    vendor.profile.save()
    return account


@pytest.fixture
def history(stripe_account, customer, service, quote_service, admin_user):
    """Every kind of Stripe object: captured, authorised then captured or cancelled, refunded, transferred, reversed."""
    released = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    reversed_ = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-4))
    escrow_refund_by_admin(
        admin=admin_user, booking_id=reversed_.pk, amount=Money(10000, "USD"), reason="Half the rooms were done"
    )
    refunded = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    escrow_refund_by_admin(admin=admin_user, booking_id=refunded.pk, amount=None, reason="Booked twice")

    service.instant_booking = False
    service.save()
    accepted = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    bookings.booking_accept(vendor_user=service.vendor.user, booking_id=accepted.pk)
    declined = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=6))
    bookings.booking_decline(vendor_user=service.vendor.user, booking_id=declined.pk, reason="Fully booked")
    unpaid = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=7))
    return {"released": released, "reversed": reversed_, "accepted": accepted, "declined": declined, "unpaid": unpaid}


def reconcile_all(*extra: str) -> tuple[int, str]:
    today = timezone.now().astimezone(UTC).date()
    out, err = StringIO(), StringIO()
    try:
        call_command(
            "reconcile",
            "--from",
            (today - timedelta(days=10)).isoformat(),
            "--to",
            (today + timedelta(days=1)).isoformat(),
            "--no-progress",
            *extra,
            stdout=out,
            stderr=err,
        )
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    assert err.getvalue() == ""
    return status, out.getvalue()


def test_money_moved_through_stripe_reconciles_with_the_ledger(history, stripe_account):
    intents = sorted(intent["status"] for intent in stripe_account.intents.values())
    assert intents == ["canceled", "succeeded", "succeeded", "succeeded", "succeeded"]
    assert (len(stripe_account.refunds), len(stripe_account.transfers), len(stripe_account.reversals)) == (2, 2, 1)
    assert all(t["source_transaction"] for t in stripe_account.transfers.values()), "funded by the booking's charge"
    payouts = Payout.objects.filter(booking__in=[history["released"], history["reversed"]])
    assert {p.destination for p in payouts} == {"acct_1CalmSpaces"}

    status, out = reconcile_all()

    assert out.splitlines()[0].startswith("Reconciling the stripe gateway with the ledger")
    # 4 captured payments, 2 refunds, 2 transfers, 1 reversal; the cancelled authorisation moved no money.
    assert out.splitlines()[-1] == "Checked 9 gateway objects and 9 ledger postings: no differences."
    assert status == 0


def test_an_object_made_at_stripe_outside_the_marketplace_is_a_difference(history, stripe_account):
    stray = stripe_account.made_elsewhere("transfer", amount=4200, currency="usd", destination="acct_1Someone")

    status, out = reconcile_all()

    assert status == 1
    differences = [line for line in out.splitlines() if line.startswith("DIFFERENCE")]
    assert len(differences) == 1
    assert differences[0].startswith(f"DIFFERENCE missing_posting {stray['id']}: transfer $42.00 created ")


def test_an_amount_stripe_and_the_ledger_disagree_on_is_a_difference(history, stripe_account):
    payout = Payout.objects.get(booking=history["released"])
    stripe_account.transfers[payout.gateway_reference]["amount"] -= 1

    status, out = reconcile_all()

    assert status == 1
    differences = [line for line in out.splitlines() if line.startswith("DIFFERENCE")]
    assert len(differences) == 1
    assert differences[0].startswith(f"DIFFERENCE amount_mismatch {payout.gateway_reference}: transfer: gateway ")


def test_a_posting_for_an_object_stripe_does_not_have_is_a_difference(history, stripe_account):
    refund = LedgerEntry.objects.get(kind=EntryKind.REFUND_PAID, movement__booking=history["reversed"])
    del stripe_account.refunds[refund.gateway_reference]

    status, out = reconcile_all()

    assert status == 1
    differences = [line for line in out.splitlines() if line.startswith("DIFFERENCE")]
    assert len(differences) == 1
    assert differences[0].startswith(f"DIFFERENCE unknown_reference {refund.gateway_reference}")
