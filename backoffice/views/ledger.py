"""The ledger, read-only: entries with their lines, and the balances they add up to."""

from __future__ import annotations

import django_filters
from django.contrib.admin.utils import quote
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.functional import cached_property
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.widgets.button import HeaderButton

from marketplace.core.money import SUPPORTED_CURRENCIES
from marketplace.payments.models import EntryKind, LedgerAccount, LedgerEntry, LedgerLine
from marketplace.payments.selectors import (
    ledger_balances,
    ledger_entry_list,
    payout_awaiting_approval_totals,
)

from .base import BackOfficeIndexView, BackOfficeInspectView, BackOfficeTemplateView


class LinesColumn(Column):
    """Each line of an entry: account, and the amount debited or credited."""

    cell_template_name = "backoffice/ledger/lines_cell.html"

    def get_value(self, instance):
        return list(instance.lines.all())  # prefetched by the selector


class LedgerEntryFilterSet(WagtailFilterSet):
    kind = django_filters.ChoiceFilter(label="Kind", choices=EntryKind.choices, empty_label="All")
    currency = django_filters.ChoiceFilter(
        label="Currency",
        field_name="transaction__currency",
        choices=[(code, code) for code in SUPPORTED_CURRENCIES],
        empty_label="All",
    )
    created_at = django_filters.DateFromToRangeFilter(label="Posted", widget=DateRangePickerWidget)
    account = django_filters.ChoiceFilter(
        label="Account", choices=LedgerAccount.choices, empty_label="Any", method="filter_account"
    )

    def filter_account(self, queryset, name, value):
        """Entries with a line in the account (the dashboard's platform revenue links here)."""
        return queryset.filter(Exists(LedgerLine.objects.filter(entry=OuterRef("pk"), account=value)))

    class Meta:
        model = LedgerEntry
        fields = []


class LedgerEntryIndexView(BackOfficeIndexView):
    page_title = "Ledger"
    booking_inspect_url_name = None
    balances_url_name = None
    ledger_accounts_url_name = None
    filterset_class = LedgerEntryFilterSet
    search_fields = ["transaction__booking__reference", "memo"]

    def get_backoffice_queryset(self):
        return ledger_entry_list()

    @cached_property
    def verbose_name_plural(self):
        return "ledger entries"

    @cached_property
    def header_buttons(self):
        return [
            HeaderButton("Balances", url=reverse(self.balances_url_name), icon_name="table"),
            HeaderButton("Accounts", url=reverse(self.ledger_accounts_url_name), icon_name="list-ul"),
            *super().header_buttons,
        ]

    def booking_url(self, entry: LedgerEntry) -> str:
        return reverse(self.booking_inspect_url_name, args=(quote(entry.transaction.booking_id),))

    @cached_property
    def columns(self):
        return [
            self._get_title_column_class(TitleColumn)(
                "kind", label="Entry", accessor="get_kind_display", sort_key="kind", get_url=self.get_inspect_url
            ),
            DateColumn("created_at", label="Posted", sort_key="created_at"),
            TitleColumn("booking", label="Booking", accessor="transaction.booking.reference", get_url=self.booking_url),
            LinesColumn("lines", label="Lines"),
            Column("memo", label="Memo"),
        ]


class LedgerEntryInspectView(BackOfficeInspectView):
    page_title = "Ledger entry"
    template_name = "backoffice/ledger/inspect.html"
    booking_inspect_url_name = None

    def get_backoffice_queryset(self):
        return ledger_entry_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entry = self.object
        context.update(
            entry=entry,
            lines=entry.lines.all(),
            booking=entry.transaction.booking,
            booking_url=reverse(self.booking_inspect_url_name, args=(quote(entry.transaction.booking_id),)),
        )
        return context


class LedgerBalancesView(BackOfficeTemplateView):
    """Escrow held, commission earned and what is owed to vendors, per currency."""

    model = LedgerEntry
    page_title = "Balances"
    header_icon = "table"
    template_name = "backoffice/ledger/balances.html"
    index_url_name = None
    ledger_accounts_url_name = None

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": "Ledger"},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            balances=ledger_balances(),
            awaiting=payout_awaiting_approval_totals(),
            ledger_accounts_url=reverse(self.ledger_accounts_url_name),
        )
        return context
