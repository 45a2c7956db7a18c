"""Writes for organizers' documents: the organizer uploads, staff review, the expiry job reminds and hides.

The rules they enforce (which kinds are required, when a document counts, what hides an
organizer and what brings them back) are in ``vendors.policy``. Every write runs in one
unit of work with its audit entry; emails and the search refresh are queued jobs (the
catalog sits above this app: it is told by the job's dotted name, never imported).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import IO

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.accounts.permissions import Perm
from marketplace.accounts.policy import require_permission
from marketplace.core.audit import audit_log
from marketplace.core.db import unit_of_work
from marketplace.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from marketplace.core.jobs import enqueue
from marketplace.core.models import AuditLogEntry
from marketplace.core.uploads import CheckedFile, check_upload
from marketplace.core.validation import clean_text

from . import policy
from .errors import NotAVendor, NoVendorProfile, VendorDocumentRefused
from .models import DOCUMENT_DECISIONS, KINDS_WITH_EXPIRY, DocumentKind, DocumentStatus, Vendor, VendorDocument

TITLE_MAX_LENGTH = 120
REASON_MAX_LENGTH = 2000
# Past this, an expiry date is a typing mistake (a year of 2205), not a document.
LONGEST_VALIDITY_YEARS = 30
REVIEW_DECISIONS = {
    DocumentStatus.ACCEPTED: "vendor_document.accepted",
    DocumentStatus.REJECTED: "vendor_document.rejected",
}


def _notify(document: VendorDocument, entry: AuditLogEntry) -> None:
    enqueue("marketplace.notifications.tasks.send_vendor_document_notification", document.pk, entry.pk)


def _reindex(vendor: Vendor) -> None:
    # Whether a vendor's services are found depends on it: the catalog refreshes its search entries.
    enqueue("marketplace.catalog.tasks.service_reindex", vendor_id=vendor.pk)


def _lock_vendor(vendor_id: int) -> Vendor:
    vendor = Vendor.objects.select_for_update().filter(pk=vendor_id).first()
    if vendor is None:
        raise NotFound("Organizer not found.")
    return vendor


def check_document_file(file: IO[bytes], *, name: str) -> CheckedFile:
    """A PDF, JPEG or PNG (from its bytes) up to VENDOR_DOCUMENT_MAX_MB; ``VendorDocumentRefused`` otherwise."""
    return check_upload(
        file,
        name=name,
        accepted=policy.ACCEPTED_TYPES,
        accepted_words=policy.ACCEPTED_WORDS,
        max_bytes=policy.max_bytes(),
        refusal=VendorDocumentRefused,
        field="file",
        default_name="document",
    )


@contextlib.contextmanager
def _file_written() -> Iterator[list[VendorDocument]]:
    """The file is written to storage inside the unit of work; if it rolls back, it is deleted again."""
    stored: list[VendorDocument] = []
    try:
        yield stored
    except BaseException:
        for document in stored:
            document.file.storage.delete(document.file.name)
        raise


def _valid_expiry(kind: str, expires_on: date | None, *, today: date) -> date | None:
    label = DocumentKind(kind).label.lower()
    if expires_on is None:
        if kind in KINDS_WITH_EXPIRY:
            raise ValidationFailed(f"Give the date your {label} expires.", field="expires_on")
        return None
    if not isinstance(expires_on, date) or isinstance(expires_on, datetime):
        raise ValidationFailed("The expiry date must be a date (YYYY-MM-DD).", field="expires_on")
    if expires_on < today:
        raise ValidationFailed(
            f"The expiry date {expires_on:%d %b %Y} is in the past: upload a {label} that is still valid.",
            field="expires_on",
        )
    if expires_on.year > today.year + LONGEST_VALIDITY_YEARS:
        raise ValidationFailed(
            f"The expiry date {expires_on:%d %b %Y} is more than {LONGEST_VALIDITY_YEARS} years away: check the year.",
            field="expires_on",
        )
    return expires_on


def vendor_document_upload(
    *, user: User, kind: str, title: str, expires_on: date | None, file: IO[bytes], name: str
) -> VendorDocument:
    """The organizer gives a document (insurance, certification, ID) for staff to review.

    The kind is one of ``DocumentKind``; insurance and ID need an expiry date, a
    certification may have one; no expiry date may be in the past (the organizer's today).
    The file is a PDF, JPEG or PNG by its bytes, up to VENDOR_DOCUMENT_MAX_MB. At most
    ``policy.MAX_PENDING_DOCUMENTS`` may wait for review. A refusal writes nothing, file included.
    """
    if not user.is_vendor:
        raise NotAVendor("Only organizer accounts have documents.")
    vendor = Vendor.objects.filter(user=user).first()
    if vendor is None:
        raise NoVendorProfile("Create your organizer profile before adding documents.")
    if kind not in DocumentKind.values:
        raise ValidationFailed(
            "Choose the kind of document: liability insurance, certification or identity document.", field="kind"
        )
    title = clean_text(title, field="title", label="The title", max_length=TITLE_MAX_LENGTH) or DocumentKind(kind).label
    expires_on = _valid_expiry(kind, expires_on, today=policy.vendor_today(vendor))
    checked = check_document_file(file, name=name)
    with _file_written() as stored, unit_of_work():
        vendor = _lock_vendor(vendor.pk)
        waiting = VendorDocument.objects.filter(vendor=vendor, status=DocumentStatus.PENDING).count()
        if waiting >= policy.MAX_PENDING_DOCUMENTS:
            raise Conflict(f"You have {waiting} documents waiting for review: wait for our answer before adding more.")
        document = VendorDocument(
            vendor=vendor,
            kind=kind,
            title=title,
            expires_on=expires_on,
            uploaded_by=user,
            token=secrets.token_hex(16),
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
        )
        document.file.save("document", checked.file, save=False)
        stored.append(document)
        document.save()
        audit_log(
            actor=user,
            action="vendor_document.uploaded",
            target=document,
            data={
                "vendor": vendor.pk,
                "kind": kind,
                "title": title,
                "expires_on": expires_on.isoformat() if expires_on else None,
                "content_type": checked.content_type,
                "size": checked.size,
            },
        )
    return document


def _restore_if_renewed(vendor: Vendor, *, actor: User, today: date) -> bool:
    """Bring a hidden organizer back once no required document is lapsed any more (inside the caller's unit)."""
    if vendor.documents_expired_at is None:
        return False
    documents = list(VendorDocument.objects.filter(vendor=vendor, status=DocumentStatus.ACCEPTED, replaced_by=None))
    if policy.lapsed_kinds(documents, today=today):
        return False
    before = vendor.documents_expired_at
    vendor.documents_expired_at = None
    vendor.save(update_fields=["documents_expired_at", "updated_at"])
    audit_log(
        actor=actor,
        action="vendor.documents_restored",
        target=vendor,
        reason="Renewed document accepted",
        data={"from": {"documents_expired_at": before.isoformat()}, "to": {"documents_expired_at": None}},
    )
    _reindex(vendor)
    return True


def vendor_document_review(*, admin: User, document_id: int, decision: str, reason: str = "") -> VendorDocument:
    """Staff accept or reject a document waiting for review; rejecting needs a reason. The organizer is emailed.

    Accepting a renewal replaces the accepted document it renews (``policy.supersedes``)
    and, if that brings every lapsed required document back in date, lists the
    organizer's services again.
    """
    require_permission(admin, Perm.VERIFY_ORGANIZERS, to="review organizers' documents")
    if decision not in REVIEW_DECISIONS:
        raise ValidationFailed("decision must be one of: accepted, rejected.", field="decision")
    reason = clean_text(reason, field="reason", label="The reason", max_length=REASON_MAX_LENGTH, multiline=True)
    if decision == DocumentStatus.REJECTED and not reason:
        raise ValidationFailed(
            "A reason is required to reject a document: the organizer is emailed it.", field="reason"
        )
    vendor_id = VendorDocument.objects.filter(pk=document_id).values_list("vendor_id", flat=True).first()
    if vendor_id is None:
        raise NotFound("Document not found.")
    with unit_of_work():
        vendor = _lock_vendor(vendor_id)  # the vendor first, as the expiry job locks
        document = VendorDocument.objects.select_for_update().get(pk=document_id)
        if decision not in DOCUMENT_DECISIONS[document.status]:
            raise InvalidTransition(
                f"This document is already {document.get_status_display().lower()}: it cannot be {decision}."
            )
        now = timezone.now()
        today = policy.vendor_today(vendor, now=now)
        if decision == DocumentStatus.ACCEPTED and policy.is_expired(document, today=today):
            raise InvalidTransition("This document expired before it was reviewed: reject it and ask for the renewal.")
        replaced: list[int] = []
        if decision == DocumentStatus.ACCEPTED:
            # The renewed document steps aside first: one current accepted document per required kind.
            current = VendorDocument.objects.select_for_update().filter(
                vendor=vendor, kind=document.kind, status=DocumentStatus.ACCEPTED, replaced_by=None
            )
            replaced = [old.pk for old in current if policy.supersedes(document, old)]
            VendorDocument.objects.filter(pk__in=replaced).update(replaced_by=document, updated_at=now)
        document.status = decision
        document.review_reason = reason
        document.reviewed_by = admin
        document.reviewed_at = now
        document.save(update_fields=["status", "review_reason", "reviewed_by", "reviewed_at", "updated_at"])
        restored = decision == DocumentStatus.ACCEPTED and _restore_if_renewed(vendor, actor=admin, today=today)
        entry = audit_log(
            actor=admin,
            action=REVIEW_DECISIONS[decision],
            target=document,
            reason=reason,
            data={
                "vendor": vendor.pk,
                "from": DocumentStatus.PENDING.value,
                "to": decision,
                "replaced": replaced,
                "services_restored": restored,
            },
        )
        _notify(document, entry)
    return document


def _due_candidates(now: datetime) -> list[int]:
    """Vendors that may have a reminder or an expiry to handle (a day's margin either side of every time zone)."""
    horizon = now.date() + timedelta(days=settings.VENDOR_DOCUMENT_REMINDER_DAYS + 1)
    # A reminder is for a document not yet expired: one past it is the expiry notice's.
    not_yet_expired = now.date() - timedelta(days=1)
    due = Q(reminder_sent_at__isnull=True, expires_on__lte=horizon, expires_on__gte=not_yet_expired) | Q(
        expired_notice_sent_at__isnull=True, expires_on__lt=now.date() + timedelta(days=1)
    )
    return list(
        VendorDocument.objects.filter(due, status=DocumentStatus.ACCEPTED, replaced_by=None, expires_on__isnull=False)
        .values_list("vendor_id", flat=True)
        .distinct()
        .order_by("vendor_id")
    )


def vendor_documents_expiry_run(*, now: datetime | None = None) -> dict[str, int]:
    """Remind each organizer once before a current accepted document expires; on expiry tell them once, and
    hide the services of an organizer whose required document lapsed (``policy.lapsed_kinds``).

    Safe to run twice: each reminder and notice is marked on its document under the vendor's
    lock, and a hidden organizer is hidden once.
    """
    now = now or timezone.now()
    counts = {"reminded": 0, "expired": 0, "hidden": 0}
    for vendor_id in _due_candidates(now):
        with unit_of_work():
            vendor = _lock_vendor(vendor_id)
            today = policy.vendor_today(vendor, now=now)
            documents = list(
                VendorDocument.objects.select_for_update().filter(
                    vendor=vendor, status=DocumentStatus.ACCEPTED, replaced_by=None
                )
            )
            lapsed = policy.lapsed_kinds(documents, today=today)
            hides = bool(lapsed) and vendor.documents_expired_at is None
            for document in documents:
                if policy.expiry_notice_due(document, today=today):
                    document.expired_notice_sent_at = now
                    document.save(update_fields=["expired_notice_sent_at", "updated_at"])
                    entry = audit_log(
                        actor=None,
                        action="vendor_document.expired",
                        target=document,
                        reason="Expiry date passed",
                        data={
                            "vendor": vendor.pk,
                            "expires_on": document.expires_on.isoformat(),
                            "services_hidden": document.kind in lapsed,
                        },
                    )
                    _notify(document, entry)
                    counts["expired"] += 1
                elif policy.reminder_due(document, today=today):
                    document.reminder_sent_at = now
                    document.save(update_fields=["reminder_sent_at", "updated_at"])
                    entry = audit_log(
                        actor=None,
                        action="vendor_document.reminder_sent",
                        target=document,
                        data={"vendor": vendor.pk, "expires_on": document.expires_on.isoformat()},
                    )
                    _notify(document, entry)
                    counts["reminded"] += 1
            if hides:
                vendor.documents_expired_at = now
                vendor.save(update_fields=["documents_expired_at", "updated_at"])
                audit_log(
                    actor=None,
                    action="vendor.documents_expired",
                    target=vendor,
                    reason=policy.documents_expired_reason(lapsed),
                    data={
                        "kinds": lapsed,
                        "from": {"documents_expired_at": None},
                        "to": {"documents_expired_at": now.isoformat()},
                    },
                )
                _reindex(vendor)
                counts["hidden"] += 1
    return counts
