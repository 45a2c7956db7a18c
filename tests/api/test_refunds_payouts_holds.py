"""Admin refunds (partial, after the payout), payouts as rows, holds on release: through the API."""

from datetime import timedelta

import pytest
import time_machine

from marketplace.bookings import services as bookings
from marketplace.payments.gateways.local import local_gateway_faults
from marketplace.payments.models import LocalGatewayOperation, Payout
from tests.conftest import local_slot
from tests.factories.bookings import completed_booking, paid_booking, past_paid_booking, request_booking
from tests.payments.invariants import assert_money_invariants
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db


def test_an_organizer_sees_their_payouts_and_nobody_elses(api, customer, service, other_vendor):
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))

    mine = api.as_user(service.vendor.user).get("payouts")
    theirs = api.as_user(other_vendor.user).get("payouts")
    customers = api.as_user(customer).get("payouts")

    assert mine.status_code == 200, mine.content
    [payout] = mine.json()["results"]
    assert payout["booking_reference"] == booking.reference
    assert (payout["state"], payout["amount_minor"], payout["vendor_share_minor"], payout["debt_netted_minor"]) == (
        "paid",
        25500,
        25500,
        0,
    )
    assert payout["gateway_reference"].startswith("tr_local_")
    assert theirs.json()["results"] == []
    assert customers.status_code in (403, 404)
    earnings = api.as_user(service.vendor.user).get("payments/earnings").json()
    assert (earnings["paid_out_minor"], earnings["payout_pending_minor"], earnings["debt_minor"]) == (25500, 0, 0)


def test_a_partial_refund_after_the_payout_reverses_the_organizers_share(api, admin_user, customer, service):
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))

    response = api.as_user(admin_user).post(
        "payments/refund", {"booking_id": booking.pk, "amount_minor": 10000, "reason": "Two boxes left unsorted"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["amount_minor"], body["state"]) == (10000, "succeeded")
    # $200 kept is split again at 15%: the platform gives back $15, the organizer $85 (reversed).
    payment = body["payment"]
    assert (payment["refunded_minor"], payment["platform_fee_minor"], payment["vendor_payout_minor"]) == (
        10000,
        3000,
        17000,
    )
    assert LocalGatewayOperation.objects.get(kind="reversal").amount_minor == 8500
    assert assert_money_invariants()["refunded"] == 10000


def test_a_reversal_the_account_refuses_becomes_debt_netted_from_the_next_payout(api, admin_user, customer, service):
    first = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-4))
    with local_gateway_faults(reversal=["decline"]):
        api.as_user(admin_user).post(
            "payments/refund", {"booking_id": first.pk, "amount_minor": 10000, "reason": "Damaged shelf"}
        )
    assert api.as_user(service.vendor.user).get("payments/earnings").json()["debt_minor"] == 8500

    completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))

    latest = api.as_user(service.vendor.user).get("payouts").json()["results"][0]
    assert (latest["vendor_share_minor"], latest["debt_netted_minor"], latest["amount_minor"]) == (25500, 8500, 17000)
    assert api.get("payments/earnings").json()["debt_minor"] == 0
    assert_money_invariants()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"amount_minor": 0}, 400, "invalid_amount"),
        ({"amount_minor": -500}, 400, "invalid_amount"),
        ({"amount_minor": 30001}, 400, "refund_too_large"),
        ({"amount_minor": 500, "currency": "EUR"}, 400, "currency_mismatch"),
        ({"amount_minor": 500, "currency": "QQQ"}, 400, "currency_mismatch"),
        ({"amount_minor": 500, "reason": "  "}, 400, "validation_failed"),
    ],
)
def test_bad_refunds_are_refused_and_write_nothing(api, admin_user, customer, service, body, status, code):
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    api.as_user(admin_user)
    before = data_snapshot()

    response = api.post("payments/refund", {"booking_id": booking.pk, "reason": "Goodwill", **body})

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert changed_tables(before, data_snapshot()) == []


def test_only_admins_refund_and_an_unpaid_booking_has_nothing_to_refund(api, admin_user, customer, service):
    paid = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    unpaid = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=6))
    before = data_snapshot()

    by_customer = api.as_user(customer).post("payments/refund", {"booking_id": paid.pk, "reason": "Please"})
    nothing = api.as_user(admin_user).post("payments/refund", {"booking_id": unpaid.pk, "reason": "Goodwill"})

    assert by_customer.status_code == 403
    assert (nothing.status_code, nothing.json()["code"]) == (409, "nothing_to_refund")
    assert changed_tables(before, data_snapshot()) == []


def test_a_hold_freezes_the_release_until_it_is_lifted(api, admin_user, customer, service):
    starts_at = local_slot(days_ahead=-2)
    booking = past_paid_booking(customer=customer, service=service, starts_at=starts_at)

    held = api.as_user(admin_user).post("payments/hold", {"booking_id": booking.pk, "note": "Chargeback warning"})
    assert held.status_code == 200, held.content
    assert held.json()["payment"]["escrow_state"] == "on_hold"
    assert api.post("payments/hold", {"booking_id": booking.pk}).status_code == 200  # the same hold again

    with time_machine.travel(booking.ends_at + timedelta(minutes=5)):
        bookings.booking_confirm_completion(customer=customer, booking_id=booking.pk)
    assert not Payout.objects.exists()  # the work is confirmed, but nothing is released while held
    refused = api.post("payments/payout", {"booking_id": booking.pk, "reason": "Approve"})
    assert (refused.status_code, refused.json()["code"]) == (409, "escrow_on_hold")

    lifted = api.post("payments/hold/lift", {"booking_id": booking.pk, "note": "Bank confirmed"})

    assert lifted.status_code == 200, lifted.content
    assert lifted.json()["payment"]["escrow_state"] == "released"
    assert Payout.objects.get().state == "succeeded"
    again = api.post("payments/hold/lift", {"booking_id": booking.pk})
    assert (again.status_code, again.json()["code"]) == (409, "no_active_hold")
    assert api.as_user(customer).post("payments/hold", {"booking_id": booking.pk}).status_code == 403
    assert_money_invariants()


def test_a_customers_late_cancellation_refunds_half_and_pays_the_organizer_the_rest(api, customer, service):
    starts_at = local_slot(days_ahead=4)
    booking = paid_booking(customer=customer, service=service, starts_at=starts_at)

    with time_machine.travel(starts_at - timedelta(hours=30)):  # moderate: 24 to 72 hours before gives half
        response = api.as_user(customer).post(f"bookings/{booking.pk}/cancel", {"reason": "Flu"})

    assert response.status_code == 200, response.content
    payment = response.json()["payment"]
    assert (payment["refunded_minor"], payment["platform_fee_minor"], payment["vendor_payout_minor"]) == (
        15000,
        2250,
        12750,
    )
    assert payment["escrow_state"] == "released"
    assert Payout.objects.get().amount_minor == 12750
    assert assert_money_invariants() == {
        "captured": 30000,
        "released": 15000,
        "refunded": 15000,
        "held": 0,
        "commission": 2250,
        "paid_out": 12750,
    }
