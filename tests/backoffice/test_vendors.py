"""The verification queue and the Verify / Reject / Suspend actions."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from marketplace.bookings.services import booking_cancel
from marketplace.core.audit import audit_log_for
from marketplace.core.models import AuditLogEntry
from marketplace.vendors.models import Vendor, VerificationStatus
from tests.conftest import local_slot
from tests.factories.bookings import request_booking

from .conftest import make_vendor, messages_of

pytestmark = pytest.mark.django_db


def listed_names(response) -> list[str]:
    return [vendor.business_name for vendor in response.context["object_list"]]


def test_queue_lists_pending_vendors_first_oldest_first(admin_client):
    start = timezone.now() - timedelta(days=10)
    for days, name, status in [
        (0, "Verified Early", VerificationStatus.VERIFIED),
        (1, "Pending Old", VerificationStatus.PENDING),
        (2, "Rejected Mid", VerificationStatus.REJECTED),
        (3, "Pending New", VerificationStatus.PENDING),
        (4, "Suspended Late", VerificationStatus.SUSPENDED),
    ]:
        with time_machine.travel(start + timedelta(days=days)):
            make_vendor(name, status)

    response = admin_client.get(reverse("backoffice_vendors:index"))

    assert response.status_code == 200
    assert listed_names(response) == ["Pending Old", "Pending New", "Verified Early", "Rejected Mid", "Suspended Late"]


def test_queue_filters_by_status_and_searches_name_city_and_email(admin_client):
    make_vendor("Calm Closets", VerificationStatus.PENDING, city="Queens, NY", email="calm@example.com")
    make_vendor("Box & Order", VerificationStatus.VERIFIED, city="Hoboken, NJ", email="box@example.com")
    make_vendor("Tidy Garage", VerificationStatus.REJECTED, city="Queens, NY", email="garage@organize.test")
    url = reverse("backoffice_vendors:index")

    assert listed_names(admin_client.get(url, {"verification_status": "verified"})) == ["Box & Order"]
    assert listed_names(admin_client.get(url, {"q": "closets"})) == ["Calm Closets"]
    assert listed_names(admin_client.get(url, {"q": "queens"})) == ["Calm Closets", "Tidy Garage"]
    assert listed_names(admin_client.get(url, {"q": "organize.test"})) == ["Tidy Garage"]
    assert listed_names(admin_client.get(url, {"q": "queens", "verification_status": "rejected"})) == ["Tidy Garage"]


def test_detail_shows_profile_area_services_and_history(admin_client, admin_user, pending_vendor, service):
    AuditLogEntry.objects.all().delete()
    admin_client.post(reverse("backoffice_vendors:verify", args=[pending_vendor.pk]), {"reason": "Insurance checked"})

    response = admin_client.get(reverse("backoffice_vendors:inspect", args=[pending_vendor.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Neat by Nora" in html
    assert "nora@example.com" in html
    assert "Queens, NY" in html
    assert "25 km" in html
    assert "+1 718 555 0100" in html
    assert "vendor.verified" in html
    assert "Insurance checked" in html
    assert list(response.context["history"].values_list("action", flat=True)) == ["vendor.verified"]


def test_detail_offers_only_the_decisions_the_status_allows(admin_client, pending_vendor):
    response = admin_client.get(reverse("backoffice_vendors:inspect", args=[pending_vendor.pk]))
    assert [decision.label for decision, _ in response.context["decision_links"]] == ["Verify", "Reject"]

    pending_vendor.verification_status = VerificationStatus.VERIFIED
    pending_vendor.save()
    response = admin_client.get(reverse("backoffice_vendors:inspect", args=[pending_vendor.pk]))
    assert [decision.label for decision, _ in response.context["decision_links"]] == ["Suspend"]

    pending_vendor.verification_status = VerificationStatus.SUSPENDED
    pending_vendor.save()
    response = admin_client.get(reverse("backoffice_vendors:inspect", args=[pending_vendor.pk]))
    assert [decision.label for decision, _ in response.context["decision_links"]] == ["Reinstate", "Reject"]


def test_verifying_through_the_form_changes_the_status_and_logs_the_note(admin_client, admin_user, pending_vendor):
    response = admin_client.post(
        reverse("backoffice_vendors:verify", args=[pending_vendor.pk]), {"reason": "Insurance and ID checked"}
    )

    assert response.status_code == 302
    assert response.url == reverse("backoffice_vendors:inspect", args=[pending_vendor.pk])
    assert messages_of(response) == ["Neat by Nora is now verified."]
    pending_vendor.refresh_from_db()
    assert pending_vendor.verification_status == VerificationStatus.VERIFIED
    assert pending_vendor.verified_at is not None
    entry = audit_log_for(pending_vendor).get(action="vendor.verified")
    assert entry.actor == admin_user
    assert entry.reason == "Insurance and ID checked"
    assert entry.data == {"from": "pending", "to": "verified"}


def test_verifying_needs_no_note(admin_client, pending_vendor):
    response = admin_client.post(reverse("backoffice_vendors:verify", args=[pending_vendor.pk]), {"reason": ""})

    assert response.status_code == 302
    pending_vendor.refresh_from_db()
    assert pending_vendor.verification_status == VerificationStatus.VERIFIED
    assert audit_log_for(pending_vendor).get(action="vendor.verified").reason == ""


def test_rejecting_without_a_reason_shows_the_form_again_and_changes_nothing(admin_client, pending_vendor):
    entries_before = AuditLogEntry.objects.count()

    response = admin_client.post(reverse("backoffice_vendors:reject", args=[pending_vendor.pk]), {"reason": "   "})

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["Reason is required."]}
    assert "Reason is required." in response.content.decode()
    pending_vendor.refresh_from_db()
    assert pending_vendor.verification_status == VerificationStatus.PENDING
    assert pending_vendor.verification_reason == ""
    assert AuditLogEntry.objects.count() == entries_before


def test_rejecting_with_a_reason_tells_the_vendor_why(admin_client, admin_user, pending_vendor):
    response = admin_client.post(
        reverse("backoffice_vendors:reject", args=[pending_vendor.pk]), {"reason": "No proof of insurance."}
    )

    assert response.status_code == 302
    assert messages_of(response) == ["Neat by Nora is now rejected."]
    pending_vendor.refresh_from_db()
    assert pending_vendor.verification_status == VerificationStatus.REJECTED
    assert pending_vendor.verification_reason == "No proof of insurance."
    entry = audit_log_for(pending_vendor).get(action="vendor.rejected")
    assert (entry.actor, entry.reason) == (admin_user, "No proof of insurance.")


def test_suspending_a_verified_vendor_needs_and_logs_a_reason(admin_client, admin_user, vendor):
    url = reverse("backoffice_vendors:suspend", args=[vendor.pk])

    response = admin_client.post(url, {"reason": ""})
    assert response.status_code == 200
    vendor.refresh_from_db()
    assert vendor.verification_status == VerificationStatus.VERIFIED

    response = admin_client.post(url, {"reason": "Three no-shows this month."})
    assert response.status_code == 302
    vendor.refresh_from_db()
    assert vendor.verification_status == VerificationStatus.SUSPENDED
    entry = audit_log_for(vendor).get(action="vendor.suspended")
    assert (entry.actor, entry.reason, entry.data) == (
        admin_user,
        "Three no-shows this month.",
        {"from": "verified", "to": "suspended"},
    )


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        (VerificationStatus.REJECTED, "verify", "An organizer who is rejected cannot be verified."),
        (VerificationStatus.PENDING, "suspend", "An organizer who is pending review cannot be suspended."),
        (VerificationStatus.VERIFIED, "verify", "An organizer who is verified cannot be verified."),
    ],
)
def test_an_illegal_transition_shows_an_error_and_changes_nothing(admin_client, status, action, message):
    vendor = make_vendor("Calm Closets", status)
    Vendor.objects.filter(pk=vendor.pk).update(verification_reason="Earlier reason")
    entries_before = AuditLogEntry.objects.count()

    response = admin_client.post(reverse(f"backoffice_vendors:{action}", args=[vendor.pk]), {"reason": "Because"})

    assert response.status_code == 302
    assert response.url == reverse("backoffice_vendors:inspect", args=[vendor.pk])
    assert messages_of(response) == [message]
    vendor.refresh_from_db()
    assert vendor.verification_status == status
    assert vendor.verification_reason == "Earlier reason"
    assert AuditLogEntry.objects.count() == entries_before


def test_the_error_message_is_shown_on_the_page_it_redirects_to(admin_client):
    vendor = make_vendor("Calm Closets", VerificationStatus.REJECTED)

    response = admin_client.post(
        reverse("backoffice_vendors:verify", args=[vendor.pk]), {"reason": "Because"}, follow=True
    )

    assert response.status_code == 200
    assert "An organizer who is rejected cannot be verified." in response.content.decode()


def test_a_missing_vendor_is_a_404_not_a_500(admin_client):
    response = admin_client.post(reverse("backoffice_vendors:verify", args=[987654]), {"reason": "x"})
    assert response.status_code == 404


def test_the_form_of_a_decision_the_status_does_not_allow_warns_before_submitting(admin_client):
    vendor = make_vendor("Calm Closets", VerificationStatus.REJECTED)

    response = admin_client.get(reverse("backoffice_vendors:verify", args=[vendor.pk]))

    assert response.status_code == 200
    assert "An organizer who is rejected cannot be verified: submitting will change nothing." in (
        response.content.decode()
    )


def test_the_file_counts_the_bookings_the_organizer_cancelled(admin_client, customer, admin_user, service):
    # given two cancellations by the organizer, one over a year ago, and one by the customer
    def cancel(by, days_ahead):
        booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=days_ahead))
        booking_cancel(user=by, booking_id=booking.pk)

    with time_machine.travel(timezone.now() - timedelta(days=400)):
        cancel(service.vendor.user, 3)
    cancel(service.vendor.user, 3)
    cancel(customer, 4)

    response = admin_client.get(reverse("backoffice_vendors:inspect", args=[service.vendor.pk]))

    assert response.status_code == 200
    assert (response.context["organizer_cancellations"].recent, response.context["organizer_cancellations"].total) == (
        1,
        2,
    )
    html = response.content.decode()
    assert "Cancellations by the organizer" in html
    assert "<dt>In the last 12 months</dt><dd>1</dd>" in html
    assert "<dt>In total</dt><dd>2</dd>" in html
    assert "<td>Moderate</td>" in html  # the service's cancellation policy
