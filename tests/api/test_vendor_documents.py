"""The organizer's documents through the API: list, upload (multipart), download; bad input is a clear 400."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.vendors.models import VendorDocument
from marketplace.vendors.policy import vendor_today
from tests.factories.documents import PDF, uploaded_document
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

PATH = "vendors/me/documents"
MB = 1024 * 1024


def upload(api, user, data, headers=None):
    api.as_user(user)
    return api.client.post(api._url(PATH), data=data, headers=api._headers(headers))


def form(vendor, **changes) -> dict:
    data = {
        "kind": "id",
        "title": "Passport",
        "expires_on": (vendor_today(vendor) + timedelta(days=900)).isoformat(),
        "file": SimpleUploadedFile("passport.pdf", PDF, content_type="application/pdf"),
    }
    data.update(changes)
    return data


def test_an_organizer_uploads_and_lists_their_documents(api, vendor):
    response = upload(api, vendor.user, form(vendor))

    assert response.status_code == 201
    body = response.json()
    document = VendorDocument.objects.get()
    assert body["id"] == document.pk
    assert body["kind"] == "id"
    assert body["status"] == "pending"
    assert body["state"] == "pending"
    assert body["content_type"] == "application/pdf"
    assert body["download_url"] == f"/api/v1/vendors/me/documents/{document.pk}/file"

    listed = api.as_user(vendor.user).get(PATH)
    assert [item["id"] for item in listed.json()["results"]] == [document.pk]

    download = api.as_user(vendor.user).get(f"{PATH}/{document.pk}/file")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("changes", "code", "detail"),
    [
        (
            {"file": SimpleUploadedFile("passport.pdf", b"#!/bin/sh\necho hi\n")},
            "vendor_document_refused",
            "passport.pdf is not a file we accept: send a PDF, or a JPEG or PNG photo or scan.",
        ),
        ({"expires_on": "2020-02-02"}, "validation_failed", "The expiry date 02 Feb 2020 is in the past"),
        ({"expires_on": "next year"}, "validation_failed", "The expiry date must be a date (YYYY-MM-DD)."),
        ({"kind": "passport"}, "validation_failed", "Choose the kind of document"),
    ],
)
def test_bad_input_is_a_400_that_says_why_and_writes_nothing(api, vendor, changes, code, detail):
    api.as_user(vendor.user)
    before = data_snapshot()

    response = upload(api, vendor.user, form(vendor, **changes))

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["detail"].startswith(detail)
    assert changed_tables(before, data_snapshot()) == []


def test_a_body_over_the_document_limit_is_a_413(api, vendor, settings):
    settings.VENDOR_DOCUMENT_MAX_MB = 1
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = MB

    response = upload(api, vendor.user, form(vendor, file=SimpleUploadedFile("big.pdf", PDF + b"0" * 3 * MB)))

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is too large: the limit for document uploads is 2 MB.",
        "code": "payload_too_large",
    }
    assert not VendorDocument.objects.exists()


def test_a_stranger_cannot_download_another_organizer_s_document(api, vendor, other_vendor, customer):
    document = uploaded_document(vendor)

    assert api.as_user(other_vendor.user).get(f"{PATH}/{document.pk}/file").status_code == 404
    assert api.as_user(customer).get(f"{PATH}/{document.pk}/file").status_code == 404
    assert api.anonymous().get(f"{PATH}/{document.pk}/file").status_code == 401


def test_a_customer_has_no_documents(api, customer):
    response = api.as_user(customer).get(PATH)

    assert response.status_code == 404
    assert response.json()["code"] == "no_vendor_profile"
