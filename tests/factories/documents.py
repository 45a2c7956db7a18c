"""Organizers' documents through the real services: uploaded, accepted, and aged past their expiry."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

from marketplace.vendors.documents import vendor_document_review, vendor_document_upload
from marketplace.vendors.models import DocumentKind, Vendor, VendorDocument
from marketplace.vendors.policy import vendor_today

PDF = b"%PDF-1.4\n" + b"0" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def uploaded_document(
    vendor: Vendor,
    *,
    kind: str = DocumentKind.INSURANCE,
    title: str = "",
    expires_in_days: int | None = 365,
    content: bytes = PDF,
    name: str = "document.pdf",
) -> VendorDocument:
    expires_on = None if expires_in_days is None else vendor_today(vendor) + timedelta(days=expires_in_days)
    return vendor_document_upload(
        user=vendor.user, kind=kind, title=title, expires_on=expires_on, file=BytesIO(content), name=name
    )


def accepted_document(vendor: Vendor, *, admin, **fields) -> VendorDocument:
    document = uploaded_document(vendor, **fields)
    return vendor_document_review(admin=admin, document_id=document.pk, decision="accepted")


def age_document(document: VendorDocument, *, expires_in_days: int) -> VendorDocument:
    """Move the expiry date as if time had passed (negative: expired that many days ago)."""
    document.expires_on = vendor_today(document.vendor) + timedelta(days=expires_in_days)
    VendorDocument.objects.filter(pk=document.pk).update(expires_on=document.expires_on)
    return document
