"""Events stored but not applied (a job lost with its broker, a failure) are applied by a scheduled sweep."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

from marketplace.payments import tasks
from marketplace.payments.models import StripeEvent

from .stripe_events import deliver, stripe_event

pytestmark = pytest.mark.django_db

PAYOUT = {"id": "po_1", "object": "payout", "amount": 700, "currency": "usd", "status": "paid"}


def test_the_sweep_is_scheduled_every_five_minutes():
    schedule = Schedule.objects.get(name="payments: apply pending Stripe events")

    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        "marketplace.payments.tasks.stripe_events_apply_pending",
        Schedule.MINUTES,
        5,
        -1,
    )


def test_an_event_whose_job_was_lost_is_applied_by_the_sweep_once(monkeypatch):
    # given an event stored while its job was lost (a Redis broker restarted before a worker took it)
    monkeypatch.setattr("marketplace.payments.webhooks.enqueue", lambda *args, **kwargs: None)
    event = stripe_event("payout.paid", PAYOUT)
    assert deliver(event).status_code == 200
    assert StripeEvent.objects.get().applied_at is None

    # when the sweep runs: not before the retry delay, then once
    assert tasks.stripe_events_apply_pending() == {}
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.PAYMENTS_RETRY_AFTER_SECONDS + 1)):
        assert tasks.stripe_events_apply_pending() == {"applied": 1}
        assert tasks.stripe_events_apply_pending() == {}

    # then it is applied, once
    stored = StripeEvent.objects.get()
    assert stored.applied_at is not None
    assert stored.attempts == 1
    assert stored.note == "Bank payout po_1 of 700 USD paid."
