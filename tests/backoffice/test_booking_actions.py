"""Staff cancel and refund from the booking screen: through the domain services, with a reason, within limits."""

import pytest
from django.urls import reverse

from marketplace.core.models import AuditLogEntry
from marketplace.payments.models import Movement, MovementKind, Transaction
from tests.snapshots import changed_tables, data_snapshot

from .conftest import client_for, messages_of, paid_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(customer, service):
    """A confirmed $300.00 booking, three days ahead, paid into escrow."""
    return paid_booking(customer=customer, service=service)


def cancel_url(booking):
    return reverse("backoffice_bookings:cancel", args=[booking.pk])


def refund_url(booking):
    return reverse("backoffice_bookings:refund", args=[booking.pk])


def test_support_cancels_a_booking_with_a_reason_and_the_customer_is_refunded_in_full(support, booked):
    client = client_for(support)
    page = client.get(reverse("backoffice_bookings:inspect", args=[booked.pk])).content.decode()
    assert cancel_url(booked) in page and refund_url(booked) in page

    response = client.post(cancel_url(booked), {"reason": "The organizer is ill"})

    booked.refresh_from_db()
    assert (booked.status, booked.cancelled_by) == ("cancelled", "admin")
    assert Transaction.objects.get(booking=booked).refunded_minor == 30000
    assert messages_of(response) == [f"Booking {booked.reference} cancelled; the customer is refunded in full."]
    entry = AuditLogEntry.objects.get(action="booking.cancelled")
    assert (entry.actor, entry.reason) == (support, "The organizer is ill")


def test_support_refunds_part_within_the_limit_and_is_refused_above_it(support, booked, settings):
    settings.STAFF_REFUND_LIMIT_MINOR = 20000
    client = client_for(support)
    before = data_snapshot()

    response = client.post(refund_url(booked), {"amount": "250.00", "reason": "Two rooms of three"})
    assert "You may refund at most $200.00 at once; ask finance to refund $250.00." in messages_of(response)
    assert changed_tables(before, data_snapshot()) == []

    response = client.post(refund_url(booked), {"amount": "50.00", "reason": "Late arrival"})
    assert messages_of(response)[-1] == f"$50.00 refunded for booking {booked.reference}."
    refund = Movement.objects.get(booking=booked, kind=MovementKind.REFUND)
    assert (refund.amount_minor, refund.actor, refund.reason) == (5000, support, "Late arrival")


def test_finance_refunds_everything_left(finance, booked):
    client_for(finance).post(refund_url(booked), {"amount": "", "reason": "Booked twice"})

    assert Transaction.objects.get(booking=booked).refunded_minor == 30000


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "10.00", "reason": ""}, "Reason is required."),
        ({"amount": "300.01", "reason": "Too much"}, "At most $300.00 of this payment is left to refund."),
        ({"amount": "-5", "reason": "Negative"}, "Ensure this value is greater than or equal to"),
    ],
)
def test_a_refund_that_makes_no_sense_changes_nothing(finance, booked, data, message):
    client = client_for(finance)
    before = data_snapshot()

    response = client.post(refund_url(booked), data)

    page = response.content.decode() if response.status_code == 200 else ""
    assert message in page or any(message in text for text in messages_of(response))
    assert changed_tables(before, data_snapshot()) == []


def test_finance_cannot_cancel_and_editors_can_do_neither(finance, editor, booked):
    finance_client, editor_client = client_for(finance), client_for(editor)
    before = data_snapshot()
    page = finance_client.get(reverse("backoffice_bookings:inspect", args=[booked.pk])).content.decode()
    assert cancel_url(booked) not in page

    assert finance_client.post(cancel_url(booked), {"reason": "No"}).url == reverse("wagtailadmin_home")
    for url in (cancel_url(booked), refund_url(booked)):
        assert editor_client.post(url, {"reason": "No", "amount": "1.00"}).url == reverse("wagtailadmin_home")
    assert changed_tables(before, data_snapshot()) == []


def test_the_list_filters_by_customer_vendor_and_price(admin_client, customer, other_customer, service, hourly_service):
    cheap = paid_booking(customer=other_customer, service=hourly_service, days_ahead=4)  # $171.00
    dear = paid_booking(customer=customer, service=service, days_ahead=5)  # $300.00
    index = reverse("backoffice_bookings:index")

    def listed(**params) -> set[str]:
        html = admin_client.get(index, params).content.decode()
        return {booking.reference for booking in (cheap, dear) if booking.reference in html}

    assert listed(customer="casey") == {dear.reference}
    assert listed(vendor="calm") == {cheap.reference, dear.reference}
    assert listed(price_min="200", price_max="300") == {dear.reference}
    assert listed(price_max="171.00") == {cheap.reference}
    assert listed(price_min="0.001") == set()  # more decimals than dollars have
