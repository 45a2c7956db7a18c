"""Fixtures for the back office: people with different rights, and money in each state.

Bookings and payments are made through the domain services, so the ledger and the
audit log hold exactly what production would have written.
"""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.test import Client

from marketplace.bookings import services as bookings
from marketplace.bookings.models import Booking
from marketplace.vendors.models import VerificationStatus
from tests.conftest import local_slot
from tests.factories import AdminFactory, CustomerFactory, VendorFactory, VendorUserFactory


def messages_of(response) -> list[str]:
    return [str(message).strip() for message in get_messages(response.wsgi_request)]


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin_user) -> Client:
    return client_for(admin_user)


@pytest.fixture
def role_admin(db):
    """A platform admin who is neither staff nor superuser: the role alone lets them in."""
    return AdminFactory(email="role-admin@example.com", is_staff=False, is_superuser=False)


@pytest.fixture
def editor(db):
    """A marketing editor: staff in Wagtail's "Editors" group."""
    user = CustomerFactory(email="editor@example.com", role="staff", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def staff_member(email: str, *groups: str):
    """Staff (role "staff") in the named groups, as the demo makes them."""
    user = CustomerFactory(email=email, role="staff", is_staff=True)
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def support(db):
    return staff_member("support@example.com", "Support")


@pytest.fixture
def finance(db):
    return staff_member("finance@example.com", "Finance")


@pytest.fixture
def pending_vendor(db):
    user = VendorUserFactory(email="nora@example.com")
    return VendorFactory(
        user=user,
        business_name="Neat by Nora",
        slug="neat-by-nora",
        city="Queens, NY",
        verification_status=VerificationStatus.PENDING,
    )


def make_vendor(name: str, status: str, city: str = "Brooklyn, NY", email: str | None = None):
    user = VendorUserFactory(email=email) if email else VendorUserFactory()
    return VendorFactory(user=user, business_name=name, city=city, verification_status=status)


def paid_booking(*, customer, service, days_ahead: int = 3) -> Booking:
    """Booked and paid now for an appointment ``days_ahead`` days from today (instant: confirmed)."""
    booking = bookings.booking_request(
        customer=customer,
        service_id=service.pk,
        starts_at=local_slot(days_ahead=days_ahead),
        address="12 Elm St, Brooklyn, NY",
    )
    return bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa").booking


def completed_booking(*, customer, service, days_ahead: int = 3) -> Booking:
    """Paid, then confirmed as done by the customer just after the work ended."""
    booking = paid_booking(customer=customer, service=service, days_ahead=days_ahead)
    with time_machine.travel(booking.ends_at + timedelta(minutes=5)):
        return bookings.booking_confirm_completion(customer=customer, booking_id=booking.pk)


@pytest.fixture
def payout_needs_approval(settings):
    """Payouts above $100.00 wait for an admin (the $300.00 service is above it)."""
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 10_000


@pytest.fixture
def awaiting_payout(payout_needs_approval, customer, service) -> Booking:
    """A completed $300.00 booking whose payment is held in escrow, waiting for approval."""
    return completed_booking(customer=customer, service=service)
