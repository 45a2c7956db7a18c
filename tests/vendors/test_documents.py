"""Organizers' documents: upload, staff review, reminders, and expiry hiding services until a renewal is accepted."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.core import mail

from marketplace.bookings.models import BookingStatus
from marketplace.bookings.policy import can_accept, takes_new_bookings
from marketplace.bookings.search import service_find
from marketplace.catalog.errors import ServiceNotFound
from marketplace.catalog.search.criteria import search_criteria
from marketplace.catalog.selectors import service_list_public
from marketplace.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from marketplace.core.models import AuditLogEntry
from marketplace.vendors.documents import vendor_document_review, vendor_document_upload, vendor_documents_expiry_run
from marketplace.vendors.errors import NotAVendor, VendorDocumentRefused, VendorDocumentsExpired
from marketplace.vendors.models import DocumentStatus, VendorDocument
from marketplace.vendors.policy import documents_in_order, vendor_today
from tests.factories import CustomerFactory, ServiceFactory
from tests.factories.bookings import paid_booking, request_booking
from tests.factories.documents import PDF, PNG, accepted_document, age_document, uploaded_document
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db


def stored_files(vendor) -> list[str]:
    storage = VendorDocument._meta.get_field("file").storage
    try:
        return storage.listdir(f"vendors/{vendor.pk}/documents")[1]
    except FileNotFoundError:
        return []


def entries(action: str):
    return list(AuditLogEntry.objects.filter(action=action).order_by("pk"))


# --- Upload ---------------------------------------------------------------------------------------


def test_an_organizer_uploads_a_document_for_review(vendor):
    expires_on = vendor_today(vendor) + timedelta(days=200)

    document = vendor_document_upload(
        user=vendor.user,
        kind="insurance",
        title="Public liability 2027",
        expires_on=expires_on,
        file=BytesIO(PDF),
        name="C:\\scans\\policy.pdf",
    )

    document.refresh_from_db()
    assert document.status == DocumentStatus.PENDING
    assert document.title == "Public liability 2027"
    assert document.expires_on == expires_on
    assert document.content_type == "application/pdf"
    assert document.original_name == "policy.pdf"
    assert document.size == len(PDF)
    assert document.file.name == f"vendors/{vendor.pk}/documents/insurance-{document.token}.pdf"
    assert document.file.open("rb").read() == PDF
    (entry,) = entries("vendor_document.uploaded")
    assert entry.actor == vendor.user
    assert entry.data == {
        "vendor": vendor.pk,
        "kind": "insurance",
        "title": "Public liability 2027",
        "expires_on": expires_on.isoformat(),
        "content_type": "application/pdf",
        "size": len(PDF),
    }


def test_a_certification_may_have_no_expiry_and_takes_its_kind_as_title(vendor):
    document = uploaded_document(vendor, kind="certification", expires_in_days=None, content=PNG, name="cert.png")

    assert document.expires_on is None
    assert document.title == "Certification"
    assert document.content_type == "image/png"


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        (
            {"content": b"Just some text", "name": "policy.pdf"},
            VendorDocumentRefused,
            "policy.pdf is not a file we accept",
        ),
        (
            {"content": b"MZ\x90\x00" + b"\x00" * 60, "name": "setup.exe"},
            VendorDocumentRefused,
            "send a PDF, or a JPEG",
        ),
        (
            {"content": b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64, "name": "id.webp"},
            VendorDocumentRefused,
            "id.webp is not a file we accept",
        ),
        ({"content": b"", "name": "empty.pdf"}, VendorDocumentRefused, "empty.pdf is empty"),
        (
            {"content": PDF + b"0" * 1024 * 1024, "name": "huge.pdf"},
            VendorDocumentRefused,
            "each file may be at most 1 MB",
        ),
        ({"expires_in_days": -1}, ValidationFailed, "is in the past"),
        ({"expires_in_days": None}, ValidationFailed, "Give the date your liability insurance expires."),
        ({"expires_in_days": 365 * 40}, ValidationFailed, "more than 30 years away"),
        ({"kind": "passport"}, ValidationFailed, "Choose the kind of document"),
        ({"title": "Line\nbreak"}, ValidationFailed, "cannot contain line breaks"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_writes_nothing(vendor, settings, fields, error, message):
    settings.VENDOR_DOCUMENT_MAX_MB = 1
    before = data_snapshot()

    with pytest.raises(error, match=message):
        uploaded_document(vendor, **fields)

    assert changed_tables(before, data_snapshot()) == []
    assert stored_files(vendor) == []


def test_a_customer_has_no_documents(customer):
    with pytest.raises(NotAVendor):
        vendor_document_upload(
            user=customer, kind="insurance", title="", expires_on=None, file=BytesIO(PDF), name="x.pdf"
        )


def test_too_many_documents_waiting_for_review_are_refused(vendor):
    for _ in range(10):
        uploaded_document(vendor)
    before = data_snapshot()

    with pytest.raises(Exception, match="10 documents waiting for review"):
        uploaded_document(vendor)

    assert changed_tables(before, data_snapshot()) == []
    assert len(stored_files(vendor)) == 10


# --- Review ---------------------------------------------------------------------------------------


def test_staff_accept_a_document_and_the_organizer_is_emailed(vendor, admin_user):
    document = uploaded_document(vendor)

    vendor_document_review(admin=admin_user, document_id=document.pk, decision="accepted", reason="Checked cover")

    document.refresh_from_db()
    assert document.status == DocumentStatus.ACCEPTED
    assert document.reviewed_by == admin_user
    assert document.reviewed_at is not None
    (entry,) = entries("vendor_document.accepted")
    assert entry.reason == "Checked cover"
    assert entry.data == {
        "vendor": vendor.pk,
        "from": "pending",
        "to": "accepted",
        "replaced": [],
        "services_restored": False,
    }
    (email,) = mail.outbox
    assert email.to == [vendor.user.email]
    assert email.subject == "Your liability insurance was accepted"
    assert "Our note: Checked cover" in email.body


def test_staff_reject_with_a_reason_the_organizer_is_emailed(vendor, admin_user):
    document = uploaded_document(vendor, kind="id", title="Passport")

    vendor_document_review(
        admin=admin_user, document_id=document.pk, decision="rejected", reason="The photo page is cut off."
    )

    document.refresh_from_db()
    assert document.status == DocumentStatus.REJECTED
    assert document.review_reason == "The photo page is cut off."
    (entry,) = entries("vendor_document.rejected")
    assert (entry.actor, entry.data["from"], entry.data["to"]) == (admin_user, "pending", "rejected")
    (email,) = mail.outbox
    assert email.subject == "Your identity document was not accepted"
    assert "Why: The photo page is cut off." in email.body
    assert "Passport" in email.body


def test_rejecting_without_a_reason_is_refused_and_changes_nothing(vendor, admin_user):
    document = uploaded_document(vendor)
    before = data_snapshot()

    with pytest.raises(ValidationFailed, match="A reason is required to reject a document"):
        vendor_document_review(admin=admin_user, document_id=document.pk, decision="rejected", reason="  ")

    assert changed_tables(before, data_snapshot()) == []


def test_only_staff_who_verify_organizers_review_documents(vendor, other_vendor):
    document = uploaded_document(vendor)
    before = data_snapshot()

    for user in (vendor.user, other_vendor.user, CustomerFactory()):
        with pytest.raises(PermissionDenied):
            vendor_document_review(admin=user, document_id=document.pk, decision="accepted")

    assert changed_tables(before, data_snapshot())[:1] in ([], ["accounts.User"])


def test_a_document_is_reviewed_once(vendor, admin_user):
    document = accepted_document(vendor, admin=admin_user)
    before = data_snapshot()

    with pytest.raises(InvalidTransition, match="already accepted"):
        vendor_document_review(admin=admin_user, document_id=document.pk, decision="rejected", reason="Oops")

    assert changed_tables(before, data_snapshot()) == []


def test_an_accepted_renewal_replaces_the_document_it_renews(vendor, admin_user):
    old = accepted_document(vendor, admin=admin_user, expires_in_days=10)
    certification = accepted_document(vendor, admin=admin_user, kind="certification", title="KonMari")
    renewal = accepted_document(vendor, admin=admin_user, expires_in_days=375)

    old.refresh_from_db()
    certification.refresh_from_db()
    assert old.replaced_by == renewal
    assert certification.replaced_by is None
    assert entries("vendor_document.accepted")[-1].data["replaced"] == [old.pk]


def test_documents_are_in_order_with_a_current_insurance_and_id(vendor, admin_user):
    assert not documents_in_order(vendor)
    accepted_document(vendor, admin=admin_user, kind="insurance")
    assert not documents_in_order(vendor)
    accepted_document(vendor, admin=admin_user, kind="id")
    assert documents_in_order(vendor)


# --- Reminders and expiry ------------------------------------------------------------------------


def test_one_reminder_before_a_document_expires(vendor, admin_user, settings):
    settings.VENDOR_DOCUMENT_REMINDER_DAYS = 14
    document = accepted_document(vendor, admin=admin_user, expires_in_days=20)
    mail.outbox.clear()

    assert vendor_documents_expiry_run() == {"reminded": 0, "expired": 0, "hidden": 0}
    age_document(document, expires_in_days=14)
    assert vendor_documents_expiry_run() == {"reminded": 1, "expired": 0, "hidden": 0}
    assert vendor_documents_expiry_run() == {"reminded": 0, "expired": 0, "hidden": 0}

    (email,) = mail.outbox
    assert email.subject == f"Your liability insurance expires on {document.expires_on:%d %b %Y}: upload the renewal"
    assert len(entries("vendor_document.reminder_sent")) == 1


@pytest.fixture
def documented_vendor(vendor, admin_user):
    """A listed organizer with an accepted insurance and ID; returns the insurance."""
    accepted_document(vendor, admin=admin_user, kind="id", title="Passport", expires_in_days=900)
    return accepted_document(vendor, admin=admin_user, kind="insurance", title="Liability", expires_in_days=30)


def test_an_expired_required_document_hides_the_services_until_a_renewal_is_accepted(
    vendor, service, customer, admin_user, documented_vendor, slot
):
    confirmed = paid_booking(customer=customer, service=service, starts_at=slot)
    assert confirmed.status == BookingStatus.CONFIRMED
    age_document(documented_vendor, expires_in_days=-1)
    mail.outbox.clear()

    first = vendor_documents_expiry_run()
    second = vendor_documents_expiry_run()

    assert first == {"reminded": 0, "expired": 1, "hidden": 1}
    assert second == {"reminded": 0, "expired": 0, "hidden": 0}
    vendor.refresh_from_db()
    assert vendor.documents_expired_at is not None
    assert list(service_list_public()) == []
    assert found("declutter") == []
    assert found() == []
    verdict = takes_new_bookings(vendor)
    assert isinstance(verdict.refusal, VendorDocumentsExpired)
    with pytest.raises(ServiceNotFound):
        request_booking(customer=customer, service=service, starts_at=slot + timedelta(days=1))
    confirmed.refresh_from_db()
    assert confirmed.status == BookingStatus.CONFIRMED
    (hidden,) = entries("vendor.documents_expired")
    assert hidden.data["kinds"] == ["insurance"]
    assert hidden.data["from"] == {"documents_expired_at": None}
    assert hidden.data["to"] == {"documents_expired_at": vendor.documents_expired_at.isoformat()}
    (email,) = mail.outbox
    assert email.subject == "Your liability insurance has expired"
    assert "Your services are hidden from customers" in email.body

    renewal = uploaded_document(vendor, kind="insurance", title="Liability 2028")
    vendor.refresh_from_db()
    assert vendor.documents_expired_at is not None  # an upload is the organizer's word, not ours

    vendor_document_review(admin=admin_user, document_id=renewal.pk, decision="accepted")

    vendor.refresh_from_db()
    assert vendor.documents_expired_at is None
    assert [s.pk for s in service_list_public()] == [service.pk]
    assert [s.pk for s in found("declutter")] == [service.pk]
    assert takes_new_bookings(vendor).allowed
    (restored,) = entries("vendor.documents_restored")
    assert restored.actor == admin_user
    assert restored.data["to"] == {"documents_expired_at": None}
    assert "your services are listed and take new bookings" in mail.outbox[-1].body
    assert vendor_documents_expiry_run() == {"reminded": 0, "expired": 0, "hidden": 0}


def test_an_expired_certification_is_told_but_hides_nothing(vendor, service, admin_user, documented_vendor):
    certification = accepted_document(vendor, admin=admin_user, kind="certification", title="NAPO", expires_in_days=5)
    age_document(certification, expires_in_days=-1)
    mail.outbox.clear()

    assert vendor_documents_expiry_run() == {"reminded": 0, "expired": 1, "hidden": 0}

    vendor.refresh_from_db()
    assert vendor.documents_expired_at is None
    assert [s.pk for s in service_list_public()] == [service.pk]
    assert "Your services are hidden" not in mail.outbox[0].body


def test_a_paid_request_cannot_be_accepted_while_hidden(vendor, category, customer, documented_vendor, slot):
    request_to_book = ServiceFactory(vendor=vendor, category=category, instant_booking=False)
    booking = paid_booking(customer=customer, service=request_to_book, starts_at=slot)
    assert booking.status == BookingStatus.REQUESTED
    age_document(documented_vendor, expires_in_days=-1)
    vendor_documents_expiry_run()
    booking.refresh_from_db()

    assert isinstance(can_accept(booking, user=vendor.user).refusal, VendorDocumentsExpired)


def found(q: str = "") -> list:
    """The services a customer finds with ``q``: the search engine's entries must follow the organizer's listing."""
    results = service_find(search_criteria(q=q))
    assert results.total == len(results.services)  # counted from the index: no stale entry left behind
    return results.services
