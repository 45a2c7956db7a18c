from datetime import date

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.accounts.permissions import Perm
from marketplace.accounts.policy import has_permission
from marketplace.core.audit import audit_log_for, audit_log_for_many
from marketplace.core.errors import NotFound
from marketplace.core.models import AuditLogEntry

from .models import CALENDAR_FEED_TOKEN_PATTERN, DocumentStatus, Vendor, VendorDocument, VerificationStatus


def vendor_for_user(*, user: User) -> Vendor | None:
    if not getattr(user, "is_authenticated", False) or not user.is_vendor:
        return None
    return Vendor.objects.select_related("profile").filter(user=user).first()


def vendor_for_calendar_feed(*, token: str) -> Vendor | None:
    """The organizer whose calendar feed this secret opens; None for a revoked, unknown or malformed one."""
    if not isinstance(token, str) or not CALENDAR_FEED_TOKEN_PATTERN.fullmatch(token):
        return None
    return Vendor.objects.filter(calendar_feed_token=token).first()


def vendor_list_verified() -> QuerySet[Vendor]:
    return Vendor.objects.filter(verification_status=VerificationStatus.VERIFIED)


def vendor_list_paused() -> QuerySet[Vendor]:
    """Organizers not taking new bookings because their payout account's information is past due."""
    return Vendor.objects.filter(new_bookings_paused_at__isnull=False).order_by("new_bookings_paused_at", "id")


def vendor_list_pending() -> QuerySet[Vendor]:
    return Vendor.objects.filter(verification_status=VerificationStatus.PENDING).order_by("created_at")


# --- Back office (platform admins) -----------------------------------------------------


def vendor_list_for_backoffice() -> QuerySet[Vendor]:
    """Every vendor in verification-queue order: pending first, then oldest first.

    ``queue_rank`` (0 for pending, 1 otherwise) is annotated so the order survives
    filtering, and a listing may sort by it explicitly.
    """
    return (
        Vendor.objects.select_related("user", "profile")
        .annotate(
            queue_rank=Case(
                When(verification_status=VerificationStatus.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("queue_rank", "created_at", "id")
    )


def vendor_verification_history(*, vendor: Vendor) -> QuerySet[AuditLogEntry]:
    """The vendor's profile submissions, the admins' decisions on them, and what happened to their
    documents (uploaded, accepted, rejected, reminded, expired), newest first."""
    documents = [str(pk) for pk in VendorDocument.objects.filter(vendor=vendor).values_list("pk", flat=True)]
    return (
        (audit_log_for(vendor).filter(action__startswith="vendor.") | audit_log_for_many(VendorDocument, documents))
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def vendor_service_list_all(*, vendor: Vendor) -> QuerySet:
    """All of a vendor's services, active or not (public lists show only the active ones)."""
    return vendor.services.select_related("category").order_by("title", "id")


# --- Documents ---------------------------------------------------------------------------


def vendor_document_list_for_vendor(*, vendor: Vendor) -> QuerySet[VendorDocument]:
    """The organizer's documents, newest first (the organizer's own page, and staff's view of their file)."""
    return (
        VendorDocument.objects.filter(vendor=vendor)
        .select_related("vendor", "reviewed_by")
        .order_by("-created_at", "-id")
    )


def vendor_document_get_for_user(*, user: User, document_id: int) -> VendorDocument:
    """A document for its organizer, or for staff who verify organizers; "not found" for anyone else."""
    document = VendorDocument.objects.select_related("vendor").filter(pk=document_id).first()
    if document is None or not getattr(user, "is_authenticated", False):
        raise NotFound("Document not found.")
    if document.vendor.user_id != user.pk and not has_permission(user, Perm.VERIFY_ORGANIZERS):
        raise NotFound("Document not found.")
    return document


def vendor_list_for_queue(*, today: date | None = None) -> QuerySet[Vendor]:
    """The verification queue (``vendor_list_for_backoffice``) with each vendor's document counts, in one query.

    ``documents_accepted_count``: current accepted documents in date; ``documents_to_review_count``:
    waiting for staff; ``documents_expired_count``: current accepted documents past their date
    (``today`` is the platform's date: an organizer's own midnight may be a few hours off,
    which the hourly expiry job settles).
    """
    today = today or timezone.localdate()
    current = Q(documents__status=DocumentStatus.ACCEPTED, documents__replaced_by__isnull=True)
    return vendor_list_for_backoffice().annotate(
        documents_accepted_count=Count(
            "documents",
            filter=current & (Q(documents__expires_on__isnull=True) | Q(documents__expires_on__gte=today)),
        ),
        documents_to_review_count=Count("documents", filter=Q(documents__status=DocumentStatus.PENDING)),
        documents_expired_count=Count("documents", filter=current & Q(documents__expires_on__lt=today)),
    )
