from django.db.models import QuerySet

from marketplace.accounts.models import User

from .models import Vendor, VerificationStatus


def vendor_for_user(*, user: User) -> Vendor | None:
    if not getattr(user, "is_authenticated", False) or not user.is_vendor:
        return None
    return Vendor.objects.select_related("profile").filter(user=user).first()


def vendor_list_verified() -> QuerySet[Vendor]:
    return Vendor.objects.filter(verification_status=VerificationStatus.VERIFIED)


def vendor_list_pending() -> QuerySet[Vendor]:
    return Vendor.objects.filter(verification_status=VerificationStatus.PENDING).order_by("created_at")
