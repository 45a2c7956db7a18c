"""The audit log, read-only: who did what to which object, when and why."""

from __future__ import annotations

import json

import django_filters
from django import forms
from django.contrib.admin.utils import quote
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import cached_property
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn

from marketplace.bookings.models import Booking
from marketplace.core.models import AuditLogEntry
from marketplace.payments.models import Transaction
from marketplace.payments.selectors import booking_ids_for_transactions
from marketplace.vendors.models import Vendor

from .base import BackOfficeIndexView, BackOfficeInspectView, paginator_counting


def action_choices() -> list[tuple[str, str]]:
    """Every action that occurs in the log (read per request, so new actions appear by themselves)."""
    actions = AuditLogEntry.objects.order_by("action").values_list("action", flat=True).distinct()
    return [(action, action) for action in actions]


def target_type_queryset(request):
    return ContentType.objects.filter(pk__in=AuditLogEntry.objects.values("target_type")).order_by("model")


class AuditLogFilterSet(WagtailFilterSet):
    action = django_filters.ChoiceFilter(label="Action", choices=action_choices, widget=forms.Select)
    target_type = django_filters.ModelChoiceFilter(label="Target type", queryset=target_type_queryset)
    created_at = django_filters.DateFromToRangeFilter(label="When", widget=DateRangePickerWidget)

    class Meta:
        model = AuditLogEntry
        fields = []


class TargetLinks:
    """Back-office URLs of audit targets: vendors and bookings directly, payments through their booking."""

    def __init__(self, *, vendor_url_name: str | None, booking_url_name: str | None):
        self.vendor_url_name = vendor_url_name
        self.booking_url_name = booking_url_name
        self.content_types = ContentType.objects.get_for_models(Vendor, Booking, Transaction)
        self.booking_of_payment: dict[int, int] = {}

    def prepare(self, entries) -> None:
        """Look up, in one query, the bookings of the payments among ``entries``."""
        payment_type = self.content_types[Transaction]
        ids = [int(entry.target_id) for entry in entries if entry.target_type_id == payment_type.pk]
        self.booking_of_payment = booking_ids_for_transactions(transaction_ids=ids) if ids else {}

    def url(self, entry: AuditLogEntry) -> str | None:
        if entry.target_type_id == self.content_types[Vendor].pk and self.vendor_url_name:
            return reverse(self.vendor_url_name, args=(quote(entry.target_id),))
        booking_id = None
        if entry.target_type_id == self.content_types[Booking].pk:
            booking_id = entry.target_id
        elif entry.target_type_id == self.content_types[Transaction].pk:
            booking_id = self.booking_of_payment.get(int(entry.target_id))
        if booking_id is not None and self.booking_url_name:
            return reverse(self.booking_url_name, args=(quote(booking_id),))
        return None


def target_label(entry: AuditLogEntry) -> str:
    return f"{entry.target_type.name} #{entry.target_id}"


def actor_label(entry: AuditLogEntry) -> str:
    return entry.actor.email if entry.actor else "System"


class AuditLogIndexView(BackOfficeIndexView):
    page_title = "Audit log"
    paginator_class = paginator_counting("entry", "entries")
    filterset_class = AuditLogFilterSet
    # Searched as: the exact target id, or part of the actor's email (see search_queryset).
    search_fields = ["target_id", "actor__email"]
    vendor_inspect_url_name = None
    booking_inspect_url_name = None

    def get_backoffice_queryset(self):
        return AuditLogEntry.objects.select_related("actor", "target_type")

    @cached_property
    def verbose_name_plural(self):
        return "audit log entries"

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        query = self.search_query.strip()
        return queryset.filter(Q(target_id=query) | Q(actor__email__icontains=query))

    @cached_property
    def target_links(self) -> TargetLinks:
        return TargetLinks(vendor_url_name=self.vendor_inspect_url_name, booking_url_name=self.booking_inspect_url_name)

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        # The table renders after this returns: resolve the page's payment targets now, in one query.
        self.target_links.prepare(context["object_list"])
        return context

    @cached_property
    def columns(self):
        return [
            self._get_title_column_class(TitleColumn)(
                "action", label="Action", sort_key="action", get_url=self.get_inspect_url
            ),
            DateColumn("created_at", label="When", sort_key="created_at"),
            TitleColumn("target", label="Target", accessor=target_label, get_url=self.target_links.url),
            Column("actor", label="Actor", accessor=actor_label, sort_key="actor__email"),
            Column("reason", label="Reason"),
        ]


class AuditLogInspectView(BackOfficeInspectView):
    page_title = "Audit log entry"
    template_name = "backoffice/audit_log/inspect.html"
    vendor_inspect_url_name = None
    booking_inspect_url_name = None

    def get_backoffice_queryset(self):
        return AuditLogEntry.objects.select_related("actor", "target_type")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entry = self.object
        links = TargetLinks(
            vendor_url_name=self.vendor_inspect_url_name, booking_url_name=self.booking_inspect_url_name
        )
        links.prepare([entry])
        context.update(
            entry=entry,
            target=target_label(entry),
            target_url=links.url(entry),
            actor=actor_label(entry),
            data_json=json.dumps(entry.data, indent=2, sort_keys=True, default=str) if entry.data else "",
        )
        return context
