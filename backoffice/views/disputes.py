"""Disputes: staff's queue, one dispute with both sides, its evidence and money, and the decision.

The decision calls ``dispute_resolve``, the same service the API's resolve route calls;
a refusal (a closed dispute, a split of everything held) comes back on the form.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.admin.utils import quote
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views import View
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn, TitleColumn
from wagtail.permissions import policy_registry

from backoffice.forms import REASON_MAX_LENGTH, ReasonForm
from backoffice.permissions import RESOLVE
from marketplace.bookings.selectors import booking_audit_trail
from marketplace.core.forms import AmountField
from marketplace.core.money import Money
from marketplace.disputes.downloads import evidence_response
from marketplace.disputes.models import Dispute, DisputeReason, DisputeStatus, Evidence, Outcome, Side
from marketplace.disputes.policy import can_resolve, next_to_act
from marketplace.disputes.selectors import dispute_audit_trail, dispute_queue
from marketplace.disputes.services import dispute_resolve
from marketplace.payments.policy import escrow_state, payment_of

from .base import BackOfficeIndexView, BackOfficeInspectView, BackOfficePermissionMixin, ReasonActionView


def held_amount(dispute: Dispute) -> str:
    """What the escrow still holds for the booking (what a decision can split); nothing once paid out."""
    payment = payment_of(dispute.booking)
    return str(payment.in_escrow) if payment is not None else "—"


class DisputeFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label="Status", choices=DisputeStatus.choices, empty_label="All")
    opened_by_side = django_filters.ChoiceFilter(label="Opened by", choices=Side.choices, empty_label="Either side")
    reason = django_filters.ChoiceFilter(label="Reason", choices=DisputeReason.choices, empty_label="Any reason")

    class Meta:
        model = Dispute
        fields = []


class DisputeIndexView(BackOfficeIndexView):
    """The queue: under review first, then awaiting an answer, then closed; the oldest deadline first."""

    page_title = "Disputes"
    filterset_class = DisputeFilterSet
    search_fields = ["booking__reference", "booking__customer__email", "booking__vendor__business_name"]

    def get_backoffice_queryset(self):
        return dispute_queue()

    def order_queryset(self, queryset):
        # The queue's own order, unless the admin sorts by a column.
        return super().order_queryset(queryset) if self.is_explicitly_ordered else queryset

    @cached_property
    def columns(self):
        return [
            self._get_title_column_class(TitleColumn)(
                "booking", label="Booking", accessor="booking.reference", get_url=self.get_inspect_url
            ),
            StatusTagColumn("status", label="Status", accessor="get_status_display", sort_key="status"),
            Column("next_to_act", label="Next to act", accessor=next_to_act),
            DeadlineColumn("respond_by", label="Answer due", sort_key="respond_by"),
            Column("opened_by_side", label="Opened by", accessor="get_opened_by_side_display"),
            Column("reason", label="Reason", accessor="get_reason_display"),
            Column("customer", label="Customer", accessor="booking.customer.email"),
            Column("vendor", label="Vendor", accessor="booking.vendor.business_name"),
            Column("held", label="Held", accessor=held_amount),
            DateColumn("created_at", label="Opened", sort_key="created_at"),
        ]


class DeadlineColumn(Column):
    """A moment that may be ahead: "in 12 hours" or "2 days ago", the exact time on hover.

    Wagtail's date column only counts back in time and shows a future moment as "just now".
    """

    cell_template_name = "backoffice/disputes/deadline_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        return {**super().get_cell_context_data(instance, parent_context), "now": timezone.now()}


class DisputeInspectView(BackOfficeInspectView):
    """One dispute: both sides' statements and files, the booking and its money, the decision, the audit trail."""

    page_title = "Dispute"
    template_name = "backoffice/disputes/inspect.html"
    booking_inspect_url_name = None
    url_namespace = None

    def get_backoffice_queryset(self):
        return dispute_queue()

    def get_page_subtitle(self):
        return self.object.booking.reference

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dispute = self.object
        payment = payment_of(dispute.booking)
        may_resolve = can_resolve(dispute).allowed and policy_registry.get_by_type(Dispute).user_has_permission(
            self.request.user, RESOLVE
        )
        evidence = list(dispute.evidence.all())
        context.update(
            dispute=dispute,
            booking=dispute.booking,
            payment=payment,
            escrow_state=escrow_state(payment),
            held=payment.in_escrow if payment is not None else None,
            next_to_act=next_to_act(dispute),
            customer_evidence=[item for item in evidence if item.side == "customer"],
            organizer_evidence=[item for item in evidence if item.side == "organizer"],
            evidence_url_name=f"{self.url_namespace}:evidence",
            booking_url=reverse(self.booking_inspect_url_name, args=(quote(dispute.booking_id),))
            if self.booking_inspect_url_name
            else "",
            resolve_url=reverse(f"{self.url_namespace}:resolve", args=(quote(dispute.pk),)) if may_resolve else "",
            audit_trail=(dispute_audit_trail(dispute=dispute) | booking_audit_trail(booking=dispute.booking)).order_by(
                "created_at", "id"
            ),
        )
        return context


class ResolveForm(ReasonForm):
    """The decision, then the reason (shown to both sides and kept in the audit log)."""

    outcome = forms.ChoiceField(label="Decision", choices=Outcome.choices, widget=forms.RadioSelect)
    field_order = ["outcome", "refund", "reason"]

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["refund"] = AmountField(
            currency=currency,
            required=False,
            min_minor=1,
            label=f"Refund to the customer ({currency}), for a split",
            help_text="Less than what is held; the rest goes to the vendor, less the commission on it.",
        )
        self.fields["reason"].max_length = REASON_MAX_LENGTH
        self.order_fields(self.field_order)


class DisputeResolveView(ReasonActionView):
    """Decide a dispute: release to the vendor, refund the customer in full, or split with an amount."""

    model = Dispute
    permission_required = RESOLVE
    form_class = ResolveForm
    header_icon = "warning"
    action_label = "Resolve dispute"
    index_label = "Disputes"
    reason_label = "Reason for the decision"
    reason_help_text = "Required. Shown to the customer and the vendor, and kept in the audit log with your name."
    error_fields = {"refund_minor": "refund"}

    def get_backoffice_queryset(self):
        return dispute_queue()

    def get_page_subtitle(self):
        return self.object.booking.reference

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "currency": self.object.currency}

    @property
    def intro(self):
        dispute = self.object
        if not (verdict := can_resolve(dispute)):
            return f"{verdict.refusal.message} There is nothing to decide."
        return f"{held_amount(dispute)} is held. The decision moves the money at once and cannot be undone."

    def get_summary(self):
        dispute = self.object
        booking = dispute.booking
        return [
            ("Booking", booking.reference),
            ("Customer", booking.customer.email),
            ("Vendor", booking.vendor.business_name),
            ("Reason", dispute.get_reason_display()),
            ("Status", dispute.get_status_display()),
            ("Held", held_amount(dispute)),
        ]

    def perform_action(self, reason: str) -> None:
        data = self.form.cleaned_data
        refund = Money(data["refund"], self.object.currency) if data.get("refund") is not None else None
        dispute_resolve(
            staff=self.request.user, dispute_id=self.object.pk, outcome=data["outcome"], reason=reason, refund=refund
        )

    def get_success_message(self) -> str:
        self.object.refresh_from_db()
        return f"Dispute over {self.object.booking.reference} resolved: {self.object.get_outcome_display().lower()}."


class EvidenceDownloadView(BackOfficePermissionMixin, View):
    """An evidence file for a back-office user, sent with the same headers as everywhere else."""

    model = Dispute

    def get(self, request, pk: int, evidence_id: int):
        evidence = get_object_or_404(Evidence.objects.select_related("dispute"), dispute_id=pk, pk=evidence_id)
        if not evidence.file:
            raise Http404
        return evidence_response(evidence)
