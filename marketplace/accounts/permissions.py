"""The marketplace's named staff permissions, and the groups that bundle them.

Services check a permission, never a role name (``accounts.policy.require_permission``).
Admins (role "admin") and superusers hold every one; everyone else holds what their
groups give. The groups are Wagtail groups, made by accounts migration 0004 and editable
in the Wagtail admin (Settings → Groups):

- **Support**: organizers, bookings, disputes, refunds up to ``STAFF_REFUND_LIMIT_MINOR``.
- **Finance**: payouts, refunds of any amount, the ledger, exports.
- **Editors** (Wagtail's own group): pages, images, documents, menus (Settings > Menus:
  storefront migration 0006); nothing about organizers, bookings or money.
"""

from __future__ import annotations


class Perm:
    """The codenames of ``StaffPermission.Meta.permissions`` (app label "accounts")."""

    VERIFY_ORGANIZERS = "verify_organizers"
    MANAGE_BOOKINGS = "manage_bookings"
    RESOLVE_DISPUTES = "resolve_disputes"
    REFUND_UP_TO_LIMIT = "refund_up_to_limit"
    REFUND_PAYMENTS = "refund_payments"
    APPROVE_PAYOUTS = "approve_payouts"
    VIEW_LEDGER = "view_ledger"
    EXPORT_DATA = "export_data"
    VIEW_AUDIT_LOG = "view_audit_log"
    MANAGE_CATEGORIES = "manage_categories"
    MANAGE_JOBS = "manage_jobs"  # failed background jobs: admins by role; no group has it unless given it


ALL = tuple(value for name, value in vars(Perm).items() if name.isupper())

SUPPORT = "Support"
FINANCE = "Finance"
EDITORS = "Editors"

# group -> the staff permissions it bundles (besides entering the Wagtail admin)
GROUP_PERMISSIONS: dict[str, tuple[str, ...]] = {
    SUPPORT: (
        Perm.VERIFY_ORGANIZERS,
        Perm.MANAGE_BOOKINGS,
        Perm.RESOLVE_DISPUTES,
        Perm.REFUND_UP_TO_LIMIT,
        Perm.VIEW_AUDIT_LOG,
    ),
    FINANCE: (
        Perm.APPROVE_PAYOUTS,
        Perm.REFUND_PAYMENTS,
        Perm.VIEW_LEDGER,
        Perm.EXPORT_DATA,
        Perm.VIEW_AUDIT_LOG,
    ),
    EDITORS: (),
}
