"""Chargebacks: card disputes of bookings' payments, as Stripe reports them, read-only.

The card network decides a chargeback and Stripe's webhook keeps the row and the escrow
hold in step (``payments.webhooks``), so nothing here changes one. Every word about a
chargeback (its status, its reason, whether it holds the escrow) is the payments policy's.
"""

from __future__ import annotations

import django_filters
from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils.functional import cached_property
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn, TitleColumn

from marketplace.payments.models import Chargeback
from marketplace.payments.policy import (
    CHARGEBACK_OUTCOME_STATUSES,
    ChargebackOutcome,
    chargeback_hold_text,
    chargeback_holds_escrow,
    chargeback_outcome,
    chargeback_reason_text,
    chargeback_status_text,
    escrow_state,
    hold_reasons_text,
)
from marketplace.payments.selectors import chargeback_list
from marketplace.payments.timeline import booking_money_timeline

from .base import BackOfficeIndexView, BackOfficeInspectView, paginator_counting

READ_ONLY_NOTE = (
    "Chargebacks are decided by the card network, not here: Stripe tells us each change and this page follows it. "
    "Answer a chargeback with evidence in the Stripe dashboard."
)


def holds_escrow(chargeback: Chargeback) -> str:
    held = chargeback_holds_escrow(status=chargeback.status, hold_reasons=chargeback.transaction.hold_reasons)
    return "Held" if held else "No"


class ChargebackFilterSet(WagtailFilterSet):
    outcome = django_filters.ChoiceFilter(
        label="Status", choices=ChargebackOutcome.choices, empty_label="All", method="filter_outcome"
    )
    created = django_filters.DateFromToRangeFilter(label="Opened", widget=DateRangePickerWidget)
    organizer = django_filters.CharFilter(
        label="Organizer", field_name="booking__vendor__business_name", lookup_expr="icontains"
    )

    def filter_outcome(self, queryset, name, value):
        return queryset.filter(status__in=CHARGEBACK_OUTCOME_STATUSES[value])

    class Meta:
        model = Chargeback
        fields = []


class ChargebackIndexView(BackOfficeIndexView):
    page_title = "Chargebacks"
    filterset_class = ChargebackFilterSet
    paginator_class = paginator_counting("chargeback", "chargebacks")
    search_fields = ["booking__reference", "booking__customer__email", "stripe_dispute_id"]
    booking_inspect_url_name = None

    def get_backoffice_queryset(self):
        return chargeback_list()

    @cached_property
    def verbose_name_plural(self):
        return "chargebacks"

    def booking_url(self, chargeback: Chargeback) -> str:
        return reverse(self.booking_inspect_url_name, args=(quote(chargeback.booking_id),))

    @cached_property
    def columns(self):
        return [
            self._get_title_column_class(TitleColumn)(
                "stripe_dispute_id", label="Chargeback", sort_key="stripe_dispute_id", get_url=self.get_inspect_url
            ),
            TitleColumn("booking", label="Booking", accessor="booking.reference", get_url=self.booking_url),
            Column("organizer", label="Organizer", accessor="booking.vendor.business_name"),
            Column("customer", label="Customer", accessor="booking.customer.email"),
            Column(
                "amount",
                label="Amount",
                accessor=lambda chargeback: chargeback.amount.format(),
                sort_key="amount_minor",
            ),
            Column("reason", label="Reason", accessor=lambda chargeback: chargeback_reason_text(chargeback.reason)),
            StatusTagColumn(
                "status",
                label="Status",
                accessor=lambda chargeback: chargeback_outcome(chargeback.status).label,
                sort_key="status",
            ),
            Column(
                "stripe_status",
                label="At Stripe",
                accessor=lambda chargeback: chargeback_status_text(chargeback.status),
            ),
            DateColumn("created", label="Opened", sort_key="created"),
            DateColumn("closed_at", label="Closed", sort_key="closed_at"),
            Column("escrow", label="Escrow", accessor=holds_escrow),
        ]


class ChargebackInspectView(BackOfficeInspectView):
    """One chargeback: what Stripe says, the booking, whether it holds the escrow, and the booking's money timeline."""

    page_title = "Chargeback"
    template_name = "backoffice/chargebacks/inspect.html"
    booking_inspect_url_name = None

    def get_backoffice_queryset(self):
        return chargeback_list()

    def get_page_subtitle(self):
        return self.object.booking.reference

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        chargeback = self.object
        payment = chargeback.transaction
        context.update(
            chargeback=chargeback,
            booking=chargeback.booking,
            payment=payment,
            outcome=chargeback_outcome(chargeback.status),
            status_text=chargeback_status_text(chargeback.status),
            reason_text=chargeback_reason_text(chargeback.reason),
            hold_text=chargeback_hold_text(chargeback),
            escrow_state=escrow_state(payment),
            hold_reasons=hold_reasons_text(payment),
            read_only_note=READ_ONLY_NOTE,
            booking_url=reverse(self.booking_inspect_url_name, args=(quote(chargeback.booking_id),)),
            money_timeline=booking_money_timeline(booking=chargeback.booking, audience="staff"),
        )
        return context
