"""What a staff member may do: named permissions, asked by every service that staff call.

Services name the permission (``require_permission(user, Perm.RESOLVE_DISPUTES, ...)``),
never a role: admins hold every permission through their role, support and finance
staff through their groups (``marketplace.accounts.permissions``).
"""

from __future__ import annotations

from django.conf import settings

from marketplace.core.money import Money

from .errors import NotPermitted
from .models import User
from .permissions import Perm


def has_permission(user: User | None, perm: str) -> bool:
    """Whether ``user`` (an active account) holds the named staff permission."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.has_perm(f"accounts.{perm}")
    )


def require_permission(user: User | None, perm: str, *, to: str) -> None:
    """Refuse anyone without the permission: "You do not have permission to <to>." (``not_permitted``, 403)."""
    if not has_permission(user, perm):
        raise NotPermitted(f"You do not have permission to {to}.")


def refund_limit(user: User | None) -> Money | None:
    """The largest refund ``user`` may make at once: None for no limit (finance, admins); zero for none at all."""
    if has_permission(user, Perm.REFUND_PAYMENTS):
        return None
    if has_permission(user, Perm.REFUND_UP_TO_LIMIT):
        return Money(settings.STAFF_REFUND_LIMIT_MINOR, settings.MARKETPLACE_CURRENCY)
    return Money(0, settings.MARKETPLACE_CURRENCY)


def require_refund_permission(user: User | None, amount: Money) -> None:
    """Refuse a refund of ``amount`` beyond what ``user`` may give back."""
    limit = refund_limit(user)
    if limit is None or (amount <= limit and limit.minor > 0):
        return
    if limit.minor == 0:
        raise NotPermitted("You do not have permission to refund payments.")
    raise NotPermitted(f"You may refund at most {limit} at once; ask finance to refund {amount}.")
