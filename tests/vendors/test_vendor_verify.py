"""vendor_verify: the verification decisions an admin may take from each status."""

import pytest

from marketplace.core.errors import InvalidTransition, PermissionDenied
from marketplace.core.models import AuditLogEntry
from marketplace.vendors.services import vendor_verify

pytestmark = pytest.mark.django_db

ALLOWED = {
    ("pending", "verified"),
    ("pending", "rejected"),
    ("verified", "suspended"),
    ("suspended", "reinstated"),
    ("suspended", "rejected"),
}
STATUS_AFTER = {"verified": "verified", "rejected": "rejected", "suspended": "suspended", "reinstated": "verified"}


@pytest.mark.parametrize("current", ["pending", "verified", "suspended", "rejected"])
@pytest.mark.parametrize("decision", ["verified", "rejected", "suspended", "reinstated"])
def test_only_the_listed_decisions_are_allowed(make_vendor, admin_user, current, decision):
    vendor = make_vendor(current)

    if (current, decision) in ALLOWED:
        vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision=decision, reason="Checked")
        vendor.refresh_from_db()
        assert vendor.verification_status == STATUS_AFTER[decision]
        entry = AuditLogEntry.objects.get(target_id=str(vendor.pk), reason="Checked")
        assert (entry.action, entry.data) == (f"vendor.{decision}", {"from": current, "to": STATUS_AFTER[decision]})
    else:
        with pytest.raises(InvalidTransition):
            vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision=decision, reason="Checked")
        vendor.refresh_from_db()
        assert vendor.verification_status == current
        assert not AuditLogEntry.objects.exists()


def test_a_deactivated_admin_cannot_verify(make_vendor, admin_user):
    vendor = make_vendor("pending")
    admin_user.is_active = False
    admin_user.save()

    with pytest.raises(PermissionDenied):
        vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision="verified")


def test_staff_without_the_admin_role_cannot_verify(make_vendor, customer):
    vendor = make_vendor("pending")
    customer.is_staff = True  # a marketing editor
    customer.save()

    with pytest.raises(PermissionDenied):
        vendor_verify(admin=customer, vendor_id=vendor.pk, decision="verified")
