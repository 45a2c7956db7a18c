"""SUSPENSION_RULE: what suspending an organizer does to their bookings, their customers' money and emails."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

import marketplace.bookings.tasks as booking_tasks
from marketplace.bookings.models import Booking, BookingStatus, CancelledBy
from marketplace.bookings.policy import SUSPENSION_CUSTOMER_REASON
from marketplace.bookings.selectors import suspension_preview
from marketplace.bookings.services import booking_confirm_completion
from marketplace.bookings.tasks import SuspensionIncomplete, bookings_close_for_suspended_vendor
from marketplace.core.audit import audit_log_for
from marketplace.core.errors import ValidationFailed
from marketplace.core.jobs import enqueue
from marketplace.core.models import AuditLogEntry
from marketplace.core.money import Money
from marketplace.notifications.models import NotificationEvent
from marketplace.payments.models import TransactionStatus
from marketplace.vendors.models import VerificationStatus
from marketplace.vendors.services import vendor_verify
from tests.conftest import local_slot
from tests.factories import CustomerFactory, ServiceFactory
from tests.factories.bookings import paid_booking, past_paid_booking, request_booking
from tests.payments.invariants import assert_money_invariants
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

INTERNAL_REASON = "Three no-shows this month and a fake insurance document."


@pytest.fixture
def request_service(vendor, category):
    """A $120.00 service booked on request: paying authorises the card, the organizer accepts."""
    return ServiceFactory(
        vendor=vendor, category=category, title="Closet reset", base_price_minor=12000, instant_booking=False
    )


@pytest.fixture
def book(vendor, service, request_service, customer, other_customer):
    """Two confirmed bookings to come, one done yesterday (not yet confirmed), an unpaid request and a paid one."""
    third = CustomerFactory(email="third@example.com")
    return {
        "future_1": paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3)),
        "future_2": paid_booking(customer=other_customer, service=service, starts_at=local_slot(days_ahead=5)),
        "past": past_paid_booking(customer=third, service=service, starts_at=local_slot(days_ahead=-1)),
        "request": request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=7)),
        "paid_request": paid_booking(
            customer=other_customer, service=request_service, starts_at=local_slot(days_ahead=9)
        ),
    }


def suspend(vendor, admin, reason: str = INTERNAL_REASON):
    return vendor_verify(admin=admin, vendor_id=vendor.pk, decision="suspended", reason=reason)


def refreshed(bookings: dict) -> dict:
    return {
        name: Booking.objects.select_related("transaction").get(pk=booking.pk) for name, booking in bookings.items()
    }


def test_suspending_cancels_future_confirmed_bookings_with_full_refunds_and_declines_requests(
    vendor, admin_user, book, customer, other_customer
):
    assert book["paid_request"].status == BookingStatus.REQUESTED
    assert book["paid_request"].transaction.status == TransactionStatus.AUTHORIZED
    mail.outbox.clear()

    suspend(vendor, admin_user)

    after = refreshed(book)
    statuses = {name: booking.status for name, booking in after.items()}
    assert statuses == {
        "future_1": "cancelled",
        "future_2": "cancelled",
        "past": "confirmed",
        "request": "declined",
        "paid_request": "declined",
    }
    for name in ("future_1", "future_2"):
        booking = after[name]
        assert (booking.cancelled_by, booking.close_reason) == (CancelledBy.ADMIN, SUSPENSION_CUSTOMER_REASON)
        payment = booking.transaction
        # the whole price comes back, the platform's fee included: nothing kept, nothing paid out
        assert (payment.status, payment.refunded_minor, payment.platform_fee_minor, payment.vendor_payout_minor) == (
            TransactionStatus.REFUNDED,
            30000,
            0,
            0,
        )
    assert after["paid_request"].transaction.status == TransactionStatus.VOIDED
    assert after["past"].transaction.status == TransactionStatus.HELD
    # the ledger balances and tells the same story: the past booking's $300.00 is the only money held
    assert assert_money_invariants() == {
        "captured": 90000,
        "released": 0,
        "refunded": 60000,
        "held": 30000,
        "commission": 0,
        "paid_out": 0,
    }


def test_each_change_is_audited_with_the_suspending_admin_and_the_suspension(vendor, admin_user, book):
    suspend(vendor, admin_user)

    suspension = audit_log_for(vendor).get(action="vendor.suspended")
    for name, action, step in [
        ("future_1", "booking.cancelled", "cancel"),
        ("future_2", "booking.cancelled", "cancel"),
        ("request", "booking.declined", "decline"),
        ("paid_request", "booking.declined", "decline"),
    ]:
        entry = audit_log_for(book[name]).get(action=action)
        assert (entry.actor, entry.reason) == (admin_user, SUSPENSION_CUSTOMER_REASON)
        assert entry.data == {
            "from": "confirmed" if step == "cancel" else "requested",
            "to": "cancelled" if step == "cancel" else "declined",
            "suspension_entry": suspension.pk,
            "step": step,
        }
    assert not audit_log_for(book["past"]).filter(action__in=["booking.cancelled", "booking.declined"]).exists()


def test_each_customer_is_emailed_in_their_own_words_never_the_internal_reason(
    vendor, admin_user, book, customer, other_customer
):
    mail.outbox.clear()

    suspend(vendor, admin_user)

    customer_mail = [m for m in mail.outbox if m.to != [vendor.user.email]]
    assert sorted((m.to[0], m.subject.split(":")[0]) for m in customer_mail) == sorted(
        [
            (customer.email, "Cancelled and refunded in full"),
            (other_customer.email, "Cancelled and refunded in full"),
            (customer.email, "Your request for Whole-home declutter was declined"),
            (other_customer.email, "Your request for Closet reset was declined"),
        ]
    )
    for message in customer_mail:
        assert INTERNAL_REASON not in message.body
        assert SUSPENSION_CUSTOMER_REASON in message.body
    cancelled = next(m for m in customer_mail if m.to == [customer.email] and m.subject.startswith("Cancelled"))
    assert f"{book['future_1'].reference}" in cancelled.body
    assert "Your payment of $300.00 is refunded in full, our service fee included" in cancelled.body
    unpaid = next(m for m in customer_mail if m.to == [customer.email] and "declined" in m.subject)
    assert "Nothing had been charged." in unpaid.body
    authorised = next(m for m in customer_mail if m.to == [other_customer.email] and "declined" in m.subject)
    assert "The hold on your card is released: nothing was charged." in authorised.body
    # the organizer hears once, with the reason and the rule, not once per booking
    organizer_mail = [m for m in mail.outbox if m.to == [vendor.user.email]]
    assert [m.subject for m in organizer_mail] == ["Your organizer account is suspended"]
    assert f"Why: {INTERNAL_REASON}" in organizer_mail[0].body
    assert "refunded in full" in organizer_mail[0].body


def test_the_job_run_twice_changes_nothing_the_second_time(vendor, admin_user, book):
    suspend(vendor, admin_user)
    entry = audit_log_for(vendor).get(action="vendor.suspended")
    mail.outbox.clear()
    before = data_snapshot()

    assert bookings_close_for_suspended_vendor(vendor.pk, entry.pk) == 0

    assert changed_tables(before, data_snapshot()) == []
    assert mail.outbox == []
    assert assert_money_invariants()["refunded"] == 60000


def test_a_late_job_leaves_an_organizer_reinstated_meanwhile_alone(vendor, admin_user, book, monkeypatch):
    queued = []

    def hold_back_the_suspension_job(func, *args, **kwargs):
        if func.endswith("bookings_close_for_suspended_vendor"):
            queued.append(args)
            return None
        return enqueue(func, *args, **kwargs)

    monkeypatch.setattr("marketplace.vendors.services.enqueue", hold_back_the_suspension_job)
    suspend(vendor, admin_user)
    vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision="reinstated", reason="Insurance checked again.")
    before = data_snapshot()

    assert bookings_close_for_suspended_vendor(*queued[0]) == 0

    assert changed_tables(before, data_snapshot()) == []
    assert {b.status for b in refreshed(book).values()} == {"confirmed", "requested"}


def test_one_failing_booking_does_not_stop_the_others_and_a_retry_finishes_it(vendor, admin_user, book, monkeypatch):
    real = booking_tasks.booking_close_for_suspension
    failing = book["future_1"].pk

    def fail_once(*, booking_id, suspension):
        if booking_id == failing:
            raise RuntimeError("the gateway is down")
        return real(booking_id=booking_id, suspension=suspension)

    monkeypatch.setattr("marketplace.vendors.services.enqueue", lambda *args, **kwargs: None)
    suspend(vendor, admin_user)
    entry = audit_log_for(vendor).get(action="vendor.suspended")
    monkeypatch.setattr(booking_tasks, "booking_close_for_suspension", fail_once)

    with pytest.raises(SuspensionIncomplete):
        bookings_close_for_suspended_vendor(vendor.pk, entry.pk)

    assert {name: b.status for name, b in refreshed(book).items()}["future_1"] == "confirmed"
    assert refreshed(book)["future_2"].status == "cancelled"
    monkeypatch.setattr(booking_tasks, "booking_close_for_suspension", real)
    assert bookings_close_for_suspended_vendor(vendor.pk, entry.pk) == 1
    assert refreshed(book)["future_1"].status == "cancelled"
    assert assert_money_invariants()["refunded"] == 60000


def test_a_long_list_is_closed_in_batches_each_queueing_the_next(vendor, admin_user, book, monkeypatch):
    monkeypatch.setattr(booking_tasks, "SUSPENSION_BATCH_SIZE", 1)

    suspend(vendor, admin_user)

    assert {name: b.status for name, b in refreshed(book).items()} == {
        "future_1": "cancelled",
        "future_2": "cancelled",
        "past": "confirmed",
        "request": "declined",
        "paid_request": "declined",
    }


def test_the_preview_counts_what_suspending_now_would_cancel_and_refund(vendor, book):
    preview = suspension_preview(vendor=vendor)

    assert (preview.cancelled, preview.refunds, preview.declined) == (2, [Money(60000, "USD")], 2)
    assert preview.sentence == (
        "Suspending now cancels 2 confirmed bookings that have not started yet, refunding $600.00 in full "
        "to the customers, and declines 2 open requests."
    )


def test_work_done_before_the_suspension_is_paid_out_only_with_an_admin_s_approval(vendor, admin_user, book):
    suspend(vendor, admin_user)
    past = book["past"]

    with time_machine.travel(past.ends_at + timedelta(minutes=5)):
        booking_confirm_completion(customer=past.customer, booking_id=past.pk)

    payment = Booking.objects.get(pk=past.pk).transaction
    assert (payment.payout_needs_approval, payment.payout_approval_grounds) == (True, ["vendor_suspended"])
    assert payment.status == TransactionStatus.HELD


def test_bookings_of_other_organizers_are_untouched(vendor, other_vendor, category, admin_user, customer, book):
    elsewhere = paid_booking(
        customer=customer,
        service=ServiceFactory(vendor=other_vendor, category=category, base_price_minor=5000),
        starts_at=local_slot(days_ahead=4),
    )

    suspend(vendor, admin_user)

    assert Booking.objects.get(pk=elsewhere.pk).status == BookingStatus.CONFIRMED
    assert NotificationEvent.objects.filter(recipient=customer, key__contains=f"booking:{elsewhere.pk}:").count() == 0


def test_a_suspension_without_a_reason_changes_nothing(vendor, admin_user, book):
    mail.outbox.clear()
    before = data_snapshot()

    with pytest.raises(ValidationFailed, match="A reason is required to suspend an organizer"):
        suspend(vendor, admin_user, reason="  ")

    assert changed_tables(before, data_snapshot()) == []
    assert mail.outbox == []
    vendor.refresh_from_db()
    assert vendor.verification_status == VerificationStatus.VERIFIED
    assert not AuditLogEntry.objects.filter(action="vendor.suspended").exists()
