"""Reads for bookings, always scoped to what the user may see."""

from datetime import datetime

from django.db.models import QuerySet

from marketplace.accounts.models import User
from marketplace.core.audit import audit_log_for
from marketplace.core.errors import NotFound
from marketplace.core.models import AuditLogEntry

from .models import ACTIVE_STATUSES, Booking

_RELATED = ("service__category", "vendor__user", "customer", "transaction", "review")


def booking_list_for_user(*, user: User, status: str | None = None) -> QuerySet[Booking]:
    """A customer's own bookings; an organizer's bookings with them; everything for an admin."""
    bookings = Booking.objects.select_related(*_RELATED)
    if user.is_platform_admin:
        pass
    elif user.is_vendor:
        bookings = bookings.filter(vendor__user=user)
    else:
        bookings = bookings.filter(customer=user)
    if status:
        bookings = bookings.filter(status=status)
    return bookings.order_by("-starts_at", "-id")


def booking_get_for_user(*, user: User, booking_id: int) -> Booking:
    """One booking the user may see. Others' bookings are reported as not found."""
    booking = booking_list_for_user(user=user).filter(pk=booking_id).first()
    if booking is None:
        raise NotFound("Booking not found.")
    return booking


def busy_ranges_for_vendor(*, vendor_id: int, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    return list(
        Booking.objects.filter(
            vendor_id=vendor_id, status__in=ACTIVE_STATUSES, starts_at__lt=end, busy_until__gt=start
        ).values_list("starts_at", "busy_until")
    )


# --- Back office (platform admins) -----------------------------------------------------


def booking_list_for_backoffice() -> QuerySet[Booking]:
    """Every booking with what a listing shows, latest appointment first."""
    return Booking.objects.select_related(*_RELATED).order_by("-starts_at", "-id")


def booking_audit_trail(*, booking: Booking) -> QuerySet[AuditLogEntry]:
    """Everything logged about a booking and its payment, oldest first."""
    entries = audit_log_for(booking)
    payment = getattr(booking, "transaction", None)
    if payment is not None:
        entries = entries | audit_log_for(payment)
    return entries.select_related("actor").order_by("created_at", "id")
