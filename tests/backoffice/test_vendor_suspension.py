"""The Suspend and Reinstate actions: the rule stated before suspending, what it cancels, and the reasons."""

import pytest
from django.core import mail
from django.urls import reverse

from marketplace.bookings.models import Booking, BookingStatus
from marketplace.bookings.policy import SUSPENSION_RULE
from marketplace.core.audit import audit_log_for
from marketplace.vendors.models import VerificationStatus
from tests.conftest import local_slot
from tests.factories.bookings import past_paid_booking, request_booking
from tests.payments.invariants import assert_money_invariants
from tests.snapshots import changed_tables, data_snapshot

from .conftest import client_for, make_vendor, messages_of, paid_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def bookings(vendor, service, customer, other_customer):
    """Two confirmed $300.00 bookings still to come, one done yesterday, one open request."""
    return [
        paid_booking(customer=customer, service=service, days_ahead=3),
        paid_booking(customer=other_customer, service=service, days_ahead=5),
        past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-1)),
        request_booking(customer=other_customer, service=service, starts_at=local_slot(days_ahead=7)),
    ]


def statuses(bookings) -> list[str]:
    return [Booking.objects.get(pk=booking.pk).status for booking in bookings]


def test_the_suspend_form_states_the_rule_and_what_it_will_cancel(admin_client, vendor, bookings):
    response = admin_client.get(reverse("backoffice_vendors:suspend", args=[vendor.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert SUSPENSION_RULE.replace("'", "&#x27;") in html
    assert (
        "Suspending now cancels 2 confirmed bookings that have not started yet, refunding $600.00 in full to the "
        "customers, and declines 1 open request."
    ) in html


def test_suspending_without_a_reason_shows_the_error_and_changes_nothing(admin_client, vendor, bookings):
    mail.outbox.clear()
    before = data_snapshot()

    response = admin_client.post(reverse("backoffice_vendors:suspend", args=[vendor.pk]), {"reason": "  "})

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["Reason is required."]}
    assert messages_of(response) == ["Nothing was changed. Please correct the error below."]
    assert changed_tables(before, data_snapshot()) == []
    assert statuses(bookings) == ["confirmed", "confirmed", "confirmed", "requested"]


def test_suspending_cancels_and_refunds_the_future_bookings_and_says_how_many(
    admin_client, admin_user, vendor, bookings
):
    response = admin_client.post(
        reverse("backoffice_vendors:suspend", args=[vendor.pk]), {"reason": "Three no-shows this month."}
    )

    assert response.status_code == 302
    assert messages_of(response) == [
        "Calm Spaces is now suspended. Cancelling 2 confirmed bookings (refunding $600.00 in full) and declining "
        "1 open request; each customer is emailed."
    ]
    assert statuses(bookings) == ["cancelled", "cancelled", "confirmed", "declined"]
    assert assert_money_invariants() == {
        "captured": 90000,
        "released": 0,
        "refunded": 60000,
        "held": 30000,
        "commission": 0,
        "paid_out": 0,
    }
    vendor.refresh_from_db()
    assert (vendor.verification_status, vendor.verification_reason) == ("suspended", "Three no-shows this month.")


def test_reinstating_needs_a_reason_then_lists_the_organizer_again(admin_client, admin_user, vendor, bookings):
    admin_client.post(reverse("backoffice_vendors:suspend", args=[vendor.pk]), {"reason": "No-shows"})
    url = reverse("backoffice_vendors:reinstate", args=[vendor.pk])
    mail.outbox.clear()
    before = data_snapshot()

    response = admin_client.post(url, {"reason": ""})

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["Reason is required."]}
    assert changed_tables(before, data_snapshot()) == []

    response = admin_client.post(url, {"reason": "Spoke with them; the no-shows were a calendar error."})

    assert response.status_code == 302
    assert messages_of(response) == ["Calm Spaces is now reinstated."]
    vendor.refresh_from_db()
    assert vendor.verification_status == VerificationStatus.VERIFIED
    assert [m.subject for m in mail.outbox] == ["Your organizer account is active again"]
    # cancelled bookings stay cancelled
    assert statuses(bookings) == ["cancelled", "cancelled", "confirmed", "declined"]
    page = admin_client.get(reverse("backoffice_vendors:inspect", args=[vendor.pk]))
    assert list(page.context["history"].values_list("action", flat=True))[:2] == [
        "vendor.reinstated",
        "vendor.suspended",
    ]
    assert "Vendor reinstated" in page.content.decode()
    assert "calendar error" in page.content.decode()


def test_the_reinstate_form_of_a_rejected_organizer_changes_nothing(admin_client):
    vendor = make_vendor("Calm Closets", VerificationStatus.REJECTED)
    url = reverse("backoffice_vendors:reinstate", args=[vendor.pk])

    page = admin_client.get(url)
    assert "An organizer who is rejected cannot be reinstated: submitting will change nothing." in (
        page.content.decode()
    )
    before = data_snapshot()
    response = admin_client.post(url, {"reason": "Try again"})

    assert response.status_code == 302
    assert messages_of(response) == ["An organizer who is rejected cannot be reinstated."]
    assert changed_tables(before, data_snapshot()) == []


def test_a_suspended_organizer_is_offered_reinstate_not_verify(admin_client):
    vendor = make_vendor("Calm Closets", VerificationStatus.SUSPENDED)

    response = admin_client.get(reverse("backoffice_vendors:index"))

    html = response.content.decode()
    assert reverse("backoffice_vendors:reinstate", args=[vendor.pk]) in html
    assert reverse("backoffice_vendors:verify", args=[vendor.pk]) not in html


@pytest.mark.parametrize("action", ["suspend", "reinstate"])
def test_staff_without_the_verify_permission_cannot_suspend_or_reinstate(finance, action):
    vendor = make_vendor("Calm Closets", VerificationStatus.VERIFIED if action == "suspend" else "suspended")
    client = client_for(finance)  # signing in stamps last_login
    before = data_snapshot()

    response = client.post(reverse(f"backoffice_vendors:{action}", args=[vendor.pk]), {"reason": "x"})

    assert response.status_code == 302
    assert response.url != reverse("backoffice_vendors:inspect", args=[vendor.pk])
    assert changed_tables(before, data_snapshot()) == []
    assert not audit_log_for(vendor).exists()


def test_support_staff_may_suspend(support, vendor, bookings):
    response = client_for(support).post(reverse("backoffice_vendors:suspend", args=[vendor.pk]), {"reason": "No-shows"})

    assert response.status_code == 302
    assert statuses(bookings) == ["cancelled", "cancelled", "confirmed", "declined"]
    assert Booking.objects.filter(status=BookingStatus.CANCELLED, cancelled_by="admin").count() == 2
