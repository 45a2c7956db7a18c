"""The deadline sweep: one reminder to the side that has not answered, then the dispute goes to staff."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from marketplace.disputes.errors import ResponseTooLate
from marketplace.disputes.models import Dispute
from marketplace.disputes.services import dispute_open, dispute_respond
from marketplace.disputes.tasks import dispute_deadlines
from marketplace.notifications.models import NotificationEvent
from marketplace.notifications.tasks import send_dispute_notification
from tests.conftest import local_slot
from tests.factories.bookings import past_paid_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispute(customer, service, settings):
    settings.DISPUTE_RESPONSE_HOURS = 72
    settings.DISPUTE_REMINDER_HOURS = 24
    booking = past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-1))
    opened = dispute_open(user=customer, booking_id=booking.pk, reason="not_done", description="Nobody worked.")
    mail.outbox.clear()
    return opened


def test_nothing_happens_before_the_reminder_is_due(dispute):
    with time_machine.travel(dispute.respond_by - timedelta(hours=24, minutes=1)):
        assert dispute_deadlines() == {"reminded": 0, "escalated": 0}
    assert mail.outbox == []


def test_the_side_that_has_not_answered_is_reminded_once(dispute):
    with time_machine.travel(dispute.respond_by - timedelta(hours=23)):
        assert dispute_deadlines() == {"reminded": 1, "escalated": 0}
        assert dispute_deadlines() == {"reminded": 0, "escalated": 0}

    organizer = dispute.booking.vendor.user
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([organizer.email], f"Please answer the dispute about {dispute.booking.reference}")
    ]
    assert NotificationEvent.objects.filter(kind="dispute.reminder", recipient=organizer).count() == 1


def test_an_answered_dispute_gets_no_reminder(dispute):
    dispute_respond(user=dispute.booking.vendor.user, dispute_id=dispute.pk, statement="All done, see photos.")
    mail.outbox.clear()

    with time_machine.travel(dispute.respond_by - timedelta(hours=1)):
        assert dispute_deadlines() == {"reminded": 0, "escalated": 0}
    with time_machine.travel(dispute.respond_by + timedelta(hours=1)):
        assert dispute_deadlines() == {"reminded": 0, "escalated": 0}
    assert mail.outbox == []


def test_an_unanswered_dispute_goes_to_staff_at_the_deadline(dispute):
    with time_machine.travel(dispute.respond_by + timedelta(minutes=1)):
        assert dispute_deadlines() == {"reminded": 0, "escalated": 1}
        assert dispute_deadlines() == {"reminded": 0, "escalated": 0}
        with pytest.raises(ResponseTooLate):
            dispute_respond(user=dispute.booking.vendor.user, dispute_id=dispute.pk, statement="Late")

    dispute.refresh_from_db()
    assert (dispute.status, dispute.escalated_at is not None, dispute.reminded_at) == ("under_review", True, None)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [dispute.booking.customer.email, dispute.booking.vendor.user.email]
    )
    assert all("support team is reviewing" in m.subject for m in mail.outbox)


def test_a_job_run_twice_sends_each_message_once(dispute):
    """The notification job itself is idempotent: one event per person and step, one email per event."""
    assert send_dispute_notification(dispute.pk, "opened") == 2
    assert send_dispute_notification(dispute.pk, "opened") == 2

    assert mail.outbox == []  # both already went out when the dispute was opened
    assert NotificationEvent.objects.filter(kind="dispute.opened").count() == 2
    assert Dispute.objects.get().status == "awaiting_response"
