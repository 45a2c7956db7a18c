"""The back office's panel on the Wagtail dashboard: what waits for staff, and the money held."""

from __future__ import annotations

from django.urls import reverse
from wagtail.admin.ui.components import Component

from backoffice.permissions import is_back_office_user
from marketplace.accounts.permissions import Perm
from marketplace.accounts.policy import has_permission
from marketplace.payments.selectors import (
    ledger_balances,
    payout_awaiting_approval_totals,
    payout_list_waiting_for_account,
)
from marketplace.vendors.models import VerificationStatus
from marketplace.vendors.selectors import vendor_list_paused, vendor_list_pending


class BackOfficeSummaryPanel(Component):
    name = "backoffice_summary"
    template_name = "backoffice/dashboard_panel.html"
    order = 50  # above Wagtail's own panels: this is what an admin opens the admin for

    def __init__(
        self,
        *,
        vendors_url_name: str,
        payouts_url_name: str,
        payouts_waiting_url_name: str,
        balances_url_name: str,
    ):
        self.vendors_url_name = vendors_url_name
        self.payouts_url_name = payouts_url_name
        self.payouts_waiting_url_name = payouts_waiting_url_name
        self.balances_url_name = balances_url_name

    def get_context_data(self, parent_context):
        """Each line only for those who may act on it: organizers for support, payouts and balances for finance."""
        user = parent_context["request"].user
        context = {}
        if has_permission(user, Perm.VERIFY_ORGANIZERS):
            pending = vendor_list_pending()
            oldest = pending.first()
            context.update(
                show_vendors=True,
                pending_vendor_count=pending.count(),
                oldest_pending_since=oldest.created_at if oldest else None,
                vendors_url=f"{reverse(self.vendors_url_name)}?verification_status={VerificationStatus.PENDING}",
                paused_vendor_count=vendor_list_paused().count(),
                paused_vendors_url=f"{reverse(self.vendors_url_name)}?new_bookings=paused",
            )
        if has_permission(user, Perm.APPROVE_PAYOUTS):
            payouts = payout_awaiting_approval_totals()
            context.update(
                show_payouts=True,
                payout_count=sum(row["count"] for row in payouts),
                payout_totals=[row["vendor_payout"] for row in payouts],
                payouts_url=reverse(self.payouts_url_name),
                waiting_payout_count=payout_list_waiting_for_account().count(),
                waiting_payouts_url=reverse(self.payouts_waiting_url_name),
            )
        if has_permission(user, Perm.VIEW_LEDGER):
            context.update(
                show_balances=True,
                escrow_held=[balances.escrow_held for balances in ledger_balances()],
                balances_url=reverse(self.balances_url_name),
            )
        return context


def add_back_office_panel(request, panels, **url_names) -> None:
    """Put the summary first on the dashboard, for back-office users only."""
    if is_back_office_user(request.user):
        panels.append(BackOfficeSummaryPanel(**url_names))
