from wagtail.admin.viewsets.base import ViewSetGroup

from .audit_log import AuditLogViewSet
from .bookings import BookingViewSet
from .categories import CategoryViewSet
from .chargebacks import ChargebackViewSet
from .disputes import DisputeViewSet
from .jobs import FailedJobViewSet
from .ledger import BalancesViewSet, LedgerAccountsViewSet, LedgerViewSet
from .payouts import PayoutViewSet
from .vendors import VendorViewSet


class BackOfficeViewSetGroup(ViewSetGroup):
    """The "Back office" menu. Shown only when at least one item is, i.e. to back-office users."""

    menu_label = "Back office"
    menu_name = "backoffice"
    menu_icon = "clipboard-list"
    menu_order = 150  # right after Pages
    items = (
        VendorViewSet,
        BookingViewSet,
        PayoutViewSet,
        DisputeViewSet,
        ChargebackViewSet,
        LedgerViewSet,
        BalancesViewSet,
        LedgerAccountsViewSet,
        CategoryViewSet,
        AuditLogViewSet,
        FailedJobViewSet,
    )
