"""Payouts: those waiting for an admin's approval (and the Approve action), and those waiting for an organizer's
payout account to be able to receive them."""

from __future__ import annotations

from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils.functional import cached_property
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.widgets.button import HeaderButton, ListingButton

from backoffice.permissions import APPROVE
from marketplace.payments.models import Transaction, TransactionStatus
from marketplace.payments.policy import payout_approval_grounds_text, payout_waiting_text
from marketplace.payments.selectors import payout_list_awaiting_approval, payout_list_waiting_for_account
from marketplace.payments.services import escrow_release

from .base import BackOfficeIndexView, BackOfficeTemplateView, ReasonActionView, paginator_counting


class PayoutIndexView(BackOfficeIndexView):
    page_title = "Payouts awaiting approval"
    paginator_class = paginator_counting("payout", "payouts")
    url_namespace = None
    booking_inspect_url_name = None
    search_fields = ["booking__reference", "booking__vendor__business_name", "booking__customer__email"]

    def get_backoffice_queryset(self):
        return payout_list_awaiting_approval()

    @cached_property
    def verbose_name_plural(self):
        return "payouts awaiting approval"

    def booking_url(self, payment: Transaction) -> str:
        return reverse(self.booking_inspect_url_name, args=(quote(payment.booking_id),))

    @cached_property
    def columns(self):
        return [
            self._get_title_column_class(TitleColumn)(
                "booking", label="Booking", accessor="booking.reference", get_url=self.booking_url
            ),
            Column("vendor", label="Vendor", accessor="booking.vendor.business_name"),
            Column("customer", label="Customer", accessor="booking.customer.email"),
            DateColumn(
                "completed_at", label="Completed", accessor="booking.completed_at", sort_key="booking__completed_at"
            ),
            Column("amount", label="Amount", accessor="amount", sort_key="amount_minor"),
            Column("platform_fee", label="Commission", accessor="platform_fee"),
            Column("vendor_payout", label="To vendor", accessor="vendor_payout"),
            Column("grounds", label="Needs approval because", accessor=payout_approval_grounds_text),
        ]

    @cached_property
    def header_buttons(self):
        waiting = payout_list_waiting_for_account().count()
        return [
            *super().header_buttons,
            HeaderButton(
                f"Waiting for organizers' accounts ({waiting})",
                url=reverse(f"{self.url_namespace}:waiting"),
                icon_name="time",
            ),
        ]

    def get_list_buttons(self, instance):
        buttons = []
        if self.user_has_permission(APPROVE):
            buttons.append(
                ListingButton(
                    "Approve", url=reverse(f"{self.url_namespace}:approve", args=(quote(instance.pk),)), priority=10
                )
            )
        return buttons + super().get_list_buttons(instance)


class PayoutApproveView(ReasonActionView):
    """Approve a waiting payout: ``escrow_release`` with the admin as approver and their reason."""

    permission_required = APPROVE
    header_icon = "success"
    action_label = "Approve payout"
    index_label = "Payouts"
    reason_help_text = "Required. Kept in the audit log with your name."

    def get_backoffice_queryset(self):
        # Any payment, not only those still waiting: the service decides, so a second
        # approval gets its clear refusal instead of a 404.
        return Transaction.objects.select_related("booking__vendor", "booking__customer", "booking__service")

    def get_page_subtitle(self):
        return self.object.booking.reference

    @property
    def intro(self):
        payment = self.object
        if payment.status != TransactionStatus.HELD:
            return f"This payment is {payment.get_status_display().lower()}: there is nothing to approve."
        return (
            f"Releasing transfers {payment.vendor_payout} to {payment.booking.vendor.business_name} "
            f"and books {payment.platform_fee} of commission. This cannot be undone."
        )

    def get_summary(self):
        payment = self.object
        booking = payment.booking
        return [
            ("Booking", booking.reference),
            ("Vendor", booking.vendor.business_name),
            ("Customer", booking.customer.email),
            ("Service", booking.service.title),
            ("Completed", booking.completed_at),
            ("Amount held", payment.amount),
            ("Commission", f"{payment.platform_fee} ({payment.commission_bps / 100:g}%)"),
            ("To vendor", payment.vendor_payout),
            ("Needs approval because", payout_approval_grounds_text(payment)),
        ]

    def perform_action(self, reason: str) -> None:
        escrow_release(booking_id=self.object.booking_id, approved_by=self.request.user, reason=reason)

    def get_success_message(self) -> str:
        payment = self.object
        return f"Payout of {payment.vendor_payout} to {payment.booking.vendor.business_name} released."


class PayoutWaitingForAccountView(BackOfficeTemplateView):
    """Released payouts the organizer's payout account cannot receive yet: owed, not moved.

    Nothing to do here but see them: each goes out on its own once the account can receive
    (``payout_accounts.payout_account_sync``); the organizer is shown what their account needs.
    """

    model = Transaction
    page_title = "Payouts waiting for organizers' accounts"
    header_icon = "time"
    template_name = "backoffice/payouts/waiting.html"
    index_url_name = None
    vendor_inspect_url_name = None
    booking_inspect_url_name = None

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": "Payouts"},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        payouts = list(payout_list_waiting_for_account()[:500])
        context["rows"] = [
            {
                "payout": payout,
                "why": payout_waiting_text(payout, getattr(payout.vendor, "profile", None)),
                "vendor_url": reverse(self.vendor_inspect_url_name, args=(quote(payout.vendor_id),)),
                "booking_url": reverse(self.booking_inspect_url_name, args=(quote(payout.booking_id),)),
            }
            for payout in payouts
        ]
        return context
