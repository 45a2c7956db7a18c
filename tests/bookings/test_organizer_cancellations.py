"""Cancellations counted against an organizer: only the ones the organizer made, recent and in total."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from marketplace.bookings.selectors import OrganizerCancellations, booking_cancellations_by_organizer
from marketplace.bookings.services import booking_cancel
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.factories.bookings import paid_booking, request_booking

pytestmark = pytest.mark.django_db


def _cancelled(*, by, customer, service, days_ahead: int):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=days_ahead))
    return booking_cancel(user=by, booking_id=booking.pk, reason="Called off")


def test_an_organizer_without_cancellations_has_none_against_them(vendor):
    assert booking_cancellations_by_organizer(vendor=vendor) == OrganizerCancellations(recent=0, total=0)


def test_only_the_organizers_own_cancellations_count_and_recent_means_the_last_12_months(
    customer, admin_user, service, other_vendor
):
    organizer = service.vendor.user
    # given one cancellation by the organizer 13 months ago...
    with time_machine.travel(timezone.now() - timedelta(days=400)):
        _cancelled(by=organizer, customer=customer, service=service, days_ahead=3)
    # ...and two this month, one of them of a paid booking
    _cancelled(by=organizer, customer=customer, service=service, days_ahead=3)
    paid = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=4))
    booking_cancel(user=organizer, booking_id=paid.pk, reason="Sick")
    # and cancellations that are not the organizer's: the customer's, an admin's, another organizer's
    _cancelled(by=customer, customer=customer, service=service, days_ahead=5)
    _cancelled(by=admin_user, customer=customer, service=service, days_ahead=6)
    other_service = ServiceFactory(vendor=other_vendor, category=service.category)
    _cancelled(by=other_vendor.user, customer=customer, service=other_service, days_ahead=3)

    counted = booking_cancellations_by_organizer(vendor=service.vendor)

    assert counted == OrganizerCancellations(recent=2, total=3)
    assert booking_cancellations_by_organizer(vendor=other_vendor) == OrganizerCancellations(recent=1, total=1)


def test_a_cancellation_leaves_the_recent_count_a_year_later(customer, service):
    _cancelled(by=service.vendor.user, customer=customer, service=service, days_ahead=3)

    a_year_later = timezone.now() + timedelta(days=366)

    assert booking_cancellations_by_organizer(vendor=service.vendor, now=a_year_later) == OrganizerCancellations(
        recent=0, total=1
    )
