"""Payouts: those waiting for an admin's approval (their risk flags, Approve and Hold, one at a time or
several with one reason), and those waiting for an organizer's payout account to be able to receive them."""

from __future__ import annotations

from django.contrib.admin.utils import quote
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton, ListingButton

from backoffice.forms import ReasonForm
from backoffice.permissions import APPROVE
from marketplace.core.errors import DomainError
from marketplace.payments.models import HoldReason, Transaction
from marketplace.payments.policy import (
    hold_reasons_text,
    payout_approval_grounds_text,
    payout_approval_refusal,
    payout_can_be_approved,
    payout_can_be_held,
    payout_hold_can_be_lifted,
    payout_hold_refusal,
    payout_risk_flags,
    payout_waiting_text,
)
from marketplace.payments.selectors import (
    payout_annotate_risk,
    payout_list_awaiting_approval_with_risk,
    payout_list_waiting_for_account,
)
from marketplace.payments.services import escrow_hold_lift, escrow_release, payout_hold

from .base import (
    BackOfficeIndexView,
    BackOfficePermissionMixin,
    BackOfficeTemplateView,
    ReasonActionView,
    paginator_counting,
)

BULK_FORM_ID = "payout-bulk"


def payout_status_text(payment: Transaction) -> str:
    if payment.hold_reasons:
        return f"On hold: {hold_reasons_text(payment).lower()}"
    return "Waiting for approval"


class SelectColumn(Column):
    """A checkbox per row, in the bulk form below the listing (``form=``), so the listing needs no form around it."""

    cell_template_name = "backoffice/payouts/select_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context.update(form_id=BULK_FORM_ID, pk=instance.pk, reference=instance.booking.reference)
        return context


class RiskFlagsColumn(Column):
    cell_template_name = "backoffice/payouts/risk_cell.html"


class PayoutIndexView(BackOfficeIndexView):
    """Payouts waiting for approval, each with its risk flags; one on hold stays listed, marked held."""

    page_title = "Payouts awaiting approval"
    template_name = "backoffice/payouts/index.html"
    paginator_class = paginator_counting("payout", "payouts")
    url_namespace = None
    booking_inspect_url_name = None
    search_fields = ["booking__reference", "booking__vendor__business_name", "booking__customer__email"]

    def get_backoffice_queryset(self):
        return payout_list_awaiting_approval_with_risk()

    @cached_property
    def verbose_name_plural(self):
        return "payouts awaiting approval"

    def booking_url(self, payment: Transaction) -> str:
        return reverse(self.booking_inspect_url_name, args=(quote(payment.booking_id),))

    @cached_property
    def columns(self):
        columns = [
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
            RiskFlagsColumn("risks", label="Risk flags", accessor=payout_risk_flags),
            Column("status", label="Status", accessor=payout_status_text),
        ]
        if self.user_has_permission(APPROVE):
            columns.insert(0, SelectColumn("select", label="Select"))
        return columns

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            bulk_form_id=BULK_FORM_ID,
            can_approve=self.user_has_permission(APPROVE),
            bulk_approve_url=reverse(f"{self.url_namespace}:bulk_approve"),
            bulk_hold_url=reverse(f"{self.url_namespace}:bulk_hold"),
        )
        return context

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
            if payout_can_be_approved(instance):
                buttons.append(
                    ListingButton(
                        "Approve", url=reverse(f"{self.url_namespace}:approve", args=(quote(instance.pk),)), priority=10
                    )
                )
            if payout_can_be_held(instance):
                buttons.append(
                    ListingButton(
                        "Hold", url=reverse(f"{self.url_namespace}:hold", args=(quote(instance.pk),)), priority=20
                    )
                )
            if payout_hold_can_be_lifted(instance):
                buttons.append(
                    ListingButton(
                        "Lift hold",
                        url=reverse(f"{self.url_namespace}:lift_hold", args=(quote(instance.pk),)),
                        priority=30,
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
        return payout_annotate_risk(
            Transaction.objects.select_related("booking__vendor", "booking__customer", "booking__service")
        )

    def get_page_subtitle(self):
        return self.object.booking.reference

    @property
    def intro(self):
        payment = self.object
        if (refusal := payout_approval_refusal(payment)) is not None:
            return f"{refusal.message} It cannot be approved now."  # what the service would answer
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
            ("Risk flags", risk_flags_text(payment)),
        ]

    def perform_action(self, reason: str) -> None:
        escrow_release(booking_id=self.object.booking_id, approved_by=self.request.user, reason=reason)

    def get_success_message(self) -> str:
        payment = self.object
        return f"Payout of {payment.vendor_payout} to {payment.booking.vendor.business_name} released."


def risk_flags_text(payment: Transaction) -> str:
    return " ".join(f"{flag.label}: {flag.sentence}" for flag in payout_risk_flags(payment)) or "None"


class PayoutHoldView(PayoutApproveView):
    """Hold a waiting payout: ``escrow_hold`` with the reason "admin" and the admin's words as its note.

    The payout stays on the list, marked held, and is not released (by an approval or the
    job) until the hold is lifted.
    """

    header_icon = "time"
    action_label = "Hold payout"
    reason_help_text = "Required. Kept with the hold and in the audit log with your name."
    submit_classname = "button button-secondary"

    @property
    def intro(self):
        payment = self.object
        if (refusal := payout_hold_refusal(payment)) is not None:
            return refusal.message  # what the service would answer
        return (
            f"Holding keeps {payment.vendor_payout} from {payment.booking.vendor.business_name} "
            "until the hold is lifted: neither an approval nor the release job can pay it out."
        )

    def perform_action(self, reason: str) -> None:
        payout_hold(booking_id=self.object.booking_id, actor=self.request.user, note=reason)

    def get_success_message(self) -> str:
        payment = self.object
        return f"Payout of {payment.vendor_payout} to {payment.booking.vendor.business_name} put on hold."


class PayoutLiftHoldView(PayoutApproveView):
    """Lift an admin's hold: ``escrow_hold_lift`` with the reason "admin" and the admin's words.

    The payout then waits for approval again (or, when it needed none, goes with the next
    release job). Holds placed by a dispute or a chargeback are not lifted here.
    """

    header_icon = "lock-open"
    action_label = "Lift hold"
    reason_help_text = "Required. Kept with the hold and in the audit log with your name."
    submit_classname = "button button-secondary"

    @property
    def intro(self):
        payment = self.object
        if not payout_hold_can_be_lifted(payment):
            return "This payout has no hold by an admin: submitting will change nothing."
        return (
            f"Lifting the hold lets {payment.vendor_payout} to {payment.booking.vendor.business_name} "
            "be approved again."
        )

    def perform_action(self, reason: str) -> None:
        escrow_hold_lift(
            booking_id=self.object.booking_id, reason=HoldReason.ADMIN, actor=self.request.user, note=reason
        )

    def get_success_message(self) -> str:
        payment = self.object
        return f"The hold on the payout of {payment.vendor_payout} to {payment.booking.vendor.business_name} is lifted."


class PayoutBulkActionView(BackOfficePermissionMixin, WagtailAdminTemplateMixin, FormView):
    """Approve or hold the payouts selected on the listing, with one reason.

    GET (from the listing's checkboxes) shows what was selected, with each one's risk
    flags, and asks for the reason; a valid POST runs the domain service on each payout in
    its own unit of work, so one refused (already released, on hold...) changes nothing for
    itself and does not undo the others. The message lists what was done and what was
    refused, and why.
    """

    model = Transaction
    permission_required = APPROVE
    template_name = "backoffice/payouts/bulk_form.html"
    form_class = ReasonForm
    index_url_name = None
    action_label = ""
    done_verb = ""
    reason_help_text = ""

    def dispatch(self, request, *args, **kwargs):
        data = request.POST if request.method == "POST" else request.GET
        ids = sorted({int(value) for value in data.getlist("id") if value.isdigit()})
        self.payments = list(
            payout_annotate_risk(
                Transaction.objects.filter(pk__in=ids).select_related("booking__vendor", "booking__customer")
            ).order_by("releasable_at", "id")
        )
        if not self.payments:
            messages.error(request, "Select at least one payout. Nothing was changed.")
            return redirect(self.index_url_name)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return self.action_label

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": "Payouts"},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(help_text=self.reason_help_text)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            rows=[
                {"payment": payment, "flags": payout_risk_flags(payment), "status": payout_status_text(payment)}
                for payment in self.payments
            ],
            action_url=self.request.path,
            cancel_url=reverse(self.index_url_name),
            submit_label=f"{self.action_label} ({len(self.payments)})",
        )
        return context

    def perform_action(self, payment: Transaction, reason: str) -> None:
        raise NotImplementedError

    def form_valid(self, form):
        reason = form.cleaned_data["reason"]
        done, refused = [], []
        for payment in self.payments:
            try:
                self.perform_action(payment, reason)
            except DomainError as error:
                refused.append(f"{payment.booking.reference}: {error.message}")
            else:
                done.append(
                    f"{payment.booking.reference} ({payment.vendor_payout} to {payment.booking.vendor.business_name})"
                )
        if done:
            messages.success(self.request, f"{self.done_verb} {_payouts(len(done))}: {'; '.join(done)}.")
        if refused:
            messages.error(
                self.request, f"Refused {_payouts(len(refused))}, nothing changed for them: {' '.join(refused)}"
            )
        return redirect(self.index_url_name)

    def form_invalid(self, form):
        messages.error(self.request, "Nothing was changed. Please correct the error below.")
        return super().form_invalid(form)


def _payouts(count: int) -> str:
    return f"{count} payout{'' if count == 1 else 's'}"


class PayoutBulkApproveView(PayoutBulkActionView):
    action_label = "Approve payouts"
    done_verb = "Released"
    reason_help_text = "Required. Kept in the audit log of each payout, with your name."

    def perform_action(self, payment: Transaction, reason: str) -> None:
        escrow_release(booking_id=payment.booking_id, approved_by=self.request.user, reason=reason)


class PayoutBulkHoldView(PayoutBulkActionView):
    action_label = "Hold payouts"
    done_verb = "Put on hold"
    reason_help_text = "Required. Kept with each hold and in its audit log, with your name."

    def perform_action(self, payment: Transaction, reason: str) -> None:
        payout_hold(booking_id=payment.booking_id, actor=self.request.user, note=reason)


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
