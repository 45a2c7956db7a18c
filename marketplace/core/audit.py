from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditLogEntry


def audit_log(
    *, actor: Any, action: str, target: models.Model, reason: str = "", data: dict | None = None
) -> AuditLogEntry:
    """Record an action. Call it inside the transaction that makes the change."""
    return AuditLogEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        target_id=str(target.pk),
        reason=reason,
        data=data or {},
    )


def audit_log_for(target: models.Model):
    return AuditLogEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        target_id=str(target.pk),
    )
