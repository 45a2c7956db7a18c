"""All of the back office's wiring into the Wagtail admin.

The permission policies are registered when this module is imported, before any
view, menu or panel asks for them: Wagtail refuses a policy registered after it has
created a fallback for the model.
"""

from django_q.models import Failure
from wagtail import hooks
from wagtail.permissions import register_permission_policy

from backoffice.panels import add_back_office_panel
from backoffice.permissions import (
    APPROVE,
    CANCEL,
    EXPORT,
    MANAGE,
    MOVE,
    REFUND,
    RESOLVE,
    RETRY,
    VERIFY,
    StaffPermissionPolicy,
)
from backoffice.viewsets import BackOfficeViewSetGroup
from backoffice.viewsets.base import BALANCES, BOOKINGS, LEDGER, PAYOUTS, VENDORS
from backoffice.viewsets.disputes import DISPUTES
from marketplace.accounts.permissions import Perm
from marketplace.accounts.tokens import api_sessions_end_for_user
from marketplace.bookings.models import Booking
from marketplace.catalog.models import Category
from marketplace.core.models import AuditLogEntry
from marketplace.disputes.models import Dispute
from marketplace.payments.models import Chargeback, LedgerEntry, Transaction
from marketplace.vendors.models import Vendor

# Who sees each model, and what each action needs (marketplace.accounts.permissions).
register_permission_policy(
    Vendor,
    StaffPermissionPolicy(
        Vendor, view=(Perm.VERIFY_ORGANIZERS, Perm.APPROVE_PAYOUTS), actions={VERIFY: Perm.VERIFY_ORGANIZERS}
    ),
)
register_permission_policy(
    Booking,
    StaffPermissionPolicy(
        Booking,
        view=(Perm.MANAGE_BOOKINGS, Perm.RESOLVE_DISPUTES, Perm.APPROVE_PAYOUTS),
        actions={
            EXPORT: Perm.EXPORT_DATA,
            CANCEL: Perm.MANAGE_BOOKINGS,
            MOVE: Perm.MANAGE_BOOKINGS,
            REFUND: (Perm.REFUND_PAYMENTS, Perm.REFUND_UP_TO_LIMIT),
        },
    ),
)
register_permission_policy(
    Transaction,
    StaffPermissionPolicy(
        Transaction,
        view=(Perm.APPROVE_PAYOUTS,),
        actions={APPROVE: Perm.APPROVE_PAYOUTS, EXPORT: Perm.EXPORT_DATA},
    ),
)
register_permission_policy(
    LedgerEntry,
    StaffPermissionPolicy(LedgerEntry, view=(Perm.VIEW_LEDGER, Perm.EXPORT_DATA), actions={EXPORT: Perm.EXPORT_DATA}),
)
register_permission_policy(AuditLogEntry, StaffPermissionPolicy(AuditLogEntry, view=(Perm.VIEW_AUDIT_LOG,)))
register_permission_policy(
    Category,
    StaffPermissionPolicy(Category, view=(Perm.MANAGE_CATEGORIES,), actions={MANAGE: Perm.MANAGE_CATEGORIES}),
)
register_permission_policy(
    Dispute,
    StaffPermissionPolicy(
        Dispute,
        view=(Perm.RESOLVE_DISPUTES,),
        actions={RESOLVE: Perm.RESOLVE_DISPUTES, EXPORT: Perm.EXPORT_DATA},
    ),
)

# Chargebacks are money read-only: finance (the ledger, payout approvals) sees them; support does not.
register_permission_policy(
    Chargeback,
    StaffPermissionPolicy(
        Chargeback, view=(Perm.VIEW_LEDGER, Perm.APPROVE_PAYOUTS), actions={EXPORT: Perm.EXPORT_DATA}
    ),
)

# Failed background jobs: admins (every permission by role), or a group given "manage_jobs".
register_permission_policy(
    Failure, StaffPermissionPolicy(Failure, view=(Perm.MANAGE_JOBS,), actions={RETRY: Perm.MANAGE_JOBS})
)


@hooks.register("register_admin_viewset")
def register_back_office():
    return BackOfficeViewSetGroup()


@hooks.register("construct_homepage_panels")
def back_office_dashboard_panel(request, panels):
    add_back_office_panel(
        request,
        panels,
        vendors_url_name=f"{VENDORS}:index",
        payouts_url_name=f"{PAYOUTS}:index",
        payouts_waiting_url_name=f"{PAYOUTS}:waiting",
        balances_url_name=f"{BALANCES}:index",
        bookings_url_name=f"{BOOKINGS}:index",
        ledger_url_name=f"{LEDGER}:index",
        disputes_url_name=f"{DISPUTES}:index",
    )


# Users are deactivated in Wagtail's own user screens: end their API sign-ins there and then,
# so activating them again later does not bring an old sign-in back.
@hooks.register("after_edit_user")
def end_api_sign_ins_of_a_deactivated_user(request, user):
    if not user.is_active:
        api_sessions_end_for_user(user=user, reason="user_deactivated")


@hooks.register("after_bulk_action")
def end_api_sign_ins_of_deactivated_users(request, action_type, objects, action_class_instance):
    if action_type == "set_active_state":
        for user in objects:
            if not user.is_active:
                api_sessions_end_for_user(user=user, reason="user_deactivated")
