from django.urls import path

from backoffice.views.vendors import DECISIONS, VendorDecisionView, VendorIndexView, VendorInspectView
from marketplace.vendors.models import Vendor

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

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path(f"{presentation.url_name}/<int:pk>/", self.decision_view(decision), name=presentation.url_name)
            for decision, presentation in DECISIONS.items()
        ]
