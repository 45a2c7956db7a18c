"""Organizers' documents in the back office: the queue's columns and filter, the vendor's documents, Accept / Reject."""

import pytest
from django.core import mail
from django.urls import reverse

from marketplace.core.models import AuditLogEntry
from marketplace.payments.policy import payout_account_state
from marketplace.vendors.documents import vendor_documents_expiry_run
from marketplace.vendors.models import DocumentStatus, VerificationStatus
from tests.factories.documents import PDF, accepted_document, age_document, uploaded_document
from tests.snapshots import changed_tables, data_snapshot

from .conftest import client_for, make_vendor, messages_of

pytestmark = pytest.mark.django_db

INDEX = "backoffice_vendors:index"


def row_of(response, vendor):
    return next(item for item in response.context["object_list"] if item.pk == vendor.pk)


def test_the_queue_shows_document_counts_and_the_payout_account(admin_client, vendor, admin_user):
    accepted_document(vendor, admin=admin_user, kind="id", expires_in_days=400)
    accepted_document(vendor, admin=admin_user, kind="certification", title="KonMari", expires_in_days=None)
    uploaded_document(vendor, kind="certification", title="NAPO")
    old = accepted_document(vendor, admin=admin_user, kind="insurance", expires_in_days=30)
    age_document(old, expires_in_days=-3)

    response = admin_client.get(reverse(INDEX))

    html = response.content.decode()
    assert "2 accepted, 1 to review, 1 expired" in html
    assert "Payout account" in html
    assert payout_account_state(vendor.profile).label in html


def test_the_queue_filters_documents_to_review_and_expired(admin_client, vendor, other_vendor, admin_user):
    uploaded_document(vendor)
    expired = accepted_document(other_vendor, admin=admin_user, kind="insurance")
    age_document(expired, expires_in_days=-1)
    url = reverse(INDEX)

    to_review = [item.pk for item in admin_client.get(url, {"documents": "to_review"}).context["object_list"]]
    lapsed = [item.pk for item in admin_client.get(url, {"documents": "expired"}).context["object_list"]]

    assert to_review == [vendor.pk]
    assert lapsed == [other_vendor.pk]


def test_the_queue_takes_a_bounded_number_of_queries(admin_client, admin_user, django_assert_max_num_queries):
    def add(index: int) -> None:
        organizer = make_vendor(f"Organizer {index}", VerificationStatus.PENDING)
        uploaded_document(organizer, kind="id")
        accepted_document(organizer, admin=admin_user, kind="insurance")

    add(0)
    admin_client.get(reverse(INDEX))  # warm caches (content types, sessions)
    with django_assert_max_num_queries(30) as few:
        admin_client.get(reverse(INDEX))
    for index in range(1, 8):
        add(index)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(reverse(INDEX))

    assert response.status_code == 200
    assert len(response.context["object_list"]) >= 8


def test_the_inspect_page_lists_documents_with_download_and_actions(admin_client, vendor):
    document = uploaded_document(vendor, kind="id", title="Passport <script>")

    html = admin_client.get(reverse("backoffice_vendors:inspect", args=[vendor.pk])).content.decode()

    assert "Passport &lt;script&gt;" in html
    assert reverse("backoffice_vendors:document_file", args=[document.pk]) in html
    assert reverse("backoffice_vendors:document_accept", args=[document.pk]) in html
    assert reverse("backoffice_vendors:document_reject", args=[document.pk]) in html
    assert "Not in order: no accepted, valid liability insurance, identity document." in html


def test_staff_download_a_document_with_the_safe_headers(admin_client, vendor):
    document = uploaded_document(vendor)

    response = admin_client.get(reverse("backoffice_vendors:document_file", args=[document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert admin_client.get(reverse("backoffice_vendors:document_file", args=[999999])).status_code == 404


def test_finance_staff_cannot_open_or_review_documents(finance, vendor):
    document = uploaded_document(vendor)
    client = client_for(finance)
    before = data_snapshot()

    download = client.get(reverse("backoffice_vendors:document_file", args=[document.pk]))
    accept = client.post(reverse("backoffice_vendors:document_accept", args=[document.pk]), {"reason": ""})

    assert download.status_code in (302, 403)
    assert accept.status_code in (302, 403)
    assert changed_tables(before, data_snapshot()) == []


def test_support_accepts_a_document_with_a_note(support, vendor):
    document = uploaded_document(vendor)
    client = client_for(support)

    response = client.post(
        reverse("backoffice_vendors:document_accept", args=[document.pk]), {"reason": "Cover checked"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice_vendors:inspect", args=[vendor.pk])
    document.refresh_from_db()
    assert document.status == DocumentStatus.ACCEPTED
    assert document.reviewed_by == support
    entry = AuditLogEntry.objects.get(action="vendor_document.accepted")
    assert (entry.actor, entry.reason) == (support, "Cover checked")
    assert mail.outbox[-1].subject == "Your liability insurance was accepted"


def test_rejecting_needs_a_reason_which_the_organizer_is_emailed(admin_client, vendor):
    document = uploaded_document(vendor)
    url = reverse("backoffice_vendors:document_reject", args=[document.pk])
    before = data_snapshot()

    refused = admin_client.post(url, {"reason": ""})

    assert refused.status_code == 200
    assert "Nothing was changed" in " ".join(messages_of(refused))
    assert changed_tables(before, data_snapshot()) == []

    done = admin_client.post(url, {"reason": "The policy names another business."})

    assert done.status_code == 302
    document.refresh_from_db()
    assert document.status == DocumentStatus.REJECTED
    assert document.review_reason == "The policy names another business."
    assert "Why: The policy names another business." in mail.outbox[-1].body


def test_reviewing_twice_is_refused_with_a_message(admin_client, vendor, admin_user):
    document = accepted_document(vendor, admin=admin_user)
    before = data_snapshot()

    response = admin_client.post(
        reverse("backoffice_vendors:document_reject", args=[document.pk]), {"reason": "Second thoughts"}
    )

    assert response.status_code == 302
    assert "This document is already accepted: it cannot be rejected." in messages_of(response)
    assert changed_tables(before, data_snapshot()) == []


def test_accepting_a_renewal_from_the_back_office_lists_the_services_again(admin_client, vendor, service, admin_user):
    accepted_document(vendor, admin=admin_user, kind="id", expires_in_days=400)
    insurance = accepted_document(vendor, admin=admin_user, kind="insurance")
    age_document(insurance, expires_in_days=-1)
    vendor_documents_expiry_run()
    renewal = uploaded_document(vendor, kind="insurance")

    html = admin_client.get(reverse("backoffice_vendors:inspect", args=[vendor.pk])).content.decode()
    assert "Services hidden since" in html

    admin_client.post(reverse("backoffice_vendors:document_accept", args=[renewal.pk]), {"reason": ""})

    vendor.refresh_from_db()
    assert vendor.documents_expired_at is None
