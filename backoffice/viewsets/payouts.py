from django.urls import path

from backoffice.views.exports import PayoutExportView
from backoffice.views.payouts import (
    PayoutApproveView,
    PayoutBulkApproveView,
    PayoutBulkHoldView,
    PayoutHoldView,
    PayoutIndexView,
    PayoutLiftHoldView,
    PayoutWaitingForAccountView,
)
from marketplace.payments.models import Transaction

from .base import CROSS_LINKS, PAYOUTS, BackOfficeViewSet


class PayoutViewSet(BackOfficeViewSet):
    """Payouts that wait for an admin, with Approve and Hold (one, or the selected ones with one reason);
    payouts that wait for an organizer's account.

    A payout's details live on its booking."""

    model = Transaction
    name = PAYOUTS
    icon = "success"
    menu_label = "Payouts"
    index_view_class = PayoutIndexView
    inspect_view_enabled = False
    export_view_class = PayoutExportView

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("approve/<int:pk>/", self.construct_view(PayoutApproveView), name="approve"),
            path("hold/<int:pk>/", self.construct_view(PayoutHoldView), name="hold"),
            path("lift-hold/<int:pk>/", self.construct_view(PayoutLiftHoldView), name="lift_hold"),
            # Bulk: the listing's checkboxes send the selected ids here, where the reason is asked for.
            path(
                "approve/",
                PayoutBulkApproveView.as_view(index_url_name=f"{self.url_namespace}:index"),
                name="bulk_approve",
            ),
            path("hold/", PayoutBulkHoldView.as_view(index_url_name=f"{self.url_namespace}:index"), name="bulk_hold"),
            path(
                "waiting/",
                PayoutWaitingForAccountView.as_view(
                    index_url_name=f"{self.url_namespace}:index",
                    vendor_inspect_url_name=CROSS_LINKS["vendor_inspect_url_name"],
                    booking_inspect_url_name=CROSS_LINKS["booking_inspect_url_name"],
                ),
                name="waiting",
            ),
        ]
