from django.urls import path

from backoffice.views.vendors import DECISIONS, VendorDecisionView, VendorIndexView, VendorInspectView
from marketplace.vendors.models import Vendor

from .base import VENDORS, BackOfficeViewSet


class VendorViewSet(BackOfficeViewSet):
    """The verification queue, each vendor's file, and the Verify / Reject / Suspend actions."""

    model = Vendor
    name = VENDORS
    icon = "user"
    menu_label = "Vendors"
    index_view_class = VendorIndexView
    inspect_view_class = VendorInspectView

    def decision_view(self, status):
        return self.construct_view(VendorDecisionView, decision=status)

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path(f"{decision.url_name}/<int:pk>/", self.decision_view(status), name=decision.url_name)
            for status, decision in DECISIONS.items()
        ]
