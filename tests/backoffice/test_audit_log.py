"""The audit log, read-only: filter by action, search by target id or actor email."""

import pytest
from django.urls import reverse

from marketplace.core.models import AuditLogEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(admin_client, awaiting_payout, pending_vendor):
    admin_client.post(reverse("backoffice_vendors:verify", args=[pending_vendor.pk]), {"reason": "Docs checked"})
    admin_client.post(
        reverse("backoffice_payouts:approve", args=[awaiting_payout.transaction.pk]), {"reason": "Photos checked"}
    )
    return awaiting_payout, pending_vendor


def actions(response) -> list[str]:
    return sorted(entry.action for entry in response.context["object_list"])


def test_filter_by_action(admin_client, logged):
    url = reverse("backoffice_audit_log:index")

    assert actions(admin_client.get(url, {"action": "vendor.verified"})) == ["vendor.verified"]
    assert actions(admin_client.get(url, {"action": "escrow.released"})) == ["escrow.released"]
    choices = [value for value, _ in admin_client.get(url).context["filters"].form.fields["action"].choices]
    assert "booking.completed" in choices


def test_search_by_target_id_and_actor_email(admin_client, logged):
    booking, _ = logged
    url = reverse("backoffice_audit_log:index")

    assert actions(admin_client.get(url, {"q": str(booking.pk)})) == sorted(
        AuditLogEntry.objects.filter(target_id=str(booking.pk)).values_list("action", flat=True)
    )
    assert actions(admin_client.get(url, {"q": "admin@example"})) == ["escrow.released", "vendor.verified"]
    assert actions(admin_client.get(url, {"q": "casey@example.com"})) == [
        "booking.completed",
        "booking.confirmed",
        "booking.requested",
        "payment.captured",
    ]


def test_entries_link_to_their_back_office_pages(admin_client, logged):
    booking, vendor = logged

    html = admin_client.get(reverse("backoffice_audit_log:index")).content.decode()

    assert reverse("backoffice_vendors:inspect", args=[vendor.pk]) in html
    # entries about the payment link to its booking
    assert reverse("backoffice_bookings:inspect", args=[booking.pk]) in html


def test_entry_detail_shows_reason_and_data(admin_client, logged):
    booking, _ = logged
    entry = AuditLogEntry.objects.get(action="escrow.released")

    response = admin_client.get(reverse("backoffice_audit_log:inspect", args=[entry.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Photos checked" in html
    assert "admin@example.com" in html
    assert "&quot;vendor_payout_minor&quot;: 25500" in html
    assert response.context["target_url"] == reverse("backoffice_bookings:inspect", args=[booking.pk])
