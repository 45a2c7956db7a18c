from backoffice.views.audit_log import AuditLogIndexView, AuditLogInspectView
from marketplace.core.models import AuditLogEntry

from .base import AUDIT_LOG, BackOfficeViewSet


class AuditLogViewSet(BackOfficeViewSet):
    """The audit log, read-only."""

    model = AuditLogEntry
    name = AUDIT_LOG
    icon = "history"
    menu_label = "Audit log"
    index_view_class = AuditLogIndexView
    inspect_view_class = AuditLogInspectView
