from django.urls import path

from backoffice.views.disputes import (
    DisputeIndexView,
    DisputeInspectView,
    DisputeResolveView,
    EvidenceDownloadView,
)
from backoffice.views.exports import DisputeExportView
from marketplace.disputes.models import Dispute

from .base import BackOfficeViewSet

DISPUTES = "backoffice_disputes"


class DisputeViewSet(BackOfficeViewSet):
    """The disputes queue, one dispute with both sides, evidence downloads and the Resolve action."""

    model = Dispute
    name = DISPUTES
    icon = "warning"
    menu_label = "Disputes"
    index_view_class = DisputeIndexView
    inspect_view_class = DisputeInspectView
    export_view_class = DisputeExportView

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path(
                "resolve/<int:pk>/",
                self.construct_view(DisputeResolveView, inspect_url_name=f"{self.name}:inspect"),
                name="resolve",
            ),
            path("evidence/<int:pk>/<int:evidence_id>/", EvidenceDownloadView.as_view(), name="evidence"),
        ]
