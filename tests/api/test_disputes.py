"""Disputes through the API: open (multipart), read, answer, add evidence, withdraw, download, staff's decision."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile

from api.models import IdempotencyRecord
from api.uploads import UPLOAD_ROUTES, upload_limit
from marketplace.core.text import data_size
from marketplace.disputes.models import Dispute, Evidence
from marketplace.disputes.services import dispute_open
from marketplace.payments.models import Transaction
from tests.conftest import local_slot
from tests.factories.bookings import completed_booking, paid_booking, past_paid_booking
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64
MB = 1024 * 1024


def png(name="kitchen.png", content=PNG):
    return SimpleUploadedFile(name, content, content_type="image/png")


def stored_files() -> list[str]:
    storage = Evidence._meta.get_field("file").storage
    try:
        folders, _ = storage.listdir("disputes")
    except FileNotFoundError:
        return []
    return [name for folder in folders for name in storage.listdir(f"disputes/{folder}")[1]]


@pytest.fixture
def worked(customer, service):
    """A $300 booking whose appointment was yesterday: paid, confirmed, money held."""
    return past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-1))


def multipart(api, user, path, data, headers=None):
    api.as_user(user)
    return api.client.post(api._url(path), data=data, headers=api._headers(headers))


def open_through_api(api, booking, user=None, **data):
    values = {"reason": "poor_quality", "description": "Half the closets were left as they were.", **data}
    return multipart(api, user or booking.customer, f"bookings/{booking.pk}/dispute", values)


def opened(booking, user=None, reason="poor_quality"):
    return dispute_open(
        user=user or booking.customer, booking_id=booking.pk, reason=reason, description="Not done as agreed."
    )


# --- Opening -------------------------------------------------------------------------------------


def test_the_booking_offers_a_dispute_and_the_customer_opens_one_with_files(api, worked, customer):
    assert "dispute" in api.as_user(customer).get(f"bookings/{worked.pk}").json()["actions"]

    response = open_through_api(
        api, worked, files=[png(), SimpleUploadedFile("receipt.pdf", PDF, content_type="application/pdf")]
    )

    assert response.status_code == 201
    body = response.json()
    dispute = Dispute.objects.get()
    assert body["id"] == dispute.pk
    assert (body["status"], body["opened_by_side"], body["your_side"], body["reason"]) == (
        "awaiting_response",
        "customer",
        "customer",
        "poor_quality",
    )
    assert body["actions"] == ["add_evidence", "withdraw"]
    assert [(e["side"], e["original_name"], e["content_type"], e["size"]) for e in body["evidence"]] == [
        ("customer", "kitchen.png", "image/png", len(PNG)),
        ("customer", "receipt.pdf", "application/pdf", len(PDF)),
    ]
    assert body["evidence"][0]["url"] == f"/api/v1/disputes/{dispute.pk}/evidence/{body['evidence'][0]['id']}"
    booking = api.get(f"bookings/{worked.pk}").json()
    assert booking["status"] == "disputed"
    assert "dispute" not in booking["actions"]
    assert booking["payment"]["hold_reasons"] == ["dispute"]


def test_files_may_be_sent_as_files_brackets_too(api, worked):
    response = open_through_api(api, worked, **{"files[]": [png()]})

    assert response.status_code == 201
    assert len(response.json()["evidence"]) == 1


def test_the_organizer_reports_a_customer_no_show(api, worked, vendor):
    response = open_through_api(api, worked, user=vendor.user, reason="customer_no_show", description="Nobody home.")

    assert response.status_code == 201
    assert (response.json()["opened_by_side"], response.json()["actions"]) == (
        "organizer",
        ["add_evidence", "withdraw"],
    )


def _refused(api, booking, user=None, **data):
    before = data_snapshot()
    response = open_through_api(api, booking, user=user, **data)
    assert changed_tables(before, data_snapshot()) == []
    assert not Dispute.objects.exists()
    assert stored_files() == []
    return response.status_code, response.json()["code"]


def test_no_reason_is_refused_and_nothing_is_written(api, worked):
    assert _refused(api, worked, reason="") == (400, "validation_failed")


def test_a_reason_of_the_other_side_is_refused(api, worked):
    assert _refused(api, worked, reason="customer_no_show") == (400, "validation_failed")


def test_an_organizer_cannot_give_a_customer_reason(api, worked, vendor):
    assert _refused(api, worked, user=vendor.user, reason="poor_quality") == (400, "validation_failed")


def test_no_description_is_refused(api, worked):
    assert _refused(api, worked, description="  ") == (400, "validation_failed")


def test_a_booking_that_has_not_started_cannot_be_disputed(api, customer, service):
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    assert _refused(api, booking) == (409, "dispute_not_allowed")
    assert "dispute" not in api.get(f"bookings/{booking.pk}").json()["actions"]


def test_a_booking_whose_money_was_released_cannot_be_disputed(api, customer, service):
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    assert Transaction.objects.get(booking=booking).status == "released"

    assert _refused(api, booking) == (409, "dispute_not_allowed")


def test_a_second_dispute_is_refused(api, worked, vendor):
    opened(worked)
    before = data_snapshot()

    response = open_through_api(api, worked, user=vendor.user, reason="customer_no_show")

    assert (response.status_code, response.json()["code"]) == (409, "already_disputed")
    assert changed_tables(before, data_snapshot()) == []
    assert Dispute.objects.count() == 1


def test_a_stranger_cannot_dispute_a_booking(api, worked, other_customer):
    assert _refused(api, worked, user=other_customer) == (404, "not_found")


@pytest.mark.parametrize(
    "files",
    [
        [SimpleUploadedFile("script.png", b"<script>alert(1)</script>", content_type="image/png")],
        [SimpleUploadedFile("empty.png", b"", content_type="image/png")],
        [png(f"p{index}.png") for index in range(7)],
    ],
    ids=["not an image", "empty", "too many"],
)
def test_wrong_files_are_refused_and_nothing_is_written(api, worked, files):
    assert _refused(api, worked, files=files) == (400, "evidence_refused")


def test_a_file_over_the_size_limit_is_refused(api, worked, settings):
    settings.DISPUTE_EVIDENCE_MAX_MB = 1
    big = png("big.png", PNG + b"\x00" * MB)

    assert _refused(api, worked, files=[big]) == (400, "evidence_refused")


# --- Reading -------------------------------------------------------------------------------------


def test_each_side_lists_and_reads_its_disputes_a_stranger_gets_404(api, worked, customer, vendor, other_customer):
    dispute = opened(worked)

    assert [d["id"] for d in api.as_user(customer).get("disputes").json()["results"]] == [dispute.pk]
    assert [d["id"] for d in api.as_user(vendor.user).get("disputes").json()["results"]] == [dispute.pk]
    organizer_view = api.get(f"disputes/{dispute.pk}").json()
    assert (organizer_view["your_side"], organizer_view["actions"]) == ("organizer", ["respond", "add_evidence"])
    assert organizer_view["description"] == "Not done as agreed."
    assert api.as_user(other_customer).get("disputes").json()["results"] == []
    response = api.get(f"disputes/{dispute.pk}")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert api.get("disputes/999999").status_code == 404


def test_evidence_downloads_only_for_the_two_sides_and_staff(api, worked, vendor, other_customer, admin_user):
    response = open_through_api(api, worked, files=[png("<b>photo</b>.png")])
    dispute = response.json()
    url = dispute["evidence"][0]["url"].removeprefix("/api/v1/")

    for user in (worked.customer, vendor.user, admin_user):
        download = api.as_user(user).get(url)
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PNG
        assert download["Content-Type"] == "image/png"
        assert download["X-Content-Type-Options"] == "nosniff"
        assert download["Content-Security-Policy"] == "sandbox"
        assert download["Content-Disposition"].startswith("inline;")
    stranger = api.as_user(other_customer).get(url)
    assert (stranger.status_code, stranger.json()["code"]) == (404, "not_found")
    assert api.anonymous().get(url).status_code == 401


def test_a_pdf_is_downloaded_as_an_attachment(api, worked):
    dispute = open_through_api(
        api, worked, files=[SimpleUploadedFile("receipt.pdf", PDF, content_type="image/png")]
    ).json()

    download = api.get(dispute["evidence"][0]["url"].removeprefix("/api/v1/"))

    assert download["Content-Type"] == "application/pdf"  # from the bytes, not the browser's word
    assert download["Content-Disposition"] == 'attachment; filename="receipt.pdf"'


# --- Answering, adding, withdrawing ----------------------------------------------------------------


def test_the_organizer_answers_with_files_and_the_dispute_goes_to_staff(api, worked, vendor):
    dispute = opened(worked)

    response = multipart(
        api, vendor.user, f"disputes/{dispute.pk}/response", {"statement": "All done, see photo.", "files": [png()]}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["response"], body["actions"]) == (
        "under_review",
        "All done, see photo.",
        ["add_evidence"],
    )
    assert [e["side"] for e in body["evidence"]] == ["organizer"]


def test_the_side_that_opened_cannot_answer_and_a_second_answer_is_refused(api, worked, vendor):
    dispute = opened(worked)

    own = multipart(api, worked.customer, f"disputes/{dispute.pk}/response", {"statement": "Me again"})
    assert (own.status_code, own.json()["code"]) == (409, "dispute_not_allowed")
    multipart(api, vendor.user, f"disputes/{dispute.pk}/response", {"statement": "Done."})
    again = multipart(api, vendor.user, f"disputes/{dispute.pk}/response", {"statement": "Done twice."})
    assert (again.status_code, again.json()["code"]) == (409, "already_answered")


def test_either_side_adds_evidence_a_stranger_gets_404(api, worked, vendor, other_customer):
    dispute = opened(worked)

    added = multipart(api, vendor.user, f"disputes/{dispute.pk}/evidence", {"files": [png("after.png")]})
    assert added.status_code == 201
    assert [(e["side"], e["original_name"]) for e in added.json()] == [("organizer", "after.png")]
    empty = multipart(api, vendor.user, f"disputes/{dispute.pk}/evidence", {})
    assert (empty.status_code, empty.json()["code"]) == (400, "validation_failed")
    stranger = multipart(api, other_customer, f"disputes/{dispute.pk}/evidence", {"files": [png()]})
    assert stranger.status_code == 404
    assert Evidence.objects.count() == 1


def test_only_the_opener_withdraws(api, worked, vendor):
    dispute = opened(worked)

    other = api.as_user(vendor.user).post(f"disputes/{dispute.pk}/withdraw")
    assert (other.status_code, other.json()["code"]) == (409, "dispute_not_allowed")
    response = api.as_user(worked.customer).post(f"disputes/{dispute.pk}/withdraw")
    assert (response.status_code, response.json()["status"], response.json()["actions"]) == (200, "withdrawn", [])
    again = api.post(f"disputes/{dispute.pk}/withdraw")
    assert (again.status_code, again.json()["code"]) == (409, "dispute_closed")
    assert api.get(f"bookings/{worked.pk}").json()["status"] == "completed"


# --- Staff's decision ------------------------------------------------------------------------------


def test_staff_split_the_money(api, worked, admin_user):
    dispute = opened(worked)

    response = api.as_user(admin_user).post(
        f"disputes/{dispute.pk}/resolve", {"outcome": "split", "refund_minor": 10000, "reason": "Half was done."}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["outcome"], body["refunded_minor"], body["decision_reason"]) == (
        "resolved",
        "split",
        10000,
        "Half was done.",
    )
    assert Transaction.objects.get(booking=worked).refunded_minor == 10000


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"outcome": "split", "refund_minor": 30000, "reason": "All of it"}, 400, "refund_too_large"),
        ({"outcome": "split", "reason": "No amount"}, 400, "validation_failed"),
        ({"outcome": "refund", "refund_minor": 100, "reason": "An amount"}, 400, "validation_failed"),
        ({"outcome": "maybe", "reason": "Unknown"}, 400, "validation_failed"),
        ({"outcome": "release", "reason": ""}, 400, "validation_failed"),
    ],
    ids=["split of everything held", "split without amount", "refund with amount", "unknown outcome", "no reason"],
)
def test_bad_decisions_are_refused_and_nothing_changes(api, worked, admin_user, payload, status, code):
    dispute = opened(worked)
    before = data_snapshot()

    response = api.as_user(admin_user).post(f"disputes/{dispute.pk}/resolve", payload)

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert changed_tables(before, data_snapshot()) == []
    assert Dispute.objects.get().status == "awaiting_response"


def test_a_closed_dispute_cannot_be_resolved_and_only_staff_resolve(api, worked, admin_user, vendor):
    dispute = opened(worked)
    side = api.as_user(vendor.user).post(f"disputes/{dispute.pk}/resolve", {"outcome": "release", "reason": "Mine"})
    assert (side.status_code, side.json()["code"]) == (403, "not_permitted")
    api.as_user(admin_user).post(f"disputes/{dispute.pk}/resolve", {"outcome": "release", "reason": "Done."})

    again = api.post(f"disputes/{dispute.pk}/resolve", {"outcome": "refund", "reason": "Changed my mind"})

    assert (again.status_code, again.json()["code"]) == (409, "dispute_closed")


# --- Large uploads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": "evidence-big"}], ids=["plain", "with Idempotency-Key"])
def test_a_4_mb_photo_is_accepted_on_an_evidence_route_past_the_body_limit(api, worked, vendor, headers):
    dispute = opened(worked)
    photo = png("big.png", PNG + b"\x00" * (4 * MB))

    response = multipart(api, vendor.user, f"disputes/{dispute.pk}/evidence", {"files": [photo]}, headers=headers)

    assert response.status_code == 201
    assert response.json()[0]["size"] == len(PNG) + 4 * MB
    assert Evidence.objects.get().size == len(PNG) + 4 * MB
    if headers:
        photo.seek(0)
        replay = multipart(api, vendor.user, f"disputes/{dispute.pk}/evidence", {"files": [photo]}, headers=headers)
        assert replay["Idempotent-Replayed"] == "true"
        assert Evidence.objects.count() == 1
        assert IdempotencyRecord.objects.count() == 1


def test_a_4_mb_json_body_elsewhere_is_still_a_413(api, customer, service):
    body = json.dumps({"service_id": service.pk, "starts_at": local_slot().isoformat(), "address": "x" * (4 * MB)})

    response = api.as_user(customer).post("bookings", body)

    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")


def test_a_4_mb_json_body_to_an_evidence_route_is_a_413(api, worked):
    dispute = opened(worked)

    response = api.as_user(worked.customer).post(f"disputes/{dispute.pk}/evidence", {"files": "x" * (4 * MB)})

    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")


def test_an_upload_over_the_evidence_limits_is_a_413_before_it_is_read(api, worked, settings):
    settings.DISPUTE_EVIDENCE_MAX_MB = 1
    settings.DISPUTE_EVIDENCE_MAX_FILES = 1
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = MB
    dispute = opened(worked)

    response = multipart(
        api, worked.customer, f"disputes/{dispute.pk}/evidence", {"files": [png("big.png", PNG + b"\x00" * 3 * MB)]}
    )

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is too large: the limit for evidence uploads is 2 MB.",
        "code": "payload_too_large",
    }
    assert not Evidence.objects.exists()


def test_the_nginx_example_lets_evidence_uploads_through_up_to_the_apps_limit_and_says_it_in_the_same_words():
    nginx = (Path(django_settings.BASE_DIR) / "site" / "nginx.conf.example").read_text()
    location = nginx.split("location ~ ^/api/v1/(bookings/[0-9]+/dispute|disputes/[0-9]+/(response|evidence))$")[1]
    megabytes = int(re.search(r"client_max_body_size (\d+)m;", location).group(1))

    assert upload_limit() <= megabytes * MB < upload_limit() + MB
    assert f"the limit for evidence uploads is {data_size(upload_limit())}." in location
    for path in ("bookings/12/dispute", "disputes/3/response", "disputes/3/evidence"):
        assert re.match(r"^/api/v1/(bookings/[0-9]+/dispute|disputes/[0-9]+/(response|evidence))$", f"/api/v1/{path}")
        assert UPLOAD_ROUTES.match(f"/api/v1/{path}")
    assert not UPLOAD_ROUTES.match("/api/v1/disputes/3/withdraw")
