from django.urls import path

from backoffice.views.payouts import PayoutApproveView, PayoutIndexView
from marketplace.payments.models import Transaction

from .base import PAYOUTS, BackOfficeViewSet


class PayoutViewSet(BackOfficeViewSet):
    """Payouts that wait for an admin, and the Approve action. A payout's details live on its booking."""

    model = Transaction
    name = PAYOUTS
    icon = "success"
    menu_label = "Payouts"
    index_view_class = PayoutIndexView
    inspect_view_enabled = False

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("approve/<int:pk>/", self.construct_view(PayoutApproveView), name="approve"),
        ]
