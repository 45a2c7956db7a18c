"""Who counts as a platform admin, asked by every service that only admins may call."""

from .errors import AdminOnly
from .models import User


def require_platform_admin(user: User, *, to: str) -> None:
    """Refuse anyone but an active platform admin: "Only admins can <to>." (``admin_only``, 403)."""
    if not user.is_platform_admin:
        raise AdminOnly(f"Only admins can {to}.")
