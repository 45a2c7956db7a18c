"""The organizer area's Documents page: upload with clear errors, each state in words, their own files."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from marketplace.vendors.documents import vendor_documents_expiry_run
from marketplace.vendors.models import DocumentStatus, VendorDocument
from marketplace.vendors.policy import vendor_today
from tests.factories.documents import PDF, accepted_document, age_document, uploaded_document
from tests.snapshots import changed_tables, data_snapshot

from .conftest import messages_of

pytestmark = pytest.mark.django_db

URL = "/vendor/documents/"


def upload_form(vendor, **changes) -> dict:
    data = {
        "kind": "insurance",
        "title": "Liability <b>2027</b>",
        "expires_on": (vendor_today(vendor) + timedelta(days=300)).isoformat(),
        "file": SimpleUploadedFile("policy.pdf", PDF, content_type="application/pdf"),
    }
    data.update(changes)
    return data


def test_the_nav_links_to_the_documents_page(browser_as, vendor):
    html = browser_as(vendor.user).get(reverse("storefront:vendor_dashboard")).content.decode()

    assert f'href="{URL}"' in html


def test_an_organizer_uploads_a_document_and_sees_it_waiting(browser_as, vendor):
    browser = browser_as(vendor.user)

    response = browser.post(URL, upload_form(vendor), follow=True)

    assert response.status_code == 200
    assert messages_of(response) == ["Thank you: your document is uploaded and waits for our review."]
    (document,) = VendorDocument.objects.all()
    assert document.status == DocumentStatus.PENDING
    assert document.title == "Liability <b>2027</b>"
    html = response.content.decode()
    assert "Liability &lt;b&gt;2027&lt;/b&gt;" in html
    assert "<b>2027</b>" not in html
    assert 'data-state="pending"' in html
    assert "Waiting for review" in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"file": SimpleUploadedFile("policy.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")},
            "policy.pdf is not a file we accept: send a PDF, or a JPEG or PNG photo or scan.",
        ),
        ({"expires_on": "2001-01-01"}, "The expiry date 01 Jan 2001 is in the past"),
        ({"expires_on": ""}, "Give the date your liability insurance expires."),
    ],
)
def test_bad_input_shows_a_clear_message_and_changes_nothing(browser_as, vendor, changes, message):
    browser = browser_as(vendor.user)
    before = data_snapshot()

    response = browser.post(URL, upload_form(vendor, **changes))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert changed_tables(before, data_snapshot()) == []


def test_a_too_large_file_is_refused(browser_as, vendor, settings):
    settings.VENDOR_DOCUMENT_MAX_MB = 0.001
    response = browser_as(vendor.user).post(
        URL, upload_form(vendor, file=SimpleUploadedFile("big.pdf", PDF + b"0" * 2048))
    )

    assert response.status_code == 400
    assert "big.pdf is 2.07 KB; each file may be at most 1.02 KB." in response.content.decode()
    assert not VendorDocument.objects.exists()


def test_each_state_is_shown_in_words(browser_as, vendor, admin_user, settings):
    settings.VENDOR_DOCUMENT_REMINDER_DAYS = 14
    accepted_document(vendor, admin=admin_user, kind="id", title="Passport", expires_in_days=400)
    expiring = accepted_document(vendor, admin=admin_user, kind="certification", title="KonMari", expires_in_days=30)
    age_document(expiring, expires_in_days=5)
    rejected = uploaded_document(vendor, kind="certification", title="Blurry")
    from marketplace.vendors.documents import vendor_document_review

    vendor_document_review(admin=admin_user, document_id=rejected.pk, decision="rejected", reason="Unreadable scan")

    html = browser_as(vendor.user).get(URL).content.decode()

    assert "Accepted; valid until" in html
    assert "Expires in 5 days" in html
    assert "Not accepted: Unreadable scan" in html
    assert "Still needed: your liability insurance" in html


def test_an_organizer_whose_insurance_expired_sees_why_their_services_are_hidden(browser_as, vendor, admin_user):
    accepted_document(vendor, admin=admin_user, kind="id", expires_in_days=400)
    insurance = accepted_document(vendor, admin=admin_user, kind="insurance", expires_in_days=30)
    age_document(insurance, expires_in_days=-2)
    vendor_documents_expiry_run()

    html = browser_as(vendor.user).get(URL).content.decode()

    assert "data-documents-expired" in html
    assert "Your services are hidden" in html
    assert 'data-state="expired"' in html


def test_an_organizer_downloads_their_own_document(browser_as, vendor):
    document = uploaded_document(vendor)

    response = browser_as(vendor.user).get(reverse("storefront:vendor_document_file", args=[document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Content-Disposition"].startswith("attachment")


def test_a_stranger_cannot_download_another_organizer_s_document(browser_as, vendor, other_vendor, customer):
    document = uploaded_document(vendor)
    url = reverse("storefront:vendor_document_file", args=[document.pk])

    assert browser_as(other_vendor.user).get(url).status_code == 404
    assert (
        browser_as(other_vendor.user).get(reverse("storefront:vendor_document_file", args=[999999])).status_code == 404
    )
    assert browser_as(customer).get(url).status_code == 403
