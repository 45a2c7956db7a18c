"""POST payments/capture and payments/payout: who may move money, and refusals that move none."""

from datetime import timedelta

import pytest
import time_machine

from marketplace.bookings.models import Booking
from marketplace.payments.models import LedgerLine, Transaction
from tests.conftest import local_slot
from tests.factories.bookings import completed_booking, paid_booking, request_booking
from tests.payments.invariants import assert_money_invariants
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db


def test_the_customer_pays_and_the_money_is_held(api, customer, service):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    response = api.as_user(customer).post(
        "payments/capture", {"booking_id": booking.pk, "payment_method": "pm_card_visa"}
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    assert response.json()["payment"]["status"] == "held"
    assert assert_money_invariants() == {
        "captured": 30000,
        "released": 0,
        "refunded": 0,
        "held": 30000,
        "commission": 0,
        "paid_out": 0,
    }


def test_a_declined_card_is_a_402_and_writes_nothing(api, customer, service):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    api.as_user(customer)
    before = data_snapshot()

    response = api.post("payments/capture", {"booking_id": booking.pk, "payment_method": "pm_card_chargeDeclined"})

    assert response.status_code == 402
    assert response.json() == {"detail": "Your card was declined.", "code": "card_declined"}
    assert changed_tables(before, data_snapshot()) == []
    assert Booking.objects.get().status == "requested"


def test_after_a_declined_card_another_card_can_pay(api, customer, service):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    api.as_user(customer)
    api.post("payments/capture", {"booking_id": booking.pk, "payment_method": "pm_card_chargeDeclined"})

    response = api.post("payments/capture", {"booking_id": booking.pk, "payment_method": "pm_card_mastercard"})

    assert response.status_code == 200, response.content
    assert Transaction.objects.get().amount_minor == 30000


def test_paying_twice_is_refused_and_charges_once(api, customer, hourly_service):
    # a request that waits for the organizer stays "requested" after payment
    hourly_service.instant_booking = False
    hourly_service.save()
    booking = request_booking(customer=customer, service=hourly_service, starts_at=local_slot(days_ahead=3))
    api.as_user(customer)
    api.post("payments/capture", {"booking_id": booking.pk, "payment_method": "pm_card_visa"})
    before = data_snapshot()

    response = api.post("payments/capture", {"booking_id": booking.pk, "payment_method": "pm_card_visa"})

    assert response.status_code == 409
    assert response.json() == {"detail": "This booking is already paid.", "code": "already_paid"}
    assert changed_tables(before, data_snapshot()) == []


def test_paying_a_confirmed_booking_again_says_it_is_already_paid(api, customer, service):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    api.as_user(customer)
    api.post("payments/capture", {"booking_id": booking.pk, "payment_method": "pm_card_visa"})
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    before = data_snapshot()

    response = api.post("payments/capture", {"booking_id": booking.pk, "payment_method": "pm_card_visa"})

    assert response.status_code == 409
    assert response.json() == {"detail": "This booking is already paid.", "code": "already_paid"}
    assert changed_tables(before, data_snapshot()) == []


def test_a_quote_cannot_be_paid_before_the_organizer_prices_it(api, customer, quote_service):
    booking = request_booking(customer=customer, service=quote_service, starts_at=local_slot(days_ahead=3))
    api.as_user(customer)
    before = data_snapshot()

    response = api.post("payments/capture", {"booking_id": booking.pk, "payment_method": "pm_card_visa"})

    assert response.status_code == 409
    assert response.json()["code"] == "awaiting_quote"
    assert changed_tables(before, data_snapshot()) == []


@pytest.mark.parametrize("who", ["customer", "vendor"])
def test_only_admins_release_payouts(api, customer, service, settings, who):
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 100  # the payout waits for an admin
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    api.as_user(customer if who == "customer" else service.vendor.user)
    before = data_snapshot()

    response = api.post("payments/payout", {"booking_id": booking.pk, "reason": "Pay me"})

    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to release payouts.", "code": "not_permitted"}
    assert changed_tables(before, data_snapshot()) == []


def test_unauthenticated_payout_is_a_401(api, customer, service):
    before = data_snapshot()

    response = api.post("payments/payout", {"booking_id": 1})

    assert response.status_code == 401
    assert changed_tables(before, data_snapshot()) == []


def test_an_admin_releases_a_payout_once_and_a_second_release_is_a_409(api, customer, service, admin_user, settings):
    # given a completed $300 booking whose payout waits for approval
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 100
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    api.as_user(admin_user)

    # when the admin releases it
    first = api.post("payments/payout", {"booking_id": booking.pk, "reason": "Checked the photos"})

    # then the organizer is paid $255 and the platform keeps $45
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "released"
    assert first.json()["vendor_payout_minor"] == 25500
    assert assert_money_invariants() == {
        "captured": 30000,
        "released": 30000,
        "refunded": 0,
        "held": 0,
        "commission": 4500,
        "paid_out": 25500,
    }

    # when they (or another admin) release it again
    lines = LedgerLine.objects.count()
    before = data_snapshot()
    second = api.post("payments/payout", {"booking_id": booking.pk, "reason": "Again"})

    # then it is refused, and no money moves
    assert second.status_code == 409
    assert second.json() == {"detail": "The payout for this booking was already released.", "code": "already_released"}
    assert LedgerLine.objects.count() == lines
    assert changed_tables(before, data_snapshot()) == []


def test_a_payout_before_completion_is_refused(api, customer, service, admin_user):
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    api.as_user(admin_user)
    before = data_snapshot()

    response = api.post("payments/payout", {"booking_id": booking.pk})

    assert response.status_code == 409
    assert response.json()["code"] == "booking_not_completed"
    assert changed_tables(before, data_snapshot()) == []


def test_capture_after_the_start_is_refused(api, customer, service):
    starts_at = local_slot(days_ahead=1)
    booking = request_booking(customer=customer, service=service, starts_at=starts_at)

    with time_machine.travel(starts_at + timedelta(minutes=1)):
        api.as_user(customer)
        before = data_snapshot()
        response = api.post("payments/capture", {"booking_id": booking.pk, "payment_method": "pm_card_visa"})

    assert response.status_code == 409
    assert response.json()["code"] == "booking_started"
    assert changed_tables(before, data_snapshot()) == []
