"""Booking emails: the right people hear about each event once, and a confirmation carries an .ics."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from icalendar import Calendar

from marketplace.bookings import services as bookings
from marketplace.notifications.models import SentNotification
from marketplace.notifications.tasks import send_booking_notification

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2027, 6, 10, 9, 0, tzinfo=NEW_YORK)
STARTS_AT = datetime(2027, 6, 14, 10, 0, tzinfo=NEW_YORK)  # a Monday


@pytest.fixture
def confirmed(customer, service):
    with time_machine.travel(NOW, tick=False):
        booking = bookings.booking_request(
            customer=customer, service_id=service.pk, starts_at=STARTS_AT, address="12 Elm St, Brooklyn"
        )
        bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa")
    booking.refresh_from_db()
    return booking


def test_a_confirmed_booking_emails_both_sides_with_a_calendar_file(confirmed, customer, service):
    confirmations = [m for m in mail.outbox if m.subject.startswith("Confirmed")]

    assert sorted(m.to[0] for m in confirmations) == sorted([customer.email, service.vendor.user.email])
    for message in confirmations:
        assert message.subject == "Confirmed: Whole-home declutter on Mon 14 Jun 2027, 10:00"
        [(filename, content, mimetype)] = message.attachments
        assert (filename, mimetype) == (f"{confirmed.reference}.ics", "text/calendar")
        [event] = Calendar.from_ical(content).walk("VEVENT")
        assert event["uid"] == f"{confirmed.reference}@tidynest"
        assert event.decoded("dtstart") == STARTS_AT
        assert event.decoded("dtend") == datetime(2027, 6, 14, 13, 0, tzinfo=NEW_YORK)
        assert str(event["location"]) == "12 Elm St, Brooklyn"


def test_the_vendor_hears_of_the_request_and_nothing_else_is_sent(confirmed, service):
    assert [(m.subject, m.to) for m in mail.outbox if not m.subject.startswith("Confirmed")] == [
        ("New booking request: Whole-home declutter", [service.vendor.user.email])
    ]
    assert [m for m in mail.outbox if m.attachments and not m.subject.startswith("Confirmed")] == []


def test_running_the_job_again_sends_nothing_twice(confirmed):
    sent = len(mail.outbox)
    records = SentNotification.objects.count()

    assert send_booking_notification(confirmed.pk, "confirmed") == 0
    assert send_booking_notification(confirmed.pk, "requested") == 0

    assert len(mail.outbox) == sent
    assert SentNotification.objects.count() == records == 3


def test_a_cancellation_tells_both_sides_once(confirmed, customer):
    mail.outbox.clear()
    with time_machine.travel(NOW, tick=False):
        bookings.booking_cancel(user=customer, booking_id=confirmed.pk, reason="Moving")
    send_booking_notification(confirmed.pk, "cancelled")

    assert sorted(m.subject for m in mail.outbox) == ["Cancelled: Whole-home declutter on Mon 14 Jun 2027, 10:00"] * 2
    assert all(not m.attachments for m in mail.outbox)


def test_a_late_job_does_not_announce_what_is_no_longer_true(customer, service):
    # given a paid request whose "confirmed" email had not gone out yet (it was never sent)
    with time_machine.travel(NOW, tick=False):
        booking = bookings.booking_request(
            customer=customer, service_id=service.pk, starts_at=STARTS_AT, address="12 Elm St, Brooklyn"
        )
        bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa")
        SentNotification.objects.filter(booking=booking, event="confirmed").delete()
        bookings.booking_cancel(user=customer, booking_id=booking.pk, reason="Plans changed")
    mail.outbox.clear()

    # when the late "confirmed" job finally runs
    sent = send_booking_notification(booking.pk, "confirmed")

    # then it sends nothing: the booking is cancelled, and the cancellation email said so
    assert sent == 0
    assert mail.outbox == []
    assert not SentNotification.objects.filter(booking=booking, event="confirmed").exists()


def test_a_notification_for_a_deleted_booking_sends_nothing():
    assert send_booking_notification(999999, "confirmed") == 0
    assert mail.outbox == []


def test_times_are_shown_in_each_recipients_time_zone(customer, service):
    customer.time_zone = "America/Los_Angeles"
    customer.save()
    with time_machine.travel(NOW, tick=False):
        booking = bookings.booking_request(customer=customer, service_id=service.pk, starts_at=STARTS_AT, address="x")
        bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa")

    subjects = {m.to[0]: m.subject for m in mail.outbox if m.subject.startswith("Confirmed")}
    assert subjects == {
        customer.email: "Confirmed: Whole-home declutter on Mon 14 Jun 2027, 07:00",
        service.vendor.user.email: "Confirmed: Whole-home declutter on Mon 14 Jun 2027, 10:00",
    }


def test_a_late_cancellation_email_says_what_each_side_gets(confirmed, customer, service):
    mail.outbox.clear()
    with time_machine.travel(datetime(2027, 6, 13, 9, 0, tzinfo=NEW_YORK), tick=False):  # 25 hours before: half back
        bookings.booking_cancel(user=customer, booking_id=confirmed.pk, reason="Moving")

    bodies = {m.to[0]: m.body for m in mail.outbox if m.subject.startswith("Cancelled")}
    assert "you get $150.00 back; the rest goes to Calm Spaces." in bodies[customer.email]
    assert (
        "the customer gets $150.00 back; your share of the rest, $127.50, is paid out"
        in bodies[service.vendor.user.email]
    )
    assert all("refunded in full" not in body for body in bodies.values())
