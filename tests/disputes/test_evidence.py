"""Evidence files: photos and PDFs by their bytes, not their names; size and number limited; nothing half-written."""

from io import BytesIO

import pytest

from marketplace.disputes.errors import DisputeClosed, EvidenceRefused
from marketplace.disputes.evidence import sniff
from marketplace.disputes.models import Evidence
from marketplace.disputes.services import dispute_evidence_add, dispute_open, dispute_withdraw
from tests.conftest import local_slot
from tests.factories.bookings import past_paid_booking
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


@pytest.fixture
def worked(customer, service):
    return past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-1))


def stored_files() -> list[str]:
    storage = Evidence._meta.get_field("file").storage
    try:
        folders, _ = storage.listdir("disputes")
    except FileNotFoundError:
        return []
    return [name for folder in folders for name in storage.listdir(f"disputes/{folder}")[1]]


@pytest.mark.parametrize(
    ("content", "expected"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp"), (PDF, "application/pdf"), (b"GIF89a", None)],
)
def test_the_type_is_read_from_the_bytes(content, expected):
    assert sniff(content[:16]) == expected


@pytest.mark.parametrize(
    ("content", "name", "match"),
    [
        (b"<script>alert(1)</script>", "photo.jpg", "photo.jpg is not a file we accept"),
        (b"MZ\x90\x00", "invoice.pdf", "invoice.pdf is not a file we accept"),
        (b"GIF89a" + b"\x00" * 10, "cat.gif", "send JPEG, PNG or WebP photos, or PDF documents"),
        (b"", "empty.png", "empty.png is empty"),
        (PNG + b"\x00" * 1024 * 1024, "huge.png", r"huge.png is 1 MB; each file may be at most 1 MB"),
    ],
)
def test_a_wrong_file_refuses_the_whole_dispute_and_writes_nothing(worked, settings, content, name, match):
    settings.DISPUTE_EVIDENCE_MAX_MB = 1
    before = data_snapshot()

    with pytest.raises(EvidenceRefused, match=match):
        dispute_open(
            user=worked.customer,
            booking_id=worked.pk,
            reason="damage",
            description="See the photos.",
            files=[(BytesIO(PNG), "fine.png"), (BytesIO(content), name)],
        )

    assert changed_tables(before, data_snapshot()) == []
    assert stored_files() == []


def test_the_name_a_file_came_with_is_kept_cleaned_but_never_used_to_store_it(worked):
    dispute = dispute_open(
        user=worked.customer,
        booking_id=worked.pk,
        reason="damage",
        description="See the photo.",
        files=[(BytesIO(JPEG), "../../etc/<img src=x onerror=alert(1)>.jpg")],
    )

    evidence = Evidence.objects.get(dispute=dispute)
    assert evidence.original_name == "<img src=x onerror=alert(1)>.jpg"  # escaped wherever it is shown
    assert evidence.file.name == f"disputes/{dispute.pk}/customer-{evidence.token}.jpg"


def test_each_side_may_give_a_limited_number_of_files(worked, settings):
    settings.DISPUTE_EVIDENCE_MAX_FILES = 3
    dispute = dispute_open(
        user=worked.customer,
        booking_id=worked.pk,
        reason="damage",
        description="See the photos.",
        files=[(BytesIO(PNG), "1.png"), (BytesIO(PNG), "2.png")],
    )
    before = data_snapshot()

    with pytest.raises(EvidenceRefused, match="at most 3 files; you can add 1 more"):
        dispute_evidence_add(
            user=worked.customer, dispute_id=dispute.pk, files=[(BytesIO(PNG), "3.png"), (BytesIO(PDF), "4.pdf")]
        )
    assert changed_tables(before, data_snapshot()) == []

    dispute_evidence_add(user=worked.customer, dispute_id=dispute.pk, files=[(BytesIO(PDF), "3.pdf")])
    # the other side has its own allowance
    dispute_evidence_add(
        user=worked.vendor.user, dispute_id=dispute.pk, files=[(BytesIO(PNG), "a.png"), (BytesIO(PNG), "b.png")]
    )
    assert sorted(Evidence.objects.values_list("side", flat=True)) == ["customer"] * 3 + ["organizer"] * 2
    assert len(stored_files()) == 5


def test_no_evidence_is_added_to_a_closed_dispute(worked):
    dispute = dispute_open(user=worked.customer, booking_id=worked.pk, reason="damage", description="Broken vase.")
    dispute_withdraw(user=worked.customer, dispute_id=dispute.pk)

    with pytest.raises(DisputeClosed):
        dispute_evidence_add(user=worked.customer, dispute_id=dispute.pk, files=[(BytesIO(PNG), "late.png")])
    assert stored_files() == []
