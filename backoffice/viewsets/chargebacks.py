from backoffice.views.chargebacks import ChargebackIndexView, ChargebackInspectView
from backoffice.views.exports import ChargebackExportView
from marketplace.payments.models import Chargeback

from .base import CHARGEBACKS, BackOfficeViewSet


class ChargebackViewSet(BackOfficeViewSet):
    """Card disputes of bookings' payments, read-only: the webhook keeps them, the card network decides them."""

    model = Chargeback
    name = CHARGEBACKS
    icon = "error"
    menu_label = "Chargebacks"
    index_view_class = ChargebackIndexView
    inspect_view_class = ChargebackInspectView
    export_view_class = ChargebackExportView
