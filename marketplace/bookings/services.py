"""The booking lifecycle: one function per transition.

Each opens a transaction, locks the booking row, checks the move against
BOOKING_TRANSITIONS and the actor's right to make it, changes the booking and its
money together, writes the audit log, and queues notifications. A refused move
raises a DomainError and changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.availability.selectors import earliest_bookable_start, is_within_availability
from marketplace.bookings.errors import (
    AwaitingPayment,
    BookingStarted,
    CustomersOnly,
    NotStarted,
    OutsideAvailability,
    SlotUnavailable,
)
from marketplace.catalog.errors import ServiceNotFound
from marketplace.catalog.models import PricingModel, Service
from marketplace.core.audit import audit_log
from marketplace.core.errors import InvalidTransition, NotFound, ValidationFailed
from marketplace.core.jobs import enqueue
from marketplace.core.money import divide_round_half_up
from marketplace.payments import services as payments
from marketplace.payments.errors import AlreadyPaid
from marketplace.vendors.errors import VendorUnavailable
from marketplace.vendors.models import Vendor

from .models import ACTIVE_STATUSES, Booking, BookingStatus

MAX_HOURLY_MINUTES = 12 * 60
START_GRANULARITY_MINUTES = 15

TRANSITION_WORDS = {
    BookingStatus.CONFIRMED: "confirmed",
    BookingStatus.COMPLETED: "completed",
    BookingStatus.DECLINED: "declined",
    BookingStatus.EXPIRED: "expired",
    BookingStatus.CANCELLED: "cancelled",
    BookingStatus.DISPUTED: "disputed",
    BookingStatus.REFUNDED: "refunded",
}


def _notify(booking: Booking, event: str) -> None:
    enqueue("marketplace.notifications.tasks.send_booking_notification", booking.pk, event)


def _lock(booking_id: int) -> Booking:
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("service__category", "vendor__user", "customer")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        raise NotFound("Booking not found.")
    return booking


def _move(booking: Booking, to_status: str, *, actor: User | None, reason: str = "", **fields) -> None:
    """Apply one transition from BOOKING_TRANSITIONS and log it."""
    if not booking.can_transition_to(to_status):
        raise InvalidTransition(
            f"This booking is {booking.get_status_display().lower()} and cannot be {TRANSITION_WORDS[to_status]}.",
        )
    previous = booking.status
    booking.status = to_status
    for name, value in fields.items():
        setattr(booking, name, value)
    booking.save(update_fields=["status", "updated_at", *fields])
    audit_log(
        actor=actor,
        action=f"booking.{to_status}",
        target=booking,
        reason=reason,
        data={"from": previous, "to": to_status},
    )


def _as_customer(booking: Booking, user: User) -> None:
    if booking.customer_id != user.pk:
        raise NotFound("Booking not found.")  # other people's bookings do not exist for you


def _as_vendor(booking: Booking, user: User) -> None:
    if booking.vendor.user_id != user.pk:
        raise NotFound("Booking not found.")


def _require_vendor_taking_bookings(booking: Booking) -> None:
    """A suspended (or no longer verified) organizer takes no new bookings, so open requests stall."""
    if not booking.vendor.is_verified:
        raise VendorUnavailable("This organizer is not taking bookings at the moment.")


def booking_price_minor(*, service: Service, duration_minutes: int) -> int | None:
    """Fixed: the price. Hourly: rate x hours, rounded half-up to the cent. Quote: not yet known."""
    if service.pricing_model == PricingModel.FIXED:
        return service.base_price_minor
    if service.pricing_model == PricingModel.HOURLY:
        return divide_round_half_up(service.base_price_minor * duration_minutes, 60)
    return None


def _validate_times(
    *, service: Service, vendor: Vendor, starts_at: datetime, duration_minutes: int | None
) -> tuple[datetime, int]:
    if timezone.is_naive(starts_at):
        raise ValidationFailed(
            "starts_at must include a time zone offset, e.g. 2026-12-01T10:00:00-05:00.", field="starts_at"
        )
    if service.pricing_model == PricingModel.HOURLY:
        duration = duration_minutes or service.duration_minutes
        if duration < service.duration_minutes or duration > MAX_HOURLY_MINUTES or duration % 30:
            raise ValidationFailed(
                f"duration_minutes must be a multiple of 30 "
                f"between {service.duration_minutes} and {MAX_HOURLY_MINUTES}.",
                field="duration_minutes",
            )
    else:
        if duration_minutes not in (None, service.duration_minutes):
            raise ValidationFailed(
                f"This service has a set length of {service.duration_minutes} minutes.", field="duration_minutes"
            )
        duration = service.duration_minutes
    # The range checks come first: a time far outside it (year 1, year 9999) cannot even
    # be converted to the vendor's time zone without overflowing.
    if starts_at < timezone.now():
        raise ValidationFailed("That time is in the past.", field="starts_at")
    if starts_at < earliest_bookable_start():
        raise ValidationFailed(f"Bookings need at least {_notice_text()} notice.", field="starts_at")
    if starts_at > timezone.now() + timedelta(days=settings.BOOKING_HORIZON_DAYS):
        raise ValidationFailed(
            f"Bookings can be made up to {settings.BOOKING_HORIZON_DAYS} days ahead.", field="starts_at"
        )
    local = starts_at.astimezone(ZoneInfo(vendor.time_zone))
    if local.second or local.microsecond or local.minute % START_GRANULARITY_MINUTES:
        raise ValidationFailed("Bookings start on the quarter hour (e.g. 10:00, 10:15).", field="starts_at")
    return starts_at, duration


def _notice_text() -> str:
    """The minimum notice in words: '2 hours', '90 minutes', '1 hour'."""
    minutes = settings.BOOKING_MIN_NOTICE_MINUTES
    if minutes % 60:
        return f"{minutes} minutes'"
    hours = minutes // 60
    return "1 hour's" if hours == 1 else f"{hours} hours'"


def booking_request(
    *,
    customer: User,
    service_id: int,
    starts_at: datetime,
    address: str,
    duration_minutes: int | None = None,
    note: str = "",
) -> Booking:
    """A customer asks for a service at a time.

    The time must lie inside the vendor's availability and overlap none of the
    vendor's active bookings (including the vendor's buffer after each). The slot
    is held while the request is open; an unpaid request expires after the payment
    window.
    """
    if not customer.is_customer:
        raise CustomersOnly("Only customer accounts can book services.")
    address = (address or "").strip()
    if not address:
        raise ValidationFailed("The address where the work takes place is required.", field="address")
    if len(address) > 255:
        raise ValidationFailed("The address must be at most 255 characters.", field="address")
    if len(note or "") > 2000:
        raise ValidationFailed("The note must be at most 2000 characters.", field="note")
    with transaction.atomic():
        service = Service.objects.select_related("vendor", "category").filter(pk=service_id).first()
        if service is None or not service.is_bookable:
            raise ServiceNotFound("Service not found or not taking bookings.")
        # Serialize bookings of one vendor (PostgreSQL); SQLite's IMMEDIATE transaction already does.
        vendor = Vendor.objects.select_for_update().get(pk=service.vendor_id)
        starts_at, duration = _validate_times(
            service=service, vendor=vendor, starts_at=starts_at, duration_minutes=duration_minutes
        )
        ends_at = starts_at + timedelta(minutes=duration)
        busy_until = ends_at + timedelta(minutes=vendor.buffer_minutes)
        if not is_within_availability(vendor=vendor, starts_at=starts_at, ends_at=ends_at):
            raise OutsideAvailability("The organizer is not available at that time.")
        if Booking.objects.filter(
            vendor=vendor, status__in=ACTIVE_STATUSES, starts_at__lt=busy_until, busy_until__gt=starts_at
        ).exists():
            raise SlotUnavailable("That time is already booked. Please choose another slot.")
        try:
            with transaction.atomic():
                booking = Booking.objects.create(
                    customer=customer,
                    vendor=vendor,
                    service=service,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    busy_until=busy_until,
                    price_minor=booking_price_minor(service=service, duration_minutes=duration),
                    currency=service.currency,
                    address=address,
                    customer_note=(note or "").strip(),
                )
        except IntegrityError:
            # The PostgreSQL exclusion constraint caught a concurrent booking.
            raise SlotUnavailable("That time is already booked. Please choose another slot.") from None
        audit_log(actor=customer, action="booking.requested", target=booking)
        _notify(booking, "requested")
    return booking


def booking_quote(*, vendor_user: User, booking_id: int, price_minor: int, note: str = "") -> Booking:
    """The organizer prices a quote request. Paying the quote confirms the booking."""
    if not 0 < price_minor <= 10_000_000:
        raise ValidationFailed("The quote must be above zero and at most 100,000.00.", field="price_minor")
    with transaction.atomic():
        booking = _lock(booking_id)
        _as_vendor(booking, vendor_user)
        if booking.status != BookingStatus.REQUESTED or booking.service.pricing_model != PricingModel.QUOTE:
            raise InvalidTransition("Only an open quote request can be quoted.")
        if hasattr(booking, "transaction"):
            raise AlreadyPaid("The customer has already paid this quote.")
        booking.price_minor = price_minor
        booking.vendor_note = (note or "").strip()
        booking.quoted_at = timezone.now()
        booking.save(update_fields=["price_minor", "vendor_note", "quoted_at", "updated_at"])
        audit_log(actor=vendor_user, action="booking.quoted", target=booking, data={"price_minor": price_minor})
        _notify(booking, "quoted")
    return booking


def booking_pay(*, customer: User, booking_id: int, payment_method: str) -> Booking:
    """The customer pays the full price into escrow.

    An instantly bookable service, or a quote the organizer already priced, is
    confirmed by the payment; otherwise the request waits for the organizer.
    """
    with transaction.atomic():
        booking = _lock(booking_id)
        _as_customer(booking, customer)
        if booking.status != BookingStatus.REQUESTED:
            raise InvalidTransition(f"This booking is {booking.get_status_display().lower()} and cannot be paid.")
        if booking.starts_at <= timezone.now():
            raise BookingStarted("This booking's time has passed.")
        _require_vendor_taking_bookings(booking)
        payments.escrow_capture(booking=booking, payment_method=payment_method)
        if booking.service.instant_booking or booking.quoted_at is not None:
            _move(booking, BookingStatus.CONFIRMED, actor=customer, confirmed_at=timezone.now())
            _notify(booking, "confirmed")
        else:
            _notify(booking, "paid")
    return booking


def booking_accept(*, vendor_user: User, booking_id: int, note: str = "") -> Booking:
    with transaction.atomic():
        booking = _lock(booking_id)
        _as_vendor(booking, vendor_user)
        if booking.status == BookingStatus.REQUESTED and not hasattr(booking, "transaction"):
            raise AwaitingPayment("The customer has not paid yet; you can accept once payment is held.")
        if booking.status == BookingStatus.REQUESTED:
            if booking.starts_at <= timezone.now():
                # The request expired at its start (booking_expire refunds it); too late to accept.
                raise BookingStarted("This booking's time has passed.")
            _require_vendor_taking_bookings(booking)
        fields = {"vendor_note": note.strip()} if note and note.strip() else {}
        _move(booking, BookingStatus.CONFIRMED, actor=vendor_user, confirmed_at=timezone.now(), **fields)
        _notify(booking, "confirmed")
    return booking


def _close(booking: Booking, to_status: str, *, actor: User | None, reason: str) -> Booking:
    """Decline, expire or cancel: free the slot and refund any held payment in full."""
    _move(booking, to_status, actor=actor, reason=reason, closed_at=timezone.now(), close_reason=reason)
    payments.escrow_refund(booking=booking, actor=actor, reason=reason)
    _notify(booking, to_status)
    return booking


def booking_decline(*, vendor_user: User, booking_id: int, reason: str) -> Booking:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Tell the customer why you decline.", field="reason")
    with transaction.atomic():
        booking = _lock(booking_id)
        _as_vendor(booking, vendor_user)
        return _close(booking, BookingStatus.DECLINED, actor=vendor_user, reason=reason)


def booking_cancel(*, user: User, booking_id: int, reason: str = "") -> Booking:
    """The customer or the organizer calls a booking off before it starts; payment is refunded in full."""
    with transaction.atomic():
        booking = _lock(booking_id)
        is_admin = user.is_platform_admin
        if booking.customer_id != user.pk and booking.vendor.user_id != user.pk and not is_admin:
            raise NotFound("Booking not found.")
        if booking.starts_at <= timezone.now() and not is_admin:
            raise BookingStarted("This booking has already started and can no longer be cancelled.")
        return _close(booking, BookingStatus.CANCELLED, actor=user, reason=(reason or "").strip() or "Cancelled")


def _complete(booking: Booking, *, actor: User | None, reason: str = "") -> Booking:
    _move(booking, BookingStatus.COMPLETED, actor=actor, reason=reason, completed_at=timezone.now())
    txn = payments.escrow_settle_on_completion(booking=booking)
    if not txn.payout_needs_approval:
        enqueue("marketplace.payments.tasks.release_payout", booking.pk)
    _notify(booking, "completed")
    return booking


def booking_confirm_completion(*, customer: User, booking_id: int) -> Booking:
    """The customer confirms the work was done: escrow is released to the organizer."""
    with transaction.atomic():
        booking = _lock(booking_id)
        _as_customer(booking, customer)
        if booking.status == BookingStatus.CONFIRMED and booking.starts_at > timezone.now():
            raise NotStarted("You can confirm the work once the appointment has started.")
        return _complete(booking, actor=customer)


def booking_complete_automatically(*, booking_id: int) -> Booking | None:
    """The release timer: complete a confirmed booking N days after it ended. Safe to run twice."""
    with transaction.atomic():
        booking = _lock(booking_id)
        due = booking.ends_at + timedelta(days=settings.ESCROW_AUTO_RELEASE_DAYS)
        if booking.status != BookingStatus.CONFIRMED or due > timezone.now():
            return None
        return _complete(
            booking, actor=None, reason=f"Automatic release {settings.ESCROW_AUTO_RELEASE_DAYS} days after the work"
        )


def booking_expire(*, booking_id: int) -> Booking | None:
    """Expire a request that was not paid, or not answered, in time. Safe to run twice."""
    with transaction.atomic():
        booking = _lock(booking_id)
        if booking.status != BookingStatus.REQUESTED:
            return None
        response_window = timedelta(hours=settings.BOOKING_RESPONSE_WINDOW_HOURS)
        if hasattr(booking, "transaction"):
            deadline, reason = booking.created_at + response_window, "The organizer did not answer in time."
        elif booking.service.pricing_model == PricingModel.QUOTE and booking.quoted_at is None:
            deadline, reason = booking.created_at + response_window, "The organizer did not send a quote in time."
        elif booking.quoted_at is not None:
            deadline, reason = booking.quoted_at + response_window, "The quote was not paid in time."
        else:
            deadline = booking.created_at + timedelta(minutes=settings.BOOKING_PAYMENT_WINDOW_MINUTES)
            reason = "The booking was not paid in time."
        now = timezone.now()
        deadline = min(deadline, booking.starts_at)
        if deadline > now:
            return None
        return _close(booking, BookingStatus.EXPIRED, actor=None, reason=reason)
