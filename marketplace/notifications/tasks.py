"""Booking notifications by email. Safe to run twice: each message is recorded once."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from marketplace.bookings.calendar import booking_ics
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.bookings.policy import money_outlook
from marketplace.core.models import AuditLogEntry
from marketplace.disputes.models import Dispute
from marketplace.payments.models import Payout
from marketplace.payments.policy import payment_of
from marketplace.vendors.models import Vendor, VendorDocument

from .events import notify
from .models import SentNotification

logger = logging.getLogger(__name__)

# event -> (who hears about it, subject)
MESSAGES = {
    "requested": (("vendor",), "New booking request: {service}"),
    "paid": (("vendor",), "Paid request waiting for your answer: {service}"),
    "quoted": (("customer",), "Your quote for {service} is ready"),
    "confirmed": (("customer", "vendor"), "Confirmed: {service} on {when}"),
    "completed": (("vendor",), "Work confirmed: {service} ({reference})"),
    "declined": (("customer",), "Your request for {service} was declined"),
    "expired": (("customer", "vendor"), "Booking request expired: {service}"),
    "cancelled": (("customer", "vendor"), "Cancelled: {service} on {when}"),
    "rescheduled": (("customer", "vendor"), "Moved: {service} is now on {when}"),
    "reschedule_proposed": (("customer",), "{business} proposes a new time for {service}"),
    "reschedule_declined": (("vendor",), "New time declined: {service} stays on {when}"),
}


# event -> booking statuses in which the message is still true when the job runs
STILL_TRUE = {
    "requested": {"requested"},
    "paid": {"requested"},
    "quoted": {"requested"},
    "confirmed": {"confirmed"},
    "completed": {"completed"},
    "declined": {"declined"},
    "expired": {"expired"},
    "cancelled": {"cancelled"},
    "rescheduled": {"confirmed"},
    "reschedule_proposed": {"confirmed"},
    "reschedule_declined": {"confirmed"},
}

# Events that can happen more than once to a booking: each time is its own message, recorded
# under the event and the audit entry of that time (``occurrence``).
REPEATABLE = frozenset({"rescheduled", "reschedule_proposed", "reschedule_declined"})
# Events whose email carries the booking's calendar file (the same UID; a move raises its SEQUENCE).
WITH_CALENDAR_FILE = frozenset({"confirmed", "rescheduled"})


def send_booking_notification(booking_id: int, event: str, occurrence: int | None = None) -> int:
    """Email everyone who should hear about ``event``; returns how many messages went out.

    ``occurrence`` (the audit entry of a repeatable event, such as a move) makes each time its
    own message, still sent at most once.
    """
    if event not in MESSAGES:
        raise ValueError(f"unknown booking event {event!r}")
    if (event in REPEATABLE) != (occurrence is not None):
        raise ValueError(f"booking event {event!r} {'needs' if event in REPEATABLE else 'takes no'} occurrence")
    recorded_as = event if occurrence is None else f"{event}#{occurrence}"
    booking = (
        Booking.objects.select_related("service", "vendor__user", "customer", "transaction")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        return 0
    if booking.status not in STILL_TRUE[event]:
        # The job ran late and the booking moved on (e.g. cancelled before its "confirmed"
        # email went out): the later event's own message tells the story instead.
        logger.info("not sending %s for booking %s: it is now %s", event, booking.reference, booking.status)
        return 0
    audiences, subject = MESSAGES[event]
    sent = 0
    for audience in audiences:
        recipient = booking.customer if audience == "customer" else booking.vendor.user
        try:
            with transaction.atomic():
                SentNotification.objects.create(booking=booking, event=recorded_as, recipient=recipient)
                _send(booking, event, audience, recipient, subject)
        except IntegrityError:
            continue  # already sent by an earlier run
        sent += 1
    return sent


SUBJECT_MAX_LENGTH = 200


def email_subject(template: str, **values: str) -> str:
    """A subject line built from stored text that no stored text can break.

    Every run of whitespace in the result, line breaks included (str.split knows them
    all, Unicode ones too), becomes one space. Django refuses a header holding a line
    break (BadHeaderError), so one title stored before titles were checked would
    otherwise stop every email about its bookings.
    """
    return " ".join(template.format(**values).split())[:SUBJECT_MAX_LENGTH]


def _send(booking: Booking, event: str, audience: str, recipient, subject: str) -> None:
    zone = ZoneInfo(recipient.time_zone if audience == "customer" else booking.vendor.time_zone)
    local_start = booking.starts_at.astimezone(zone)
    context = {
        "booking": booking,
        "event": event,
        "audience": audience,
        "recipient": recipient,
        "local_start": local_start,
        "local_proposed": booking.proposed_starts_at and booking.proposed_starts_at.astimezone(zone),
        "site_url": settings.SITE_URL,
        "site_name": settings.SITE_NAME,
        "money": money_outlook(booking, audience=audience),
    }
    message = EmailMessage(
        subject=email_subject(
            subject,
            service=booking.service.title,
            when=f"{local_start:%a %d %b %Y, %H:%M}",
            reference=booking.reference,
            business=booking.vendor.business_name,
        ),
        body=render_to_string("notifications/booking_email.txt", context),
        to=[recipient.email],
    )
    if event in WITH_CALENDAR_FILE:
        ics = booking_ics(
            booking, site_url=settings.SITE_URL, audience="customer" if audience == "customer" else "organizer"
        )
        message.attach(f"{booking.reference}.ics", ics, "text/calendar")
    message.send()


# --- Disputes -----------------------------------------------------------------------------------

# step -> (who hears about it: "opener", "respondent", or both; subject)
DISPUTE_MESSAGES = {
    "opened": (("respondent", "opener"), "Dispute opened: {service} ({reference})"),
    "answered": (("opener",), "Your dispute was answered: {reference}"),
    "reminder": (("respondent",), "Please answer the dispute about {reference}"),
    "escalated": (("opener", "respondent"), "Our support team is reviewing the dispute about {reference}"),
    "withdrawn": (("respondent",), "Dispute withdrawn: {reference}"),
    "resolved": (("opener", "respondent"), "Dispute decided: {reference}"),
}


def send_dispute_notification(dispute_id: int, step: str) -> int:
    """Tell each side of a dispute about one of its steps: one notification event per person and step."""
    if step not in DISPUTE_MESSAGES:
        raise ValueError(f"unknown dispute step {step!r}")
    dispute = (
        Dispute.objects.select_related("booking__service", "booking__vendor__user", "booking__customer")
        .filter(pk=dispute_id)
        .first()
    )
    if dispute is None:
        return 0
    booking = dispute.booking
    sides = {"customer": booking.customer, "organizer": booking.vendor.user}
    roles = {"opener": dispute.opened_by_side, "respondent": dispute.responding_side}
    audiences, subject = DISPUTE_MESSAGES[step]
    for audience in audiences:
        side = roles[audience]
        recipient = sides[side]
        zone = ZoneInfo(recipient.time_zone if side == "customer" else booking.vendor.time_zone)
        notify(
            kind=f"dispute.{step}",
            recipient=recipient,
            key=f"dispute:{dispute.pk}:{step}:user:{recipient.pk}",
            subject=email_subject(subject, service=booking.service.title, reference=booking.reference),
            template="notifications/dispute.txt",
            context={
                "dispute": dispute,
                "booking": booking,
                "step": step,
                "audience": audience,
                "side": side,
                "respond_by": dispute.respond_by.astimezone(zone),
            },
            link=f"/account/bookings/{booking.pk}/" if side == "customer" else f"/vendor/bookings/{booking.pk}/",
        )
    return len(audiences)


# --- Organizers: their account and their payouts -------------------------------------------------------

# An audit action about an organizer -> (subject, template, where to act): one event per audit entry.
VENDOR_EVENTS = {
    "vendor.verified": ("You are verified: your services can be booked", "verification.txt", "/vendor/"),
    "vendor.rejected": ("Your organizer profile was not accepted", "verification.txt", "/vendor/profile/"),
    "vendor.suspended": ("Your organizer account is suspended", "verification.txt", "/vendor/"),
    "vendor.reinstated": ("Your organizer account is active again", "verification.txt", "/vendor/"),
    "vendor.new_bookings_paused": (
        "You are not taking new bookings: your payout account needs information",
        "new_bookings.txt",
        "/vendor/payouts/",
    ),
    "vendor.new_bookings_resumed": ("You are taking new bookings again", "new_bookings.txt", "/vendor/payouts/"),
}


def send_vendor_notification(vendor_id: int, entry_id: int) -> int:
    """Tell the organizer what happened to their account: a verification decision, new bookings paused or resumed.

    One event per audit entry, so each decision or pause is told once however often the job runs.
    """
    entry = AuditLogEntry.objects.filter(pk=entry_id, action__in=list(VENDOR_EVENTS)).first()
    vendor = Vendor.objects.select_related("user").filter(pk=vendor_id).first()
    if entry is None or vendor is None:
        return 0
    subject, template, link = VENDOR_EVENTS[entry.action]
    notify(
        kind=entry.action,
        recipient=vendor.user,
        key=f"vendor:{entry.pk}",
        subject=subject,
        template=f"notifications/{template}",
        context={
            "vendor": vendor,
            "decision": entry.action,
            "paused": entry.action == "vendor.new_bookings_paused",
            "reason": entry.reason,
        },
        link=link,
    )
    return 1


# What the customer of a suspended organizer's booking is told, by what SUSPENSION_RULE did to it.
SUSPENSION_SUBJECTS = {
    BookingStatus.CANCELLED: "Cancelled and refunded in full: {service} on {when}",
    BookingStatus.DECLINED: "Your request for {service} was declined",
}


def send_booking_suspension_notification(booking_id: int) -> int:
    """Tell the customer their booking was cancelled (or request declined) because the organizer was suspended.

    In the customer's words (``bookings.policy.SUSPENSION_CUSTOMER_REASON``), never the
    admins' reason for the suspension; with what they get back. One event per booking.
    """
    booking = (
        Booking.objects.select_related("service", "vendor", "customer", "transaction").filter(pk=booking_id).first()
    )
    if booking is None or booking.status not in SUSPENSION_SUBJECTS:
        return 0
    customer = booking.customer
    local_start = booking.starts_at.astimezone(ZoneInfo(customer.time_zone))
    notify(
        kind=f"booking.{booking.status}_organizer_suspended",
        recipient=customer,
        key=f"booking:{booking.pk}:organizer_suspended:user:{customer.pk}",
        subject=email_subject(
            SUSPENSION_SUBJECTS[booking.status],
            service=booking.service.title,
            when=f"{local_start:%a %d %b %Y, %H:%M}",
        ),
        template="notifications/organizer_suspended_booking.txt",
        context={"booking": booking, "local_start": local_start, "payment": payment_of(booking)},
        link=f"/account/bookings/{booking.pk}/",
    )
    return 1


# audit action on a document -> (subject, link); the body is notifications/vendor_document.txt
DOCUMENT_EVENTS = {
    "vendor_document.accepted": ("Your {kind} was accepted", "/vendor/documents/"),
    "vendor_document.rejected": ("Your {kind} was not accepted", "/vendor/documents/"),
    "vendor_document.reminder_sent": ("Your {kind} expires on {expires_on}: upload the renewal", "/vendor/documents/"),
    "vendor_document.expired": ("Your {kind} has expired", "/vendor/documents/"),
}


def send_vendor_document_notification(document_id: int, entry_id: int) -> int:
    """Tell the organizer what happened to one of their documents: accepted, rejected (with the reason),
    about to expire, expired (and whether their services are hidden).

    One event per audit entry, so each is told once however often the job runs.
    """
    entry = AuditLogEntry.objects.filter(pk=entry_id, action__in=list(DOCUMENT_EVENTS)).first()
    document = VendorDocument.objects.select_related("vendor__user").filter(pk=document_id).first()
    if entry is None or document is None:
        return 0
    subject, link = DOCUMENT_EVENTS[entry.action]
    kind = document.get_kind_display().lower()
    expires_on = f"{document.expires_on:%d %b %Y}" if document.expires_on else ""
    notify(
        kind=entry.action,
        recipient=document.vendor.user,
        key=f"vendor_document:{entry.pk}",
        subject=email_subject(subject, kind=kind, expires_on=expires_on),
        template="notifications/vendor_document.txt",
        context={
            "document": document,
            "vendor": document.vendor,
            "event": entry.action.removeprefix("vendor_document."),
            "reason": entry.reason,
            "expires_on": expires_on,
            "services_hidden": bool(entry.data.get("services_hidden")),
            "services_restored": bool(entry.data.get("services_restored")),
        },
        link=link,
    )
    return 1


PAYOUT_SUBJECTS = {
    "sent": "Payout sent: {amount} for {reference}",
    "failed": "Your payout for {reference} could not be sent",
    "waiting": "Your payout of {amount} waits for your payout account",
}


def send_payout_notifications(payout_ids: list[int], outcome: str) -> int:
    """Tell each organizer a payout went out (or failed): one event per payout and outcome."""
    if outcome not in PAYOUT_SUBJECTS:
        raise ValueError(f"unknown payout outcome {outcome!r}")
    payouts = Payout.objects.select_related("vendor__user", "booking").filter(pk__in=payout_ids)
    for payout in payouts:
        notify(
            kind=f"payout.{outcome}",
            recipient=payout.vendor.user,
            key=f"payout:{payout.pk}:{outcome}",
            subject=email_subject(
                PAYOUT_SUBJECTS[outcome], amount=str(payout.amount), reference=payout.booking.reference
            ),
            template="notifications/payout.txt",
            context={"payout": payout, "outcome": outcome},
            link="/vendor/payouts/" if outcome == "waiting" else "/vendor/",
        )
    return len(payouts)
