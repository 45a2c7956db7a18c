"""Rules about organizers' documents, in one place: which are required, when they count, what each one's state is.

- **Required**: a current accepted liability insurance and identity document
  (``REQUIRED_KINDS``). Certifications are optional: they show customers and staff what an
  organizer has trained in, may have an expiry date (reminded like the others), and never
  hide anything when they expire.
- **Counts**: accepted by staff, not replaced by an accepted renewal, and not expired. A
  document is valid through its ``expires_on`` day in the organizer's time zone.
- **In order** (``documents_in_order``): every required kind counts.
- **Lapsed** (``lapsed_kinds``): a required kind whose current accepted document has expired.
  Only a lapse hides an organizer (the expiry job sets ``Vendor.documents_expired_at``);
  an organizer who never gave a required document is the verification reviewer's call
  (the queue shows it as missing), not the job's.
- **Restored**: when staff accept the renewal, not when it is uploaded: an upload is the
  organizer's word, an acceptance is ours.
- **Listed** (``listed_filter``): verified and not hidden for expired documents. The catalog's
  public listings and search filter on it, and ``bookings.policy.takes_new_bookings`` asks
  the same flag, so a hidden organizer's services are neither found nor bookable, while their
  confirmed bookings go on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import DocumentKind, DocumentStatus, Vendor, VendorDocument, VerificationStatus

REQUIRED_KINDS = (DocumentKind.INSURANCE, DocumentKind.ID)
# How many documents an organizer may have waiting for review at once (each up to VENDOR_DOCUMENT_MAX_MB).
MAX_PENDING_DOCUMENTS = 10
ACCEPTED_TYPES = ("application/pdf", "image/jpeg", "image/png")
ACCEPTED_WORDS = "a PDF, or a JPEG or PNG photo or scan"


def max_bytes() -> int:
    return int(settings.VENDOR_DOCUMENT_MAX_MB * 1024 * 1024)


def listed_filter(prefix: str = "") -> Q:
    """Organizers whose services customers may find and book (``prefix`` as in ``"vendor__"``)."""
    return Q(**{f"{prefix}verification_status": VerificationStatus.VERIFIED, f"{prefix}documents_expired_at": None})


def vendor_today(vendor: Vendor, *, now: datetime | None = None) -> date:
    """Today's date where the organizer works: documents expire at their midnight."""
    return (now or timezone.now()).astimezone(ZoneInfo(vendor.time_zone)).date()


def is_expired(document: VendorDocument, *, today: date) -> bool:
    return document.expires_on is not None and document.expires_on < today


def supersedes(new: VendorDocument, old: VendorDocument) -> bool:
    """Whether accepting ``new`` replaces the accepted ``old``: the same required kind, or the same certification.

    An organizer has one insurance and one identity document at a time, but may hold several
    certifications: a certification renews the accepted one with the same title.
    """
    if new.pk == old.pk or new.kind != old.kind or new.vendor_id != old.vendor_id:
        return False
    if new.kind == DocumentKind.CERTIFICATION:
        return new.title.strip().casefold() == old.title.strip().casefold()
    return True


def _current_of_kind(documents: Iterable[VendorDocument], kind: str) -> list[VendorDocument]:
    return [d for d in documents if d.kind == kind and d.is_current]


def missing_kinds(documents: Iterable[VendorDocument], *, today: date) -> list[str]:
    """Required kinds with no accepted, current, unexpired document."""
    documents = list(documents)
    return [
        kind
        for kind in REQUIRED_KINDS
        if not any(not is_expired(d, today=today) for d in _current_of_kind(documents, kind))
    ]


def lapsed_kinds(documents: Iterable[VendorDocument], *, today: date) -> list[str]:
    """Required kinds whose current accepted document has expired (what hides an organizer)."""
    documents = list(documents)
    return [
        kind
        for kind in REQUIRED_KINDS
        if (current := _current_of_kind(documents, kind)) and all(is_expired(d, today=today) for d in current)
    ]


def documents_in_order(vendor: Vendor, *, documents: Iterable[VendorDocument] | None = None, today=None) -> bool:
    """Every required kind has an accepted, current, unexpired document."""
    documents = vendor.documents.all() if documents is None else documents
    return not missing_kinds(documents, today=today or vendor_today(vendor))


def kinds_text(kinds: Iterable[str]) -> str:
    labels = [DocumentKind(kind).label.lower() for kind in kinds]
    return " and ".join(labels)


def documents_expired_reason(kinds: Iterable[str]) -> str:
    """Why an organizer is hidden, in their words."""
    return f"Your {kinds_text(kinds)} expired: upload the renewal; your services come back once we accept it."


def reminder_due(document: VendorDocument, *, today: date) -> bool:
    """The one reminder: a current accepted document expiring within VENDOR_DOCUMENT_REMINDER_DAYS, not yet reminded."""
    if not document.is_current or document.expires_on is None or document.reminder_sent_at is not None:
        return False
    return 0 <= (document.expires_on - today).days <= settings.VENDOR_DOCUMENT_REMINDER_DAYS


def expiry_notice_due(document: VendorDocument, *, today: date) -> bool:
    """The one expiry notice: a current accepted document that has expired, not yet told."""
    return document.is_current and is_expired(document, today=today) and document.expired_notice_sent_at is None


@dataclass(frozen=True)
class DocumentState:
    """A document's state as the organizer and staff read it."""

    code: str  # pending, accepted, expiring, expired, replaced, rejected
    label: str
    sentence: str

    @property
    def needs_attention(self) -> bool:
        return self.code in {"expiring", "expired", "rejected"}


def document_state(document: VendorDocument, *, today: date) -> DocumentState:
    if document.status == DocumentStatus.REJECTED:
        return DocumentState("rejected", "Rejected", f"Not accepted: {document.review_reason}")
    if document.status == DocumentStatus.PENDING:
        if is_expired(document, today=today):
            return DocumentState("expired", "Expired", "It expired before we reviewed it: upload the renewal.")
        return DocumentState("pending", "Waiting for review", "We review documents within two working days.")
    if document.replaced_by_id is not None:
        return DocumentState("replaced", "Replaced", "An accepted renewal took its place.")
    if is_expired(document, today=today):
        return DocumentState("expired", "Expired", f"Expired on {document.expires_on:%d %b %Y}: upload the renewal.")
    if document.expires_on is None:
        return DocumentState("accepted", "Accepted", "Accepted; it does not expire.")
    days = (document.expires_on - today).days
    if days <= settings.VENDOR_DOCUMENT_REMINDER_DAYS:
        when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
        return DocumentState("expiring", f"Expires {when}", f"Expires {when}: upload the renewal now.")
    return DocumentState("accepted", "Accepted", f"Accepted; valid until {document.expires_on:%d %b %Y}.")


def documents_summary(*, accepted: int, to_review: int, expired: int) -> str:
    """The queue's one-line count, e.g. "2 accepted, 1 to review, 1 expired" ("None" when there are none)."""
    parts = [
        f"{count} {label}"
        for count, label in ((accepted, "accepted"), (to_review, "to review"), (expired, "expired"))
        if count
    ]
    return ", ".join(parts) or "None"
