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

from marketplace.core.jobs import enqueue
from marketplace.core.models import AuditLogEntry

from .models import Booking, BookingStatus
from .selectors import booking_ids_for_suspension
from .services import booking_close_for_suspension, booking_complete_automatically, booking_expire

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


class SuspensionIncomplete(RuntimeError):
    """Some bookings of a suspended organizer could not be closed this run (logged); a retry finishes them."""


# Bookings one run of the suspension job closes (each calls the gateway once, after its commit), well
# inside the worker's timeout; the next run is queued for the rest.
SUSPENSION_BATCH_SIZE = 20


def bookings_close_for_suspended_vendor(vendor_id: int, entry_id: int, after_booking_id: int = 0) -> int:
    """Queued by ``vendor_verify`` when an admin suspends an organizer: applies SUSPENSION_RULE to their bookings.

    ``entry_id`` is the suspension's audit entry (its admin is the actor of every
    cancellation). One transaction per booking (``booking_close_for_suspension``); safe to
    run twice, since a booking already cancelled or declined is left alone, and it changes
    nothing once the organizer has been reinstated. It takes ``SUSPENSION_BATCH_SIZE``
    bookings by id after ``after_booking_id`` and queues itself for the next ones. A
    booking that fails is logged and the others go on; the run then raises, so the failure
    shows in the job's results and the broker's retry finishes it. Returns how many
    bookings this run cancelled or declined.
    """
    suspension = AuditLogEntry.objects.select_related("actor").filter(pk=entry_id, action="vendor.suspended").first()
    if suspension is None:
        return 0
    candidates = booking_ids_for_suspension(vendor_id=vendor_id, after_booking_id=after_booking_id)
    batch = candidates[:SUSPENSION_BATCH_SIZE]
    if len(candidates) > len(batch):
        enqueue("marketplace.bookings.tasks.bookings_close_for_suspended_vendor", vendor_id, entry_id, batch[-1])
    failed = []
    changed = 0
    for booking_id in batch:
        try:
            if booking_close_for_suspension(booking_id=booking_id, suspension=suspension) is not None:
                changed += 1
        except Exception:
            logger.exception("closing booking %s of suspended vendor %s failed", booking_id, vendor_id)
            failed.append(booking_id)
    if failed:
        raise SuspensionIncomplete(f"bookings {failed} of suspended vendor {vendor_id} are left for a retry")
    return changed


def refresh_search_next_available() -> int:
    """Work out again the next available times in the search index that are stale (every 5 minutes).

    A search works out a stale one for the results it shows (``bookings.search``); this keeps
    the rest fresh, so the "soonest" order and the "free on" prefilter read recent values.
    """
    from .search import search_next_available_refresh

    return search_next_available_refresh()
