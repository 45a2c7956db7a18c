from django.urls import path, reverse
from django.utils.functional import cached_property
from wagtail.admin.viewsets.base import ViewSet

from backoffice.views.exports import LedgerExportView
from backoffice.views.ledger import LedgerBalancesView, LedgerEntryIndexView, LedgerEntryInspectView
from backoffice.views.ledger_accounts import LedgerAccountIndexView, LedgerAccountLinesView
from marketplace.payments.models import LedgerEntry

from .base import BALANCES, CROSS_LINKS, LEDGER, LEDGER_ACCOUNTS, BackOfficeViewSet, menu_item_class_for


class LedgerViewSet(BackOfficeViewSet):
    """Ledger entries with their lines, read-only."""

    model = LedgerEntry
    name = LEDGER
    icon = "list-ul"
    menu_label = "Ledger"
    index_view_class = LedgerEntryIndexView
    inspect_view_class = LedgerEntryInspectView
    export_view_class = LedgerExportView


class BalancesViewSet(ViewSet):
    """The balances the ledger adds up to, per currency."""

    name = BALANCES
    icon = "table"
    menu_label = "Balances"

    @cached_property
    def url_prefix(self):
        return "backoffice/balances"

    @cached_property
    def menu_item_class(self):
        return menu_item_class_for(LedgerEntry)

    @cached_property
    def menu_url(self):
        return reverse(f"{self.url_namespace}:index")

    def get_urlpatterns(self):
        view = LedgerBalancesView.as_view(
            index_url_name=CROSS_LINKS["ledger_index_url_name"],
            ledger_accounts_url_name=CROSS_LINKS["ledger_accounts_url_name"],
        )
        return [path("", view, name="index")]


class LedgerAccountsViewSet(ViewSet):
    """The ledger by account: each account's balance, and one account's lines with a running balance."""

    name = LEDGER_ACCOUNTS
    icon = "list-ul"
    menu_label = "Ledger accounts"

    @cached_property
    def url_prefix(self):
        return "backoffice/ledger-accounts"

    @cached_property
    def menu_item_class(self):
        return menu_item_class_for(LedgerEntry)

    @cached_property
    def menu_url(self):
        return reverse(f"{self.url_namespace}:index")

    def get_urlpatterns(self):
        links = {"url_namespace": self.url_namespace}
        index = LedgerAccountIndexView.as_view(
            ledger_index_url_name=CROSS_LINKS["ledger_index_url_name"],
            balances_url_name=CROSS_LINKS["balances_url_name"],
            **links,
        )
        lines = LedgerAccountLinesView.as_view(
            ledger_inspect_url_name=CROSS_LINKS["ledger_inspect_url_name"],
            booking_inspect_url_name=CROSS_LINKS["booking_inspect_url_name"],
            **links,
        )
        return [
            path("", index, name="index"),
            path("<slug:account>/<str:currency>/", lines, name="account"),
            path("<slug:account>/<str:currency>/<int:vendor_id>/", lines, name="account"),
        ]
