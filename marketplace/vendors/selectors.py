from django.db.models import Case, IntegerField, QuerySet, Value, When

from marketplace.accounts.models import User
from marketplace.core.audit import audit_log_for
from marketplace.core.models import AuditLogEntry

from .models import Vendor, VerificationStatus


def vendor_for_user(*, user: User) -> Vendor | None:
    if not getattr(user, "is_authenticated", False) or not user.is_vendor:
        return None
    return Vendor.objects.select_related("profile").filter(user=user).first()


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
    """The vendor's profile submissions and the admins' decisions on them, newest first."""
    return audit_log_for(vendor).filter(action__startswith="vendor.").select_related("actor")


def vendor_service_list_all(*, vendor: Vendor) -> QuerySet:
    """All of a vendor's services, active or not (public lists show only the active ones)."""
    return vendor.services.select_related("category").order_by("title", "id")
