"""Bookings: the listing, one booking with its money and audit trail, and staff's cancel, move and refund."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import django_filters
from django import forms
from django.conf import settings
from django.contrib.admin.utils import quote
from django.forms.fields import BaseTemporalField
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, StatusTagColumn, TitleColumn
from wagtail.permissions import policy_registry

from backoffice.forms import ReasonForm
from backoffice.permissions import APPROVE, CANCEL, MOVE, REFUND
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.bookings.policy import can_cancel, can_reschedule, reschedule_deadline, status_label
from marketplace.bookings.selectors import booking_audit_trail, booking_list_for_backoffice
from marketplace.bookings.services import booking_cancel, booking_reschedule
from marketplace.core.forms import AmountField
from marketplace.core.money import Money, to_minor_units
from marketplace.payments.models import Transaction
from marketplace.payments.policy import (
    EscrowState,
    escrow_state,
    payment_of,
    payout_approval_grounds_text,
    refundable,
)
from marketplace.payments.selectors import ledger_entries_for_transaction
from marketplace.payments.services import escrow_refund_by_admin
from marketplace.payments.timeline import booking_money_timeline

from .base import BackOfficeIndexView, BackOfficeInspectView, ReasonActionView


def payment_status(booking: Booking) -> str:
    """Where the booking's money is, as the money service says it (the storefront words the same answer)."""
    return escrow_state(payment_of(booking)).label


def price_display(booking: Booking) -> str:
    return str(booking.price) if booking.price is not None else "Awaiting quote"


class BookingFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label="Status", choices=BookingStatus.choices, empty_label="All")
    starts_at = django_filters.DateFromToRangeFilter(label="Appointment date", widget=DateRangePickerWidget)
    # When the booking was made, by the days of the admin's time zone (the dashboard's "today" links here).
    created_at = django_filters.DateFromToRangeFilter(label="Booked on", widget=DateRangePickerWidget)
    customer = django_filters.CharFilter(label="Customer email", field_name="customer__email", lookup_expr="icontains")
    vendor = django_filters.CharFilter(label="Vendor", field_name="vendor__business_name", lookup_expr="icontains")
    price_min = django_filters.NumberFilter(label="Price from", method="filter_price")
    price_max = django_filters.NumberFilter(label="Price up to", method="filter_price")

    def filter_price(self, queryset, name, value):
        """A bound typed in the marketplace currency's unit (150 dollars); prices are kept in minor units."""
        try:
            minor = to_minor_units(value, settings.MARKETPLACE_CURRENCY)
        except ValueError:
            return queryset.none()  # more decimals than the currency has: nothing costs that
        return queryset.filter(**{"price_minor__gte" if name == "price_min" else "price_minor__lte": minor})

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
    cancel_url_name = None
    move_url_name = None
    refund_url_name = None

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
            # Offered only when the services would take them: the same verdicts they enforce.
            cancel_url=reverse(self.cancel_url_name, args=(quote(booking.pk),))
            if self.cancel_url_name and self.user_has_permission(CANCEL) and can_cancel(booking, user=self.request.user)
            else "",
            move_url=reverse(self.move_url_name, args=(quote(booking.pk),))
            if self.move_url_name and self.user_has_permission(MOVE) and can_reschedule(booking, user=self.request.user)
            else "",
            refund_url=reverse(self.refund_url_name, args=(quote(booking.pk),))
            if self.refund_url_name and self.user_has_permission(REFUND) and refundable(payment).minor
            else "",
        )
        return context


class RefundForm(ReasonForm):
    """How much to give back (empty: everything left), then why."""

    field_order = ["amount", "reason"]

    def __init__(self, *args, currency: str, left: Money, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"] = AmountField(
            currency=currency,
            required=False,
            min_minor=1,
            label=f"Amount to refund ({currency})",
            help_text=f"Empty: everything left ({left}). After the payout, the organizer's share is taken back.",
        )
        self.order_fields(self.field_order)


class _BookingAction(ReasonActionView):
    model = Booking
    index_label = "Bookings"
    reason_help_text = "Required. Kept in the audit log with your name."

    def get_backoffice_queryset(self):
        return booking_list_for_backoffice()

    def get_summary(self):
        booking = self.object
        payment = payment_of(booking)
        return [
            ("Booking", booking.reference),
            ("Status", status_label(booking, audience="staff")),
            ("Customer", booking.customer.email),
            ("Vendor", booking.vendor.business_name),
            ("Paid", payment.amount if payment else "Nothing"),
            ("Left to refund", refundable(payment)),
        ]


class BookingCancelView(_BookingAction):
    """Staff call a booking off, at any time: the customer is refunded in full (the booking's terms for staff)."""

    permission_required = CANCEL
    header_icon = "cross"
    action_label = "Cancel booking"
    submit_classname = "button no"
    intro = "The booking is cancelled and the customer refunded in full. Both sides are told."

    def perform_action(self, reason: str) -> None:
        booking_cancel(user=self.request.user, booking_id=self.object.pk, reason=reason)

    def get_success_message(self) -> str:
        return f"Booking {self.object.reference} cancelled; the customer is refunded in full."


class BookingRefundView(_BookingAction):
    """Staff refund part or all of what is left of a booking's payment, within their refund limit."""

    permission_required = REFUND
    form_class = RefundForm
    header_icon = "undo"
    action_label = "Refund"
    error_fields = {"amount_minor": "amount"}

    def get_form_kwargs(self):
        payment = payment_of(self.object)
        return {**super().get_form_kwargs(), "currency": self.object.currency, "left": refundable(payment)}

    def perform_action(self, reason: str) -> None:
        minor = self.form.cleaned_data.get("amount")
        amount = None if minor is None else Money(minor, self.object.currency)
        self.refund = escrow_refund_by_admin(
            admin=self.request.user, booking_id=self.object.pk, amount=amount, reason=reason
        )

    def get_success_message(self) -> str:
        return f"{self.refund.amount} refunded for booking {self.object.reference}."


# How the new start is typed: the browser's date-and-time input, read in the organizer's zone.
LOCAL_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class LocalDateTimeField(forms.DateTimeField):
    """A date and time typed in ``zone`` (the organizer's), not in the admin's own time zone."""

    def __init__(self, *args, zone: ZoneInfo, **kwargs):
        super().__init__(*args, input_formats=LOCAL_INPUT_FORMATS, **kwargs)
        self.zone = zone

    def to_python(self, value):
        if value in self.empty_values:
            return None
        moment = BaseTemporalField.to_python(self, value)  # naive, read as typed
        return moment.replace(tzinfo=self.zone)


class MoveForm(ReasonForm):
    """The new start, in the organizer's time zone, then why the booking moves."""

    field_order = ["starts_at", "reason"]

    def __init__(self, *args, booking: Booking, **kwargs):
        super().__init__(*args, **kwargs)
        zone = ZoneInfo(booking.vendor.time_zone)
        self.fields["starts_at"] = LocalDateTimeField(
            zone=zone,
            label=f"New start ({booking.vendor.time_zone})",
            help_text="In the organizer's time zone. It must be a time their schedule offers; "
            "the booking keeps its length, price and payment.",
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT_FORMATS[0]),
            error_messages={"required": "New start is required.", "invalid": "Enter a date and a time."},
        )
        self.initial.setdefault("starts_at", booking.starts_at.astimezone(zone).replace(tzinfo=None))
        self.order_fields(self.field_order)


def _in_vendor_zone(booking: Booking, moment: datetime) -> str:
    local = moment.astimezone(ZoneInfo(booking.vendor.time_zone))
    return f"{local:%a %b} {local.day} {local:%Y, %H:%M} ({booking.vendor.time_zone})"


class BookingMoveView(_BookingAction):
    """Staff move a confirmed booking to another time the organizer's schedule offers, until it starts."""

    permission_required = MOVE
    form_class = MoveForm
    header_icon = "calendar"
    action_label = "Move booking"
    intro = (
        "The booking moves to the new time, keeping its length, price and payment. "
        "Both sides are emailed, with your reason and the updated calendar event."
    )
    errors_on_form = True

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "booking": self.object}

    def get_summary(self):
        booking = self.object
        verdict = can_reschedule(booking, user=self.request.user)
        summary = [
            ("Booking", booking.reference),
            ("Status", status_label(booking, audience="staff")),
            ("Customer", booking.customer.email),
            ("Vendor", booking.vendor.business_name),
            ("Appointment", f"{_in_vendor_zone(booking, booking.starts_at)}, {booking.duration_minutes} min"),
            ("The customer may move it until", _in_vendor_zone(booking, reschedule_deadline(booking))),
            ("Now", _in_vendor_zone(booking, timezone.now())),
        ]
        if not verdict:
            summary.append(("Cannot be moved", verdict.refusal.message))
        return summary

    def perform_action(self, reason: str) -> None:
        self.moved = booking_reschedule(
            user=self.request.user,
            booking_id=self.object.pk,
            starts_at=self.form.cleaned_data["starts_at"],
            reason=reason,
        )

    def get_success_message(self) -> str:
        return f"Booking {self.object.reference} moved to {_in_vendor_zone(self.moved, self.moved.starts_at)}."
