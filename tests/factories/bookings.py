"""Bookings in a given state, made through the domain services (never by writing rows).

Each helper runs the real transitions, so the ledger, the audit log and the
notifications are exactly what production would have written. Bookings whose time
has come are made by travelling back to before they started.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import time_machine

from marketplace.bookings import services as bookings
from marketplace.bookings.models import Booking


def request_booking(*, customer, service, starts_at: datetime, duration_minutes: int | None = None) -> Booking:
    return bookings.booking_request(
        customer=customer,
        service_id=service.pk,
        starts_at=starts_at,
        address="12 Elm St, Brooklyn, NY",
        duration_minutes=duration_minutes,
    )


def paid_booking(*, customer, service, starts_at: datetime, payment_method: str = "pm_card_visa") -> Booking:
    """Requested and paid: confirmed for an instant service, waiting for the vendor otherwise."""
    booking = request_booking(customer=customer, service=service, starts_at=starts_at)
    return bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method=payment_method).booking


def past_paid_booking(*, customer, service, starts_at: datetime, booked_days_before: int = 3) -> Booking:
    """A paid booking whose time may already have passed: it was made days before it started."""
    with time_machine.travel(starts_at - timedelta(days=booked_days_before)):
        booking = paid_booking(customer=customer, service=service, starts_at=starts_at)
        if booking.status == "requested":
            booking = bookings.booking_accept(vendor_user=service.vendor.user, booking_id=booking.pk)
    return booking


def completed_booking(*, customer, service, starts_at: datetime) -> Booking:
    """Paid, confirmed, and confirmed as done by the customer just after the work ended."""
    booking = past_paid_booking(customer=customer, service=service, starts_at=starts_at)
    with time_machine.travel(booking.ends_at + timedelta(minutes=5)):
        return bookings.booking_confirm_completion(customer=customer, booking_id=booking.pk)
