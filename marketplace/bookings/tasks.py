"""Periodic sweeps (django-q2 schedules, see migration bookings 0004). Each is safe to run twice.

A sweep handles each booking in its own transaction; one booking that fails is logged
and left for the next run, and does not stop the others.
"""

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import Booking, BookingStatus
from .services import booking_complete_automatically, booking_expire

logger = logging.getLogger(__name__)


def sweep(booking_ids: Iterable[int], step: Callable[..., object], *, name: str) -> int:
    """Run ``step(booking_id=...)`` for each id; count the ones it changed (returned non-None)."""
    changed = 0
    for booking_id in booking_ids:
        try:
            if step(booking_id=booking_id) is not None:
                changed += 1
        except Exception:
            logger.exception("%s failed for booking %s; it will be retried on the next run", name, booking_id)
    return changed


def expire_stale_requests() -> int:
    """Expire requests that were not paid or answered in time; refunds any payment."""
    now = timezone.now()
    cutoff = now - timedelta(minutes=settings.BOOKING_PAYMENT_WINDOW_MINUTES)
    candidates = Booking.objects.filter(
        Q(created_at__lte=cutoff) | Q(starts_at__lte=now), status=BookingStatus.REQUESTED
    ).values_list("pk", flat=True)
    return sweep(list(candidates), booking_expire, name="expire_stale_requests")


def complete_due_bookings() -> int:
    """Complete confirmed bookings whose release timer ran out (no dispute open)."""
    cutoff = timezone.now() - timedelta(days=settings.ESCROW_AUTO_RELEASE_DAYS)
    due = Booking.objects.filter(status=BookingStatus.CONFIRMED, ends_at__lte=cutoff).values_list("pk", flat=True)
    return sweep(list(due), booking_complete_automatically, name="complete_due_bookings")


def booking_payment_settled(booking_id: int) -> None:
    """Queued by the money service with every applied charge: the booking takes the payment into account."""
    from .services import booking_payment_settled as settle

    settle(booking_id=booking_id)
