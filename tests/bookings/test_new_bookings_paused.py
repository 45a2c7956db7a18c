"""An organizer whose payout account's information falls past due stops taking new bookings, by itself.

The pause is a flag of its own (``Vendor.new_bookings_paused_at``): the organizer stays
verified and listed, confirmed bookings go on to completion and payout (which waits for the
account), and new bookings are taken again once the information is provided.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from marketplace.bookings.models import Booking, BookingStatus
from marketplace.payments.gateways.base import AccountStatus
from marketplace.payments.models import MovementState, Payout
from marketplace.payments.payout_accounts import payout_account_sync
from tests.conftest import local_slot
from tests.factories.bookings import paid_booking, request_booking
from tests.payments.invariants import assert_money_invariants
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

REASON = "Payout account information is past due: an identity document."


def report(vendor, *, past_due: tuple[str, ...]) -> None:
    """The payment processor reports the organizer's account (as account.updated would)."""
    payout_account_sync(
        status=AccountStatus(
            reference=vendor.profile.stripe_account_id,
            payouts_enabled=not past_due,
            details_submitted=True,
            requirements_due=past_due,
            requirements_past_due=past_due,
            disabled_reason="requirements.past_due" if past_due else "",
        ),
        as_of=timezone.now(),
        source="test",
    )
    vendor.refresh_from_db()


def pause(vendor) -> None:
    report(vendor, past_due=("individual.verification.document",))
    assert vendor.new_bookings_paused_reason == REASON


def test_a_paused_organizer_refuses_new_requests_with_the_reason_and_writes_nothing(api, customer, service):
    pause(service.vendor)
    api.as_user(customer)
    before = data_snapshot()

    response = api.post(
        "bookings",
        {"service_id": service.pk, "starts_at": local_slot(days_ahead=3).isoformat(), "address": "12 Elm St"},
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"This organizer is not taking new bookings at the moment. {REASON}",
        "code": "vendor_new_bookings_paused",
    }
    assert changed_tables(before, data_snapshot()) == []


def test_an_open_request_cannot_be_paid_or_accepted_while_paused(api, customer, service):
    service.instant_booking = False
    service.save()
    unpaid = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    paid = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=4))
    pause(service.vendor)
    before = data_snapshot()

    paying = api.as_user(customer).post("payments/capture", {"booking_id": unpaid.pk, "payment_method": "pm_card_visa"})
    accepting = api.as_user(service.vendor.user).post(f"bookings/{paid.pk}/accept")

    assert (paying.status_code, paying.json()["code"]) == (409, "vendor_new_bookings_paused")
    assert (accepting.status_code, accepting.json()["code"]) == (409, "vendor_new_bookings_paused")
    assert changed_tables(before, data_snapshot()) == []


def test_confirmed_bookings_go_on_and_their_payout_waits_for_the_account(api, customer, service):
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    assert booking.status == BookingStatus.CONFIRMED
    pause(service.vendor)

    with time_machine.travel(booking.ends_at + timedelta(minutes=5)):
        done = api.as_user(customer).post(f"bookings/{booking.pk}/confirm_completion")

    assert done.status_code == 200, done.content
    assert done.json()["status"] == "completed"
    assert Payout.objects.get(booking=booking).state == MovementState.WAITING
    service.vendor.refresh_from_db()
    assert service.vendor.verification_status == "verified"
    assert_money_invariants()


def test_meeting_the_requirements_takes_new_bookings_again_and_sends_the_payout(api, customer, service):
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    pause(service.vendor)
    with time_machine.travel(booking.ends_at + timedelta(minutes=5)):
        api.as_user(customer).post(f"bookings/{booking.pk}/confirm_completion")

    report(service.vendor, past_due=())

    assert service.vendor.new_bookings_paused is False
    assert Payout.objects.get(booking=booking).state == MovementState.SUCCEEDED
    response = api.as_user(customer).post(
        "bookings",
        {"service_id": service.pk, "starts_at": local_slot(days_ahead=5).isoformat(), "address": "12 Elm St"},
    )
    assert response.status_code == 201, response.content
    assert Booking.objects.count() == 2
