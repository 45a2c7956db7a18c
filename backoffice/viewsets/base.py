"""The shape every back-office screen shares: a read-only listing and detail view.

Nothing in the back office is added, edited or deleted through a form over the
model: records change only through domain services, behind the action views a
viewset adds in ``get_urlpatterns()``.
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.urls import path
from django.utils.functional import cached_property
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import policy_registry

from backoffice.permissions import VIEW
from backoffice.spreadsheets import FORMATS
from backoffice.views.base import BackOfficeIndexView, BackOfficeInspectView

# URL namespaces (and prefixes under /admin/backoffice/). Views link to each other through these.
VENDORS = "backoffice_vendors"
BOOKINGS = "backoffice_bookings"
PAYOUTS = "backoffice_payouts"
LEDGER = "backoffice_ledger"
BALANCES = "backoffice_balances"
AUDIT_LOG = "backoffice_audit_log"
CATEGORIES = "backoffice_categories"
LEDGER_ACCOUNTS = "backoffice_ledger_accounts"
CHARGEBACKS = "backoffice_chargebacks"
FAILED_JOBS = "backoffice_failed_jobs"

CROSS_LINKS = {
    "vendor_inspect_url_name": f"{VENDORS}:inspect",
    "booking_inspect_url_name": f"{BOOKINGS}:inspect",
    "booking_index_url_name": f"{BOOKINGS}:index",
    "payout_approve_url_name": f"{PAYOUTS}:approve",
    "balances_url_name": f"{BALANCES}:index",
    "ledger_index_url_name": f"{LEDGER}:index",
    "ledger_inspect_url_name": f"{LEDGER}:inspect",
    "ledger_accounts_url_name": f"{LEDGER_ACCOUNTS}:index",
}

# The generic model views a back-office screen does not offer.
_NO_GENERIC_VIEWS = dict.fromkeys(
    ["add_url_name", "edit_url_name", "delete_url_name", "copy_url_name", "history_url_name", "usage_url_name"]
)


def menu_item_class_for(model):
    """A menu item shown only to users the model's back-office policy lets in."""

    def is_shown(self, request):
        return policy_registry.get_by_type(model).user_has_permission(request.user, VIEW)

    return type(f"BackOffice{model.__name__}MenuItem", (MenuItem,), {"is_shown": is_shown})


class BackOfficeViewSet(ModelViewSet):
    index_view_class = BackOfficeIndexView
    # A SpreadsheetExportView: the listing gets export.csv and export.xlsx, and buttons for those who may export.
    export_view_class = None
    inspect_view_class = BackOfficeInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    # Domain saves must not trigger Wagtail's reference indexing.
    add_to_reference_index = False

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        view_kwargs.update(_NO_GENERIC_VIEWS)
        view_kwargs.update(CROSS_LINKS, url_namespace=self.url_namespace)
        return view_kwargs

    @cached_property
    def url_prefix(self):
        return self.name.replace("_", "/", 1).replace("_", "-")

    @cached_property
    def menu_item_class(self):
        return menu_item_class_for(self.model)

    def get_permissions_to_register(self):
        # The back-office policy ignores Django model permissions; offering them in
        # Wagtail's group editor would suggest that ticking one opens the back office.
        return Permission.objects.none()

    def register_admin_url_finder(self):
        # No edit view to point Wagtail's "edit this object" links at.
        pass

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(exportable=self.export_view_class is not None, **kwargs)

    def get_urlpatterns(self):
        urlpatterns = [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]
        if self.export_view_class is not None:
            urlpatterns += [
                path(
                    f"export.{file_format}",
                    self.export_view_class.as_view(
                        index_url_name=f"{self.url_namespace}:index", file_format=file_format
                    ),
                    name=f"export_{file_format}",
                )
                for file_format in FORMATS
            ]
        if self.inspect_view_enabled:
            urlpatterns.append(path(f"inspect/<{self.pk_path_converter}:pk>/", self.inspect_view, name="inspect"))
        return urlpatterns
