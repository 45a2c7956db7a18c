"""Notifications not tied to a booking: verification decisions and payouts, one event each, one email per event."""

import pytest
from django.core import mail

from marketplace.notifications.models import Delivery, NotificationEvent
from marketplace.notifications.tasks import send_payout_notifications, send_vendor_notification
from marketplace.payments.gateways.local import (
    local_gateway_faults,
    local_gateway_onboarding_submit,
    local_gateway_onboarding_token,
)
from marketplace.payments.models import Payout
from marketplace.payments.payout_accounts import payout_account_link
from marketplace.vendors.models import VerificationStatus
from marketplace.vendors.services import vendor_verify
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.factories.bookings import completed_booking

pytestmark = pytest.mark.django_db


def test_each_verification_decision_is_one_event(make_vendor, admin_user):
    vendor = make_vendor(status=VerificationStatus.PENDING)
    mail.outbox.clear()

    vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision="verified")
    vendor_verify(
        admin=admin_user, vendor_id=vendor.pk, decision="suspended", reason="Complaints about <b>no-shows</b>"
    )

    events = list(NotificationEvent.objects.order_by("id").values_list("kind", "recipient", flat=False))
    assert events == [("vendor.verified", vendor.user.pk), ("vendor.suspended", vendor.user.pk)]
    assert [m.subject for m in mail.outbox] == [
        "You are verified: your services can be booked",
        "Your organizer account is suspended",
    ]
    assert "Why: Complaints about <b>no-shows</b>" in mail.outbox[1].body  # plain text: shown as typed
    assert mail.outbox[0].to == [vendor.user.email]


def test_a_verification_job_run_twice_sends_once(make_vendor, admin_user):
    vendor = make_vendor(status=VerificationStatus.PENDING)
    vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision="rejected", reason="No insurance document")
    entry_id = NotificationEvent.objects.get().key.split(":")[1]
    mail.outbox.clear()

    assert send_vendor_notification(vendor.pk, int(entry_id)) == 1

    assert mail.outbox == []
    assert (NotificationEvent.objects.count(), Delivery.objects.count()) == (1, 1)


def test_a_payout_sent_is_one_event_for_the_organizer(customer, service):
    mail.outbox.clear()

    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))

    payout = Payout.objects.get(booking=booking)
    event = NotificationEvent.objects.get(kind="payout.sent")
    assert (event.recipient, event.key) == (service.vendor.user, f"payout:{payout.pk}:sent")
    sent = [m for m in mail.outbox if m.subject.startswith("Payout sent")]
    assert [m.subject for m in sent] == [f"Payout sent: $255.00 for {booking.reference}"]
    assert send_payout_notifications([payout.pk], "sent") == 1
    assert len([m for m in mail.outbox if m.subject.startswith("Payout sent")]) == 1


def test_a_payout_refused_is_one_event_saying_so(customer, service):
    with local_gateway_faults(transfer=["decline"]):
        booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))

    event = NotificationEvent.objects.get(kind="payout.failed")
    assert event.subject == f"Your payout for {booking.reference} could not be sent"
    assert "The money is still yours" in event.body
    assert not NotificationEvent.objects.filter(kind="payout.sent").exists()


def test_an_unknown_payout_outcome_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown payout outcome"):
        send_payout_notifications([1], "lost")


# --- Payout accounts: a payout that waits, and new bookings paused and resumed ----------------------


@pytest.fixture
def newcomer(make_vendor):
    return make_vendor(business_name="Fresh Start", slug="fresh-start", profile__stripe_account_id="")


def onboard(user, outcome: str = "submit") -> None:
    url = payout_account_link(
        user=user,
        refresh_url="http://testserver/vendor/payouts/refresh/",
        return_url="http://testserver/vendor/payouts/",
    )
    local_gateway_onboarding_submit(local_gateway_onboarding_token(url), outcome=outcome)


def test_a_payout_that_waits_for_the_account_is_one_event_saying_why(customer, newcomer, category):
    service = ServiceFactory(vendor=newcomer, category=category, base_price_minor=30000)
    mail.outbox.clear()

    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))

    event = NotificationEvent.objects.get(kind="payout.waiting")
    assert event.recipient == newcomer.user
    assert event.subject == "Your payout of $255.00 waits for your payout account"
    assert f"$255.00 for booking {booking.reference} is yours" in event.body
    assert "No payout account is set up yet." in event.body
    assert [m.subject for m in mail.outbox if "payout" in m.subject.lower()] == [event.subject]

    onboard(newcomer.user)  # the account can receive: the payout goes out, and says so
    assert NotificationEvent.objects.filter(kind="payout.sent", recipient=newcomer.user).count() == 1


def test_new_bookings_paused_and_resumed_are_one_event_each(newcomer):
    onboard(newcomer.user)
    mail.outbox.clear()

    onboard(newcomer.user, outcome="past_due")
    onboard(newcomer.user, outcome="past_due")  # reported again: still one pause
    onboard(newcomer.user)

    kinds = list(
        NotificationEvent.objects.filter(recipient=newcomer.user).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == ["vendor.new_bookings_paused", "vendor.new_bookings_resumed"]
    paused = NotificationEvent.objects.get(kind="vendor.new_bookings_paused")
    assert "not taking new bookings for now: Payout account information is past due" in paused.body
    assert [m.subject for m in mail.outbox] == [
        "You are not taking new bookings: your payout account needs information",
        "You are taking new bookings again",
    ]
