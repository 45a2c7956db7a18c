"""Who may see and do what in the back office: the marketplace's named staff permissions.

Each model the back office shows gets a ``StaffPermissionPolicy`` naming the staff
permissions that let a user see it and the one each action needs
(``marketplace.accounts.permissions``: support verifies organizers and resolves
disputes, finance approves payouts and reads the ledger, admins do everything). The
policy is registered as the model's Wagtail permission policy, so menus, listings,
detail pages and actions all ask the same question the domain services ask.

Django's model permissions on these models are ignored on purpose: a marketing editor's
group that happens to be given "view vendor" in the Wagtail group editor still opens
nothing here. Every other action (add, change, delete) is refused for everyone,
superusers included: back-office records change only through domain services.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.models import Permission
from django.db.models import Q
from wagtail.permission_policies.base import BasePermissionPolicy

from marketplace.accounts.models import Role
from marketplace.accounts.permissions import ALL
from marketplace.accounts.policy import has_permission

VIEW = "view"
# Custom actions: not Django permissions, only names this policy understands.
VERIFY = "verify"
APPROVE = "approve"
RESOLVE = "resolve"  # decide a dispute
CANCEL = "cancel"  # call a booking off
MOVE = "move"  # move a booking to another time
REFUND = "refund"  # give money back
MANAGE = "manage"  # add and edit records the back office owns (categories)
RETRY = "retry"  # queue a failed background job again, or delete it
EXPORT = "export"  # download a list as CSV or XLSX (bookings, payouts, disputes, ledger lines)

# What shows the back office's summary panel on the Wagtail dashboard.
BACK_OFFICE_PERMISSIONS = ALL


def is_back_office_user(user) -> bool:
    """Holds any staff permission: support, finance or an admin (not a marketing editor)."""
    return any(has_permission(user, perm) for perm in BACK_OFFICE_PERMISSIONS)


def _holders(perms) -> Q:
    """Users who hold any of ``perms``: admins by role, superusers, and members of a group (or users) given one."""
    named = Q(codename__in=list(perms), content_type__app_label="accounts")
    return (
        Q(role=Role.ADMIN)
        | Q(is_superuser=True)
        | Q(groups__permissions__in=_permission_ids(named))
        | Q(user_permissions__in=_permission_ids(named))
    )


def _permission_ids(condition: Q):
    return Permission.objects.filter(condition).values("pk")


class StaffPermissionPolicy(BasePermissionPolicy):
    """ "view" for holders of any of ``view``; each custom action for holders of its own permission."""

    def __init__(self, model, *, view: tuple[str, ...], actions: dict[str, str | tuple[str, ...]] | None = None):
        super().__init__(model)
        self.view = tuple(view)
        self.actions = dict(actions or {})

    def _perms_for(self, action: str) -> tuple[str, ...]:
        if action == VIEW:
            return self.view
        if action in self.actions:  # one permission, or any of several (refund: up to a limit, or any amount)
            perms = self.actions[action]
            return perms if isinstance(perms, tuple) else (perms,)
        return ()

    def user_has_permission(self, user, action: str) -> bool:
        return any(has_permission(user, perm) for perm in self._perms_for(action))

    def user_has_any_permission(self, user, actions) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        perms = {perm for action in actions for perm in self._perms_for(action)}
        users = get_user_model().objects.filter(is_active=True)
        if not perms:
            return users.none()
        return users.filter(_holders(perms)).distinct()


class PlatformAdminAccessBackend(BaseBackend):
    """Lets platform admins into the Wagtail admin without making them superusers.

    Wagtail admits users with the ``wagtailadmin.access_admin`` permission. Admins get it
    from their role; support, finance and editors from their groups (accounts migration
    0004). Admins get no Wagtail permission from this backend beyond entering, so they
    see the back office and not the page tree or the image library.
    """

    def has_perm(self, user_obj, perm, obj=None):
        return perm == "wagtailadmin.access_admin" and bool(getattr(user_obj, "is_platform_admin", False))
