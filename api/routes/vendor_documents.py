"""The organizer's documents (insurance, certifications, ID): list, upload, download.

Uploading takes ``multipart/form-data`` (``kind``, ``title``, ``expires_on``, one ``file``),
like dispute evidence: the body may be larger than REQUEST_BODY_LIMIT_MB, up to one
document at VENDOR_DOCUMENT_MAX_MB (api.uploads). Staff review documents in the back office.
"""

from __future__ import annotations

from datetime import date, datetime

from django.urls import reverse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.vendors.documents import vendor_document_upload
from marketplace.vendors.downloads import vendor_document_response
from marketplace.vendors.errors import NotAVendor, NoVendorProfile, VendorDocumentRefused
from marketplace.vendors.models import VendorDocument
from marketplace.vendors.policy import document_state, vendor_today
from marketplace.vendors.selectors import vendor_document_get_for_user, vendor_document_list_for_vendor, vendor_for_user

from ..contract import raises
from ..pagination import PageOut, PageQuery, paginate
from ..schemas import ObjectId
from ..security import jwt_auth

router = Router(tags=["vendors"], auth=jwt_auth)


class VendorDocumentOut(Schema):
    id: int
    kind: str = Field(description="insurance, certification or id.")
    title: str
    expires_on: date | None = Field(
        description="The last day it is valid; none for a certification that never expires."
    )
    status: str = Field(description="pending (waiting for review), accepted or rejected.")
    review_reason: str = Field(description="Why it was rejected (or staff's note on an acceptance).")
    reviewed_at: datetime | None
    state: str = Field(description="pending, accepted, expiring (soon), expired, replaced or rejected.")
    state_text: str = Field(description="The state in words.")
    original_name: str
    content_type: str
    size: int
    created_at: datetime
    download_url: str

    @staticmethod
    def resolve_state(obj: VendorDocument) -> str:
        return document_state(obj, today=vendor_today(obj.vendor)).code

    @staticmethod
    def resolve_state_text(obj: VendorDocument) -> str:
        return document_state(obj, today=vendor_today(obj.vendor)).sentence

    @staticmethod
    def resolve_download_url(obj: VendorDocument) -> str:
        return reverse("api-v1:vendor_document_download", args=[obj.pk])


def _own_vendor(request):
    vendor = vendor_for_user(user=request.auth)
    if vendor is None:
        raise NoVendorProfile("You have no organizer profile yet: create one with POST /api/v1/vendors/profile.")
    return vendor


class VendorDocumentPage(PageOut):
    results: list[VendorDocumentOut]


@router.get("/me/documents", response={200: VendorDocumentPage})
@raises(NoVendorProfile)
def list_documents(request, page: Query[PageQuery]):
    """Your documents, newest first, each with its review status and its state in words."""
    vendor = _own_vendor(request)
    return paginate(request, vendor_document_list_for_vendor(vendor=vendor), page)


@router.post("/me/documents", response={201: VendorDocumentOut})
@raises(ValidationFailed, VendorDocumentRefused, NoVendorProfile, NotAVendor)
def upload_document(
    request,
    kind: Form[str] = "",
    title: Form[str] = "",
    expires_on: Form[str] = "",
    file: File[UploadedFile] = None,
):
    """Upload a document for review. multipart/form-data: ``kind`` (insurance, certification, id),
    ``title``, ``expires_on`` (YYYY-MM-DD; required for insurance and id, never in the past),
    ``file`` (a PDF, JPEG or PNG, read from its bytes, up to VENDOR_DOCUMENT_MAX_MB)."""
    try:
        expiry = date.fromisoformat(expires_on) if expires_on else None
    except ValueError:
        raise ValidationFailed("The expiry date must be a date (YYYY-MM-DD).", field="expires_on") from None
    if file is None:
        raise ValidationFailed("Attach the document's file (a PDF, or a JPEG or PNG photo or scan).", field="file")
    document = vendor_document_upload(
        user=request.auth, kind=kind, title=title, expires_on=expiry, file=file, name=file.name or ""
    )
    return Status(201, vendor_document_get_for_user(user=request.auth, document_id=document.pk))


@router.get("/me/documents/{document_id}/file", response={200: None}, url_name="vendor_document_download")
@raises(NotFound)
def download_document(request, document_id: ObjectId):
    """One of your documents' file (staff who verify organizers may open any); 404 for anyone else's."""
    return vendor_document_response(vendor_document_get_for_user(user=request.auth, document_id=document_id))
