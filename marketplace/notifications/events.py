"""Notification events: made once per key, rendered once, delivered once per channel.

``notify`` is what the notification jobs call for anything that is not a booking's own
message (disputes, verification decisions, payouts). It makes the event (or finds the
one a previous run made), then delivers it on each of the recipient's channels that has
not had it yet. Today the one channel is email; the messaging work adds SMS, in-app and
push, and each person's choices, in ``channels_for`` and ``DELIVER``, without touching
the callers.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from marketplace.accounts.models import User

from .models import Delivery, NotificationEvent

SUBJECT_MAX_LENGTH = 200


def one_line(text: str) -> str:
    """Every run of whitespace (line breaks too) as one space: a subject no stored text can break."""
    return " ".join(text.split())[:SUBJECT_MAX_LENGTH]


def _email(event: NotificationEvent) -> None:
    body = f"{event.body}\n\n{settings.SITE_URL}{event.link}\n\n{settings.SITE_NAME}\n" if event.link else event.body
    EmailMessage(subject=event.subject, body=body, to=[event.recipient.email]).send()


# channel -> how an event goes out on it
DELIVER: dict[str, Callable[[NotificationEvent], None]] = {"email": _email}


def channels_for(recipient: User, kind: str) -> list[str]:
    """The channels ``recipient`` hears about ``kind`` on: email, for every active account, for now."""
    return ["email"] if recipient.is_active and recipient.email else []


def notify(
    *, kind: str, recipient: User, key: str, subject: str, template: str, context: dict, link: str = ""
) -> NotificationEvent:
    """Make the event ``key`` (once) and deliver it on every channel that has not had it. Safe to run twice."""
    event = NotificationEvent.objects.filter(key=key).first()
    if event is None:
        body = render_to_string(template, {**context, "recipient": recipient, "site_name": settings.SITE_NAME})
        try:
            with transaction.atomic():
                event = NotificationEvent.objects.create(
                    key=key, kind=kind, recipient=recipient, subject=one_line(subject), body=body.strip(), link=link
                )
        except IntegrityError:  # another run made it a moment ago
            event = NotificationEvent.objects.get(key=key)
    for channel in channels_for(recipient, kind):
        try:
            with transaction.atomic():
                Delivery.objects.create(event=event, channel=channel)
                DELIVER[channel](event)  # a failure rolls the delivery back: the job's retry sends it
        except IntegrityError:
            continue  # delivered by an earlier run
    return event
