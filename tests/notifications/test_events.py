"""Notifications not tied to a booking: verification decisions and payouts, one event each, one email per event."""

import pytest
from django.core import mail

from marketplace.notifications.models import Delivery, NotificationEvent
from marketplace.notifications.tasks import send_payout_notifications, send_verification_notification
from marketplace.payments.gateways.local import local_gateway_faults
from marketplace.payments.models import Payout
from marketplace.vendors.models import VerificationStatus
from marketplace.vendors.services import vendor_verify
from tests.conftest import local_slot
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

    assert send_verification_notification(vendor.pk, int(entry_id)) == 1

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
