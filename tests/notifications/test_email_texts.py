"""Emails tell the truth about the money and cannot be broken by what people typed."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from marketplace.bookings import services as bookings
from marketplace.catalog.models import Service
from marketplace.notifications.tasks import email_subject
from tests.conftest import local_slot
from tests.factories.bookings import past_paid_booking, request_booking

pytestmark = pytest.mark.django_db


def _completed_email(customer, service):
    booking = past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-1))
    mail.outbox.clear()
    with time_machine.travel(booking.ends_at + timedelta(minutes=5)):
        bookings.booking_confirm_completion(customer=customer, booking_id=booking.pk)
    [message] = [m for m in mail.outbox if m.subject.startswith("Work confirmed")]
    return message


def test_the_work_confirmed_email_says_the_payout_waits_for_approval(customer, service, settings):
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 10000

    message = _completed_email(customer, service)

    assert "Your share is $255.00. The work is confirmed; your payout is waiting for our team's approval." in (
        message.body
    )


def test_the_work_confirmed_email_says_the_payout_went_out(customer, service):
    message = _completed_email(customer, service)

    assert "Your share is $255.00. Paid out to you." in message.body
    assert message.body.rstrip().endswith("Tidy Nest")  # SITE_NAME signs it, never a host name
    assert "127.0.0.1" not in message.subject


def test_a_title_stored_with_a_line_break_no_longer_breaks_its_emails(customer, service):
    # given a title stored before titles were checked (written around the service)
    Service.objects.filter(pk=service.pk).update(title="Whole-home\r\ndeclutter\n")
    mail.outbox.clear()

    # when a booking of it is requested, the organizer's email goes out
    request_booking(customer=customer, service=Service.objects.get(pk=service.pk), starts_at=local_slot(days_ahead=3))

    [message] = mail.outbox
    assert message.subject == "New booking request: Whole-home declutter"


@pytest.mark.parametrize(
    ("value", "subject"),
    [
        ("Closets\nand more", "Cancelled: Closets and more"),
        ("Closets\r\n\r\nand\u2028more", "Cancelled: Closets and more"),
        ("  spaced   out  ", "Cancelled: spaced out"),
        ("x" * 300, "Cancelled: " + "x" * 189),
    ],
)
def test_email_subjects_collapse_line_breaks_and_stay_short(value, subject):
    assert email_subject("Cancelled: {service}", service=value) == subject
