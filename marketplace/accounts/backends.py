"""Admins hold every named staff permission through their role (``marketplace.accounts.permissions``)."""

from django.contrib.auth.backends import BaseBackend

from .permissions import ALL

STAFF_PERMISSIONS = frozenset(f"accounts.{codename}" for codename in ALL)


class AdminRoleBackend(BaseBackend):
    """Grants the staff permissions to active admins (role "admin"); support and finance get theirs from groups."""

    def has_perm(self, user_obj, perm, obj=None):
        return perm in STAFF_PERMISSIONS and bool(getattr(user_obj, "is_platform_admin", False))
