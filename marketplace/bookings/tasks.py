"""Periodic sweeps (django-q2 schedules, see migration bookings 0004). Each is safe to run twice."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import Booking, BookingStatus
from .services import booking_complete_automatically, booking_expire


def expire_stale_requests() -> int:
    """Expire requests that were not paid or answered in time; refunds any payment."""
    cutoff = timezone.now() - timedelta(minutes=settings.BOOKING_PAYMENT_WINDOW_MINUTES)
    candidates = Booking.objects.filter(status=BookingStatus.REQUESTED, created_at__lte=cutoff).values_list(
        "pk", flat=True
    )
    candidates = list(candidates) + list(
        Booking.objects.filter(status=BookingStatus.REQUESTED, starts_at__lte=timezone.now()).values_list(
            "pk", flat=True
        )
    )
    return sum(1 for pk in set(candidates) if booking_expire(booking_id=pk) is not None)


def complete_due_bookings() -> int:
    """Complete confirmed bookings whose release timer ran out (no dispute open)."""
    cutoff = timezone.now() - timedelta(days=settings.ESCROW_AUTO_RELEASE_DAYS)
    due = Booking.objects.filter(status=BookingStatus.CONFIRMED, ends_at__lte=cutoff).values_list("pk", flat=True)
    return sum(1 for pk in list(due) if booking_complete_automatically(booking_id=pk) is not None)
