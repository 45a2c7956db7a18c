"""Bookings, read-only: the listing and one booking with its payment and audit trail."""

from __future__ import annotations

import django_filters
from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils.functional import cached_property
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, StatusTagColumn, TitleColumn
from wagtail.permissions import policy_registry

from backoffice.permissions import APPROVE
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.bookings.policy import status_label
from marketplace.bookings.selectors import booking_audit_trail, booking_list_for_backoffice
from marketplace.payments.models import Transaction
from marketplace.payments.policy import EscrowState, escrow_state, payment_of, payout_approval_grounds_text
from marketplace.payments.selectors import ledger_entries_for_transaction
from marketplace.payments.timeline import booking_money_timeline

from .base import BackOfficeIndexView, BackOfficeInspectView


def payment_status(booking: Booking) -> str:
    """Where the booking's money is, as the money service says it (the storefront words the same answer)."""
    return escrow_state(payment_of(booking)).label


def price_display(booking: Booking) -> str:
    return str(booking.price) if booking.price is not None else "Awaiting quote"


class BookingFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label="Status", choices=BookingStatus.choices, empty_label="All")
    starts_at = django_filters.DateFromToRangeFilter(label="Appointment date", widget=DateRangePickerWidget)

    class Meta:
        model = Booking
        fields = []


class BookingIndexView(BackOfficeIndexView):
    page_title = "Bookings"
    filterset_class = BookingFilterSet
    search_fields = ["reference", "customer__email", "vendor__business_name"]

    def get_backoffice_queryset(self):
        return booking_list_for_backoffice()

    @cached_property
    def columns(self):
        return [
            self._get_title_column_class(TitleColumn)(
                "reference", label="Reference", sort_key="reference", get_url=self.get_inspect_url
            ),
            Column("customer", label="Customer", accessor="customer.email", sort_key="customer__email"),
            Column("vendor", label="Vendor", accessor="vendor.business_name", sort_key="vendor__business_name"),
            Column("service", label="Service", accessor="service.title"),
            Column("starts_at", label="Appointment", sort_key="starts_at"),
            StatusTagColumn(
                "status",
                label="Status",
                accessor=lambda booking: status_label(booking, audience="staff"),
                sort_key="status",
            ),
            Column("price", label="Price", accessor=price_display, sort_key="price_minor"),
            Column("payment", label="Payment", accessor=payment_status),
        ]


class BookingInspectView(BackOfficeInspectView):
    """One booking: who, what, when, its payment and ledger postings, and everything logged."""

    page_title = "Booking"
    template_name = "backoffice/bookings/inspect.html"
    vendor_inspect_url_name = None
    payout_approve_url_name = None

    def get_backoffice_queryset(self):
        return booking_list_for_backoffice()

    def get_page_subtitle(self):
        return self.object.reference

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        booking = self.object
        payment = payment_of(booking)
        state = escrow_state(payment)
        awaiting_approval = state == EscrowState.AWAITING_APPROVAL and policy_registry.get_by_type(
            Transaction
        ).user_has_permission(self.request.user, APPROVE)
        context.update(
            booking=booking,
            payment=payment,
            escrow_state=state,
            approval_grounds=payout_approval_grounds_text(payment) if payment and payment.payout_needs_approval else "",
            ledger_entries=ledger_entries_for_transaction(transaction=payment) if payment else [],
            money_timeline=booking_money_timeline(booking=booking, audience="staff"),
            audit_trail=booking_audit_trail(booking=booking),
            vendor_url=reverse(self.vendor_inspect_url_name, args=(quote(booking.vendor_id),))
            if self.vendor_inspect_url_name
            else "",
            approve_url=reverse(self.payout_approve_url_name, args=(quote(payment.pk),))
            if awaiting_approval and self.payout_approve_url_name
            else "",
        )
        return context
