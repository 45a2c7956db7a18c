"""Who may see and do what in the back office.

The back office is for platform admins only. The rule is written once here and
registered as the Wagtail permission policy of every model the back office shows,
so menus, listings, detail pages and actions all ask the same question.

Django model permissions are ignored on purpose: a marketing editor's group that
happens to be given "view vendor" in the Wagtail group editor must still not open
the back office. Seeing requires an active platform admin or superuser; acting
(verify, approve a payout) requires the admin role, the same rule the domain
services enforce, so the screens never offer a button the service would refuse.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.db.models import Q
from wagtail.permission_policies.base import BasePermissionPolicy

from marketplace.accounts.models import Role

VIEW = "view"
# Custom actions: not Django permissions, only names this policy understands.
VERIFY = "verify"
APPROVE = "approve"
RESOLVE = "resolve"  # decide a dispute
MANAGE = "manage"  # add and edit records the back office owns (categories)


def is_back_office_user(user) -> bool:
    """May open the back office: an active platform admin (role) or superuser."""
    return bool(
        getattr(user, "is_authenticated", False) and user.is_active and (user.role == Role.ADMIN or user.is_superuser)
    )


def can_act_in_back_office(user) -> bool:
    """May take admin decisions: the domain services require the admin role."""
    return bool(getattr(user, "is_authenticated", False) and user.is_platform_admin)


class PlatformAdminPermissionPolicy(BasePermissionPolicy):
    """Grants "view" to back-office users and the listed actions to platform admins; nothing else.

    Every other action (add, change, delete...) is refused for everyone, superusers
    included: back-office records change only through domain services.
    """

    def __init__(self, model, actions: tuple[str, ...] = ()):
        super().__init__(model)
        self.actions = frozenset(actions)

    def user_has_permission(self, user, action: str) -> bool:
        if action == VIEW:
            return is_back_office_user(user)
        if action in self.actions:
            return can_act_in_back_office(user)
        return False

    def user_has_any_permission(self, user, actions) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        users = get_user_model().objects.filter(is_active=True)
        if VIEW in actions:
            return users.filter(Q(role=Role.ADMIN) | Q(is_superuser=True))
        if self.actions.intersection(actions):
            return users.filter(role=Role.ADMIN)
        return users.none()


class PlatformAdminAccessBackend(BaseBackend):
    """Lets platform admins into the Wagtail admin without making them superusers.

    Wagtail admits users with the ``wagtailadmin.access_admin`` permission. Platform
    admins get it from their role; they get no other permission from this backend,
    so they see the back office and not the page tree or the image library.
    """

    def has_perm(self, user_obj, perm, obj=None):
        return perm == "wagtailadmin.access_admin" and can_act_in_back_office(user_obj)
