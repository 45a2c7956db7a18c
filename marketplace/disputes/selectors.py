"""Reads of disputes for the faces: a side's own disputes, staff's queue, and one evidence file.

Who may see a dispute is the policy's answer (``can_see_dispute``); staff (platform
admins) see every dispute. Strangers get ``NotFound``, so a dispute's existence is never
revealed to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When

from marketplace.accounts.models import User
from marketplace.accounts.permissions import Perm
from marketplace.accounts.policy import has_permission
from marketplace.core.audit import audit_log_for
from marketplace.core.errors import NotFound
from marketplace.core.models import AuditLogEntry

from .models import OPEN_DISPUTE_STATUSES, Dispute, DisputeStatus, Evidence
from .policy import can_see_dispute


def _disputes() -> QuerySet[Dispute]:
    return Dispute.objects.select_related(
        "booking__vendor__user", "booking__customer", "booking__service", "opened_by", "decided_by"
    ).prefetch_related(Prefetch("evidence", queryset=Evidence.objects.order_by("created_at", "id")))


def dispute_list_for_user(*, user: User) -> QuerySet[Dispute]:
    """The disputes over the user's bookings, as the customer or as the organizer; newest first."""
    return _disputes().filter(Q(booking__customer=user) | Q(booking__vendor__user=user))


def dispute_get_for_user(*, user: User, dispute_id: int) -> Dispute:
    """One dispute for one of its two sides, or for staff who resolve disputes; ``NotFound`` for anyone else."""
    dispute = _disputes().filter(pk=dispute_id).first()
    if dispute is None:
        raise NotFound("Dispute not found.")
    if not has_permission(user, Perm.RESOLVE_DISPUTES):
        can_see_dispute(dispute, user=user).require()
    return dispute


def dispute_for_booking(*, booking_id: int) -> Dispute | None:
    return _disputes().filter(booking_id=booking_id).first()


def dispute_queue(*, status: str | None = None) -> QuerySet[Dispute]:
    """Staff's queue: disputes under review first, then those awaiting an answer, then closed ones;
    within each, the oldest deadline first."""
    disputes = _disputes()
    if status:
        disputes = disputes.filter(status=status)
    rank = Case(
        When(status=DisputeStatus.UNDER_REVIEW, then=Value(0)),
        When(status=DisputeStatus.AWAITING_RESPONSE, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return disputes.annotate(queue_rank=rank).order_by("queue_rank", "respond_by", "id")


def dispute_open_counts() -> dict[str, int]:
    """Open disputes (``OPEN_DISPUTE_STATUSES``) by status, every open status present (zero when none), in one query."""
    rows = dict(
        Dispute.objects.filter(status__in=OPEN_DISPUTE_STATUSES)
        .order_by()
        .values_list("status")
        .annotate(count=Count("id"))
    )
    return {status: rows.get(status, 0) for status in OPEN_DISPUTE_STATUSES}


def evidence_get_for_user(*, user: User, dispute_id: int, evidence_id: int) -> Evidence:
    """One evidence file, for the dispute's two sides and staff only (``NotFound`` otherwise)."""
    dispute = dispute_get_for_user(user=user, dispute_id=dispute_id)
    evidence = next((item for item in dispute.evidence.all() if item.pk == evidence_id), None)
    if evidence is None:
        raise NotFound("Evidence not found.")
    return evidence


def dispute_audit_trail(*, dispute: Dispute) -> QuerySet[AuditLogEntry]:
    """Everything logged about the dispute, oldest first."""
    return audit_log_for(dispute).select_related("actor").order_by("created_at", "id")


DISPUTE_EXPORT_COLUMNS = (
    "booking__reference",
    "created_at",
    "status",
    "opened_by_side",
    "reason",
    "booking__customer__email",
    "booking__vendor__business_name",
    "respond_by",
    "outcome",
    "currency",
    "refunded_minor",
    "closed_at",
)


def dispute_rows_for_export(*, opened_from: datetime, opened_to: datetime) -> Iterator[tuple]:
    """Every dispute opened in [opened_from, opened_to), oldest first, as ``DISPUTE_EXPORT_COLUMNS`` tuples.
    Read in chunks, like the ledger's lines."""
    return (
        Dispute.objects.filter(created_at__gte=opened_from, created_at__lt=opened_to)
        .order_by("created_at", "id")
        .values_list(*DISPUTE_EXPORT_COLUMNS)
        .iterator(chunk_size=2000)
    )
