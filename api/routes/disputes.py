"""Disputes: open one over a booking, answer it, add evidence, withdraw it, and staff's decision.

Opening, answering and adding evidence take ``multipart/form-data`` (text fields and the
files, repeated as ``files``; ``files[]`` is accepted too). These three routes may carry a
body larger than REQUEST_BODY_LIMIT_MB, up to the evidence limits (api.uploads); every
other route keeps the limit. The rules (who, when, which files) are the dispute domain's.
"""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from marketplace.accounts.errors import NotPermitted
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.money import Money
from marketplace.disputes.downloads import evidence_response
from marketplace.disputes.errors import (
    AlreadyAnswered,
    AlreadyDisputed,
    DisputeClosed,
    DisputeNotAllowed,
    EvidenceRefused,
    ResponseTooLate,
)
from marketplace.disputes.models import Dispute
from marketplace.disputes.policy import can_add_evidence, can_respond, can_withdraw, side_of
from marketplace.disputes.selectors import dispute_get_for_user, dispute_list_for_user, evidence_get_for_user
from marketplace.disputes.services import (
    STATEMENT_MAX_LENGTH,
    dispute_evidence_add,
    dispute_open,
    dispute_resolve,
    dispute_respond,
    dispute_withdraw,
)
from marketplace.payments.errors import RefundTooLarge

from ..contract import raises
from ..pagination import PageOut, PageQuery, paginate
from ..schemas import ObjectId
from ..security import jwt_auth

router = Router(tags=["disputes"], auth=jwt_auth)
# POST /bookings/{id}/dispute: the path the issue asks for, kept in this module with the other dispute routes.
booking_router = Router(tags=["disputes"], auth=jwt_auth)

FILES_HELP = (
    "Photos (JPEG, PNG, WebP) or PDFs, each up to DISPUTE_EVIDENCE_MAX_MB, at most DISPUTE_EVIDENCE_MAX_FILES "
    "per side in all; the type is read from the file's bytes."
)


class EvidenceOut(Schema):
    id: int
    side: str = Field(description="customer or organizer: who gave it.")
    original_name: str = Field(description="The uploader's file name (their text: escape it when you show it).")
    content_type: str = Field(description="Checked from the file's bytes.")
    size: int
    created_at: datetime
    url: str = Field(description="Download it (the two sides and staff only).")

    @staticmethod
    def resolve_url(obj) -> str:
        return reverse("api-v1:dispute_evidence_download", args=[obj.dispute_id, obj.pk])


class DisputeOut(Schema):
    id: int
    booking_id: int
    booking_reference: str
    status: str = Field(description="awaiting_response, under_review, resolved or withdrawn.")
    opened_by_side: str
    your_side: str | None = Field(description="customer or organizer; null for staff.")
    reason: str
    reason_label: str
    description: str
    respond_by: datetime = Field(description="The deadline for the other side's answer.")
    response: str
    responded_at: datetime | None
    outcome: str = Field(description="release, refund or split once resolved; empty before.")
    refunded_minor: int = Field(description="What the decision gave back to the customer.")
    currency: str
    decision_reason: str
    created_at: datetime
    closed_at: datetime | None
    evidence: list[EvidenceOut]
    actions: list[str] = Field(description="What you may do now: respond, add_evidence, withdraw.")

    @staticmethod
    def resolve_booking_reference(obj) -> str:
        return obj.booking.reference

    @staticmethod
    def resolve_reason_label(obj) -> str:
        return obj.get_reason_display()

    @staticmethod
    def resolve_your_side(obj, context) -> str | None:
        return side_of(obj.booking, context["request"].auth)

    @staticmethod
    def resolve_evidence(obj) -> list:
        return list(obj.evidence.all())

    @staticmethod
    def resolve_actions(obj, context) -> list[str]:
        user = context["request"].auth
        checks = {"respond": can_respond, "add_evidence": can_add_evidence, "withdraw": can_withdraw}
        return [name for name, check in checks.items() if check(obj, user=user)]


class ResolveIn(Schema):
    outcome: str = Field(description="release (to the organizer), refund (in full) or split.")
    reason: str = Field(max_length=STATEMENT_MAX_LENGTH, description="Shown to both sides.")
    refund_minor: int | None = Field(
        default=None, gt=0, description="A split only: what the customer gets back, less than what is held."
    )


def _uploads(request) -> list[tuple[UploadedFile, str]]:
    files = request.FILES.getlist("files") + request.FILES.getlist("files[]")
    return [(file, file.name or "") for file in files]


def _fresh(request, dispute: Dispute) -> Dispute:
    return dispute_get_for_user(user=request.auth, dispute_id=dispute.pk)


@booking_router.post("/{booking_id}/dispute", response={201: DisputeOut})
@raises(ValidationFailed, EvidenceRefused, NotFound, AlreadyDisputed, DisputeNotAllowed)
def open_dispute(
    request,
    booking_id: ObjectId,
    reason: Form[str] = "",
    description: Form[str] = "",
    files: File[list[UploadedFile]] = None,
):
    """Customer (about the work) or organizer (a customer no-show): dispute a booking after its start,
    while its money is still held. The escrow is frozen until staff decide. multipart/form-data.

    Reasons: the customer's are not_done, poor_quality, damage, overcharged, organizer_no_show, other;
    the organizer's are customer_no_show, other."""
    dispute = dispute_open(
        user=request.auth, booking_id=booking_id, reason=reason, description=description, files=_uploads(request)
    )
    return Status(201, _fresh(request, dispute))


class DisputePage(PageOut):
    results: list[DisputeOut]


@router.get("", response={200: DisputePage})
def list_disputes(request, page: Query[PageQuery]):
    """Your disputes, as the customer or as the organizer; newest first."""
    return paginate(request, dispute_list_for_user(user=request.auth), page)


@router.get("/{dispute_id}", response={200: DisputeOut})
@raises(NotFound)
def get_dispute(request, dispute_id: ObjectId):
    """One of your disputes (staff: any): both statements, the evidence, the deadline and the decision."""
    return dispute_get_for_user(user=request.auth, dispute_id=dispute_id)


@router.post("/{dispute_id}/response", response={200: DisputeOut})
@raises(ValidationFailed, EvidenceRefused, NotFound, AlreadyAnswered, DisputeNotAllowed, DisputeClosed, ResponseTooLate)
def respond(request, dispute_id: ObjectId, statement: Form[str] = "", files: File[list[UploadedFile]] = None):
    """The other side answers, once, before respond_by; the dispute goes to staff. multipart/form-data."""
    dispute = dispute_respond(user=request.auth, dispute_id=dispute_id, statement=statement, files=_uploads(request))
    return _fresh(request, dispute)


@router.post("/{dispute_id}/evidence", response={201: list[EvidenceOut]})
@raises(ValidationFailed, EvidenceRefused, NotFound, DisputeClosed, DisputeNotAllowed)
def add_evidence(request, dispute_id: ObjectId, files: File[list[UploadedFile]] = None):
    """Either side adds files while the dispute is open. multipart/form-data."""
    return Status(201, dispute_evidence_add(user=request.auth, dispute_id=dispute_id, files=_uploads(request)))


@router.post("/{dispute_id}/withdraw", response={200: DisputeOut})
@raises(NotFound, DisputeClosed, DisputeNotAllowed)
def withdraw(request, dispute_id: ObjectId):
    """The side that opened the dispute takes it back: the booking completes and the money is paid out."""
    return _fresh(request, dispute_withdraw(user=request.auth, dispute_id=dispute_id))


@router.get("/{dispute_id}/evidence/{evidence_id}", response={200: None}, url_name="dispute_evidence_download")
@raises(NotFound)
def download_evidence(request, dispute_id: ObjectId, evidence_id: ObjectId):
    """The file, to the dispute's two sides and staff only, with its checked type and as an attachment."""
    return evidence_response(evidence_get_for_user(user=request.auth, dispute_id=dispute_id, evidence_id=evidence_id))


@router.post("/{dispute_id}/resolve", response={200: DisputeOut})
@raises(ValidationFailed, RefundTooLarge, NotPermitted, NotFound, DisputeClosed)
def resolve(request, dispute_id: ObjectId, payload: ResolveIn):
    """Staff decide: release to the organizer, refund the customer in full, or split (refund_minor to the
    customer, the rest to the organizer). The reason is shown to both sides."""
    refund = None
    if payload.refund_minor is not None:
        dispute = dispute_get_for_user(user=request.auth, dispute_id=dispute_id)
        refund = Money(payload.refund_minor, dispute.currency)
    dispute = dispute_resolve(
        staff=request.auth, dispute_id=dispute_id, outcome=payload.outcome, reason=payload.reason, refund=refund
    )
    return _fresh(request, dispute)
