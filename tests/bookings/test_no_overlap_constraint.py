"""No two active bookings of one vendor overlap: the database itself refuses it on PostgreSQL,
and on both databases a closed booking frees its slot."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from marketplace.bookings.models import Booking, BookingStatus
from tests.conftest import local_slot
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

CLOSED_STATUSES = [BookingStatus.CANCELLED, BookingStatus.DECLINED, BookingStatus.EXPIRED, BookingStatus.REFUNDED]


def _raw_booking(customer, service, starts_at, *, status=BookingStatus.REQUESTED, buffer_minutes=0) -> Booking:
    """Insert a row directly, past every check the booking service makes."""
    ends_at = starts_at + timedelta(hours=3)
    return Booking.objects.create(
        customer=customer,
        vendor=service.vendor,
        service=service,
        status=status,
        starts_at=starts_at,
        ends_at=ends_at,
        busy_from=starts_at,
        busy_until=ends_at + timedelta(minutes=buffer_minutes),
        price_minor=30000,
        currency="USD",
        address="1 Main St",
    )


@pytest.mark.postgres
@pytest.mark.parametrize("status", [BookingStatus.REQUESTED, BookingStatus.CONFIRMED, BookingStatus.COMPLETED])
def test_postgres_refuses_an_overlapping_active_booking_written_directly(customer, service, status):
    starts_at = local_slot(days_ahead=3)
    _raw_booking(customer, service, starts_at, status=BookingStatus.CONFIRMED)

    with pytest.raises(IntegrityError, match="booking_no_overlap_per_vendor"), transaction.atomic():
        _raw_booking(customer, service, starts_at + timedelta(hours=2, minutes=59), status=status)

    assert Booking.objects.count() == 1


@pytest.mark.postgres
def test_postgres_counts_the_buffer_as_busy(customer, service):
    starts_at = local_slot(days_ahead=3)
    _raw_booking(customer, service, starts_at, buffer_minutes=30)  # busy until 13:30

    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_booking(customer, service, starts_at + timedelta(hours=3, minutes=15))
    _raw_booking(customer, service, starts_at + timedelta(hours=3, minutes=30))  # touching is fine: [start, end)

    assert Booking.objects.count() == 2


@pytest.mark.postgres
def test_postgres_lets_two_vendors_take_the_same_time(customer, service, other_vendor):
    starts_at = local_slot(days_ahead=3)
    _raw_booking(customer, service, starts_at)

    _raw_booking(customer, ServiceFactory(vendor=other_vendor, category=service.category), starts_at)

    assert Booking.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.parametrize("status", CLOSED_STATUSES)
def test_postgres_ignores_closed_bookings(customer, service, status):
    starts_at = local_slot(days_ahead=3)
    _raw_booking(customer, service, starts_at, status=status)

    _raw_booking(customer, service, starts_at)

    assert Booking.objects.count() == 2


@pytest.mark.parametrize("status", CLOSED_STATUSES)
def test_a_closed_booking_does_not_block_its_slot(api, customer, service, status):
    starts_at = local_slot(days_ahead=3)
    _raw_booking(customer, service, starts_at, status=status)

    response = api.as_user(customer).post(
        "bookings", {"service_id": service.pk, "starts_at": starts_at.isoformat(), "address": "1 Main St"}
    )

    assert response.status_code == 201, response.content
    assert Booking.objects.filter(status="requested").count() == 1


@pytest.mark.parametrize("status", [BookingStatus.REQUESTED, BookingStatus.CONFIRMED, BookingStatus.DISPUTED])
def test_an_active_booking_blocks_its_slot(api, customer, service, status):
    starts_at = local_slot(days_ahead=3)
    _raw_booking(customer, service, starts_at, status=status)

    response = api.as_user(customer).post(
        "bookings", {"service_id": service.pk, "starts_at": starts_at.isoformat(), "address": "1 Main St"}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
