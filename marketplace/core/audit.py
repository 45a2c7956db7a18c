from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditLogEntry


def _entry(*, actor: Any, action: str, target: models.Model, reason: str, data: dict | None) -> AuditLogEntry:
    return AuditLogEntry(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        target_id=str(target.pk),
        reason=reason,
        data=data or {},
    )


def audit_log(
    *, actor: Any, action: str, target: models.Model, reason: str = "", data: dict | None = None
) -> AuditLogEntry:
    """Record an action. Call it inside the transaction that makes the change."""
    entry = _entry(actor=actor, action=action, target=target, reason=reason, data=data)
    entry.save()
    return entry


def audit_log_many(
    *, actor: Any, action: str, targets: Iterable[tuple[models.Model, dict]], reason: str = ""
) -> list[AuditLogEntry]:
    """Record one action on many targets, each with its own data, in one INSERT (a batch job's audit)."""
    return AuditLogEntry.objects.bulk_create(
        _entry(actor=actor, action=action, target=target, reason=reason, data=data) for target, data in targets
    )


def audit_log_for(target: models.Model):
    return AuditLogEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        target_id=str(target.pk),
    )


def audit_log_for_many(model: type[models.Model], target_ids: Iterable[str]):
    """Every entry about any of these objects of one model (ids as the log keeps them: strings)."""
    return AuditLogEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(model, for_concrete_model=False),
        target_id__in=list(target_ids),
    )
