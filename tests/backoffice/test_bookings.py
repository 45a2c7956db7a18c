"""Bookings, read-only: the filterable listing and one booking's payment and audit trail."""

import pytest
from django.urls import reverse

from marketplace.bookings.models import BookingStatus
from marketplace.bookings.services import booking_cancel, booking_quote, booking_request
from marketplace.payments.services import escrow_release
from tests.conftest import local_slot
from tests.factories import CustomerFactory

from .conftest import paid_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_bookings(awaiting_payout, other_customer, hourly_service, other_vendor, category):
    """Completed (day 3, Calm Spaces), confirmed (day 5, Calm Spaces), requested and unpaid (day 7, Box & Order)."""
    from tests.factories import ServiceFactory

    confirmed = paid_booking(customer=other_customer, service=hourly_service, days_ahead=5)
    other_service = ServiceFactory(vendor=other_vendor, category=category, title="Garage reset")
    requested = booking_request(
        customer=CustomerFactory(email="rita@example.com"),
        service_id=other_service.pk,
        starts_at=local_slot(days_ahead=7),
        address="1 Main St",
    )
    return awaiting_payout, confirmed, requested


def listed(response) -> list[str]:
    return [booking.reference for booking in response.context["object_list"]]


def test_list_shows_every_booking_latest_appointment_first(admin_client, three_bookings):
    completed, confirmed, requested = three_bookings

    response = admin_client.get(reverse("backoffice_bookings:index"))

    assert response.status_code == 200
    assert listed(response) == [requested.reference, confirmed.reference, completed.reference]
    html = response.content.decode()
    assert "Held in escrow" in html
    assert "Not paid" in html


def test_list_filters_by_status_and_appointment_date(admin_client, three_bookings):
    completed, confirmed, requested = three_bookings
    url = reverse("backoffice_bookings:index")

    assert listed(admin_client.get(url, {"status": BookingStatus.COMPLETED})) == [completed.reference]
    assert listed(admin_client.get(url, {"status": BookingStatus.REQUESTED})) == [requested.reference]
    day_5 = local_slot(days_ahead=5).date().isoformat()
    day_7 = local_slot(days_ahead=7).date().isoformat()
    assert listed(admin_client.get(url, {"starts_at_from": day_5, "starts_at_to": day_5})) == [confirmed.reference]
    assert listed(admin_client.get(url, {"starts_at_from": day_5})) == [requested.reference, confirmed.reference]
    assert listed(admin_client.get(url, {"starts_at_to": day_5, "status": "completed"})) == [completed.reference]
    assert listed(admin_client.get(url, {"starts_at_from": day_7, "status": "completed"})) == []


def test_list_searches_reference_customer_email_and_vendor_name(admin_client, three_bookings):
    completed, confirmed, requested = three_bookings
    url = reverse("backoffice_bookings:index")

    assert listed(admin_client.get(url, {"q": completed.reference.lower()})) == [completed.reference]
    assert listed(admin_client.get(url, {"q": "olive@"})) == [confirmed.reference]
    assert listed(admin_client.get(url, {"q": "box & order"})) == [requested.reference]
    assert listed(admin_client.get(url, {"q": "calm spaces"})) == [confirmed.reference, completed.reference]


def test_detail_shows_the_booking_its_payment_ledger_and_audit_trail(admin_client, awaiting_payout):
    response = admin_client.get(reverse("backoffice_bookings:inspect", args=[awaiting_payout.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert awaiting_payout.reference in html
    assert "casey@example.com" in html
    assert "Whole-home declutter" in html
    assert "$300.00" in html
    assert "$45.00 (1500 basis points)" in html
    assert "$255.00" in html
    assert [entry.action for entry in response.context["audit_trail"]] == [
        "booking.requested",
        "payment.captured",
        "booking.confirmed",
        "booking.completed",
    ]
    assert [entry.kind for entry in response.context["ledger_entries"]] == ["capture"]
    # the payout waits for approval: the page links to the approval form
    assert response.context["approve_url"] == reverse(
        "backoffice_payouts:approve", args=[awaiting_payout.transaction.pk]
    )
    assert reverse("backoffice_vendors:inspect", args=[awaiting_payout.vendor_id]) in html


def test_detail_of_an_unpaid_booking(admin_client, customer, service):
    booking = booking_request(
        customer=customer, service_id=service.pk, starts_at=local_slot(days_ahead=2), address="1 Main St"
    )

    response = admin_client.get(reverse("backoffice_bookings:inspect", args=[booking.pk]))

    assert response.status_code == 200
    assert response.context["payment"] is None
    assert response.context["approve_url"] == ""
    assert "Not paid." in response.content.decode()


def test_bookings_are_read_only(admin_client, awaiting_payout):
    # no add, edit or delete views exist for bookings
    for path in ("new/", f"edit/{awaiting_payout.pk}/", f"delete/{awaiting_payout.pk}/"):
        response = admin_client.get(reverse("backoffice_bookings:index") + path)
        assert response.status_code == 404, path


def test_a_cancelled_booking_says_who_cancelled_it(admin_client, customer, service):
    booking = paid_booking(customer=customer, service=service, days_ahead=4)
    booking_cancel(user=service.vendor.user, booking_id=booking.pk, reason="Sick")

    response = admin_client.get(reverse("backoffice_bookings:inspect", args=[booking.pk]))

    assert "<dt>Cancelled by</dt><dd>The organizer</dd>" in response.content.decode()


def test_a_quoted_request_reads_as_quoted_and_its_audit_trail_in_words_and_money(admin_client, customer, quote_service):
    request = booking_request(
        customer=customer, service_id=quote_service.pk, starts_at=local_slot(days_ahead=5), address="1 Elm St"
    )
    booking_quote(vendor_user=quote_service.vendor.user, booking_id=request.pk, price_minor=145000)

    detail = admin_client.get(reverse("backoffice_bookings:inspect", args=[request.pk])).content.decode()
    listing = admin_client.get(reverse("backoffice_bookings:index")).content.decode()

    assert "Quoted, awaiting payment" in detail
    assert "Quoted, awaiting payment" in listing
    assert "price: $1,450.00" in detail
    assert "price_minor" not in detail and "145000" not in detail
    assert "Booking quoted" in detail


def test_the_booking_page_tells_the_money_s_story_for_staff(admin_client, awaiting_payout, admin_user):
    escrow_release(booking_id=awaiting_payout.pk, approved_by=admin_user, reason="Photos checked")

    html = admin_client.get(reverse("backoffice_bookings:inspect", args=[awaiting_payout.pk])).content.decode()

    assert "Money timeline" in html
    for code in ("paid", "released", "payout_sent"):
        assert f'data-event="{code}"' in html, code
