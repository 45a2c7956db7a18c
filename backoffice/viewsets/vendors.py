from django.urls import path

from backoffice.views.vendor_documents import DocumentDownloadView, DocumentReviewView
from backoffice.views.vendors import DECISIONS, VendorDecisionView, VendorIndexView, VendorInspectView
from marketplace.vendors.models import DocumentStatus, Vendor

from .base import VENDORS, BackOfficeViewSet


class VendorViewSet(BackOfficeViewSet):
    """The verification queue, each vendor's file, and the Verify / Reject / Suspend / Reinstate actions."""

    model = Vendor
    name = VENDORS
    icon = "user"
    menu_label = "Vendors"
    index_view_class = VendorIndexView
    inspect_view_class = VendorInspectView

    def decision_view(self, decision):
        return self.construct_view(VendorDecisionView, decision=decision)

    def document_review_view(self, decision):
        return self.construct_view(DocumentReviewView, decision=decision)

    def get_urlpatterns(self):
        return (
            super().get_urlpatterns()
            + [
                path(f"{presentation.url_name}/<int:pk>/", self.decision_view(decision), name=presentation.url_name)
                for decision, presentation in DECISIONS.items()
            ]
            + self.document_urlpatterns()
        )

    def document_urlpatterns(self):
        """Organizers' documents: Accept, Reject (with a reason) and the file, for staff who verify organizers."""
        return [
            path(
                "documents/<int:pk>/accept/",
                self.document_review_view(DocumentStatus.ACCEPTED),
                name="document_accept",
            ),
            path(
                "documents/<int:pk>/reject/",
                self.document_review_view(DocumentStatus.REJECTED),
                name="document_reject",
            ),
            path("documents/<int:document_id>/file/", DocumentDownloadView.as_view(), name="document_file"),
        ]
