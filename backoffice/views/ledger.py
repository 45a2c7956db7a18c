"""The ledger, read-only: entries with their lines, and the balances they add up to."""

from __future__ import annotations

import csv
import itertools
from datetime import UTC, date, datetime, time, timedelta

import django_filters
from django.contrib.admin.utils import quote
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views import View
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.widgets.button import HeaderButton

from backoffice.permissions import EXPORT
from marketplace.core.audit import audit_log
from marketplace.core.money import SUPPORTED_CURRENCIES, to_major_units
from marketplace.payments.models import EntryKind, LedgerEntry
from marketplace.payments.selectors import (
    ledger_balances,
    ledger_entry_list,
    ledger_lines_for_export,
    payout_awaiting_approval_totals,
)

from .base import BackOfficeIndexView, BackOfficeInspectView, BackOfficePermissionMixin, BackOfficeTemplateView


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

    class Meta:
        model = LedgerEntry
        fields = []


class LedgerEntryIndexView(BackOfficeIndexView):
    page_title = "Ledger"
    booking_inspect_url_name = None
    balances_url_name = None
    filterset_class = LedgerEntryFilterSet
    search_fields = ["transaction__booking__reference", "memo"]

    def get_backoffice_queryset(self):
        return ledger_entry_list()

    @cached_property
    def verbose_name_plural(self):
        return "ledger entries"

    export_url_name = None

    @cached_property
    def header_buttons(self):
        buttons = [HeaderButton("Balances", url=reverse(self.balances_url_name), icon_name="table")]
        if self.user_has_permission(EXPORT):
            buttons.append(HeaderButton("Export CSV", url=reverse(self.export_url_name), icon_name="download"))
        return buttons

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

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": "Ledger"},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(balances=ledger_balances(), awaiting=payout_awaiting_approval_totals())
        return context


class _Echo:
    """A file-like object whose write returns the line: csv.writer into a streaming response."""

    def write(self, value: str) -> str:
        return value


def _text(value) -> str:
    # A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) is prefixed with an apostrophe.
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class LedgerExportView(BackOfficePermissionMixin, View):
    """Finance: every ledger line of a period as CSV (``?from=YYYY-MM-DD&to=YYYY-MM-DD``, UTC, ``to`` exclusive).

    Defaults to the last 31 days. Streamed, so a long period never sits in memory; the
    export is recorded in the audit log (who took which period).
    """

    model = LedgerEntry
    permission_required = EXPORT
    index_url_name = None
    HEADER = (
        "entry",
        "posted_at_utc",
        "kind",
        "booking",
        "memo",
        "gateway_reference",
        "account",
        "organizer",
        "currency",
        "amount_minor",
        "amount",
    )

    def get(self, request):
        try:
            posted_from, posted_to = self._period(request.GET)
        except ValueError as error:
            messages.error(request, str(error))
            return redirect(self.index_url_name)
        audit_log(
            actor=request.user,
            action="ledger.exported",
            target=request.user,
            data={"from": posted_from.isoformat(), "to": posted_to.isoformat()},
        )
        writer = csv.writer(_Echo())
        rows = (self._row(line) for line in ledger_lines_for_export(posted_from=posted_from, posted_to=posted_to))
        response = StreamingHttpResponse(
            (writer.writerow(row) for row in itertools.chain([self.HEADER], rows)), content_type="text/csv"
        )
        name = f"ledger-{posted_from:%Y-%m-%d}-to-{posted_to:%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @staticmethod
    def _period(params) -> tuple[datetime, datetime]:
        def day(name: str, default: date) -> date:
            text = params.get(name, "")
            if not text:
                return default
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{name} must be a date (YYYY-MM-DD), not {text[:20]!r}.") from None

        today = timezone.now().astimezone(UTC).date()
        end = day("to", today + timedelta(days=1))
        start = day("from", end - timedelta(days=31))
        if start >= end:
            raise ValueError("The period must end after it starts (to is exclusive).")
        if end - start > timedelta(days=366):
            raise ValueError("Export at most a year at a time.")
        midnight = time(0, 0)
        return datetime.combine(start, midnight, tzinfo=UTC), datetime.combine(end, midnight, tzinfo=UTC)

    @staticmethod
    def _row(line: tuple) -> tuple:
        entry, posted_at, kind, booking, memo, reference, account, organizer, currency, amount_minor = line
        return (
            entry,
            posted_at.astimezone(UTC).isoformat(),
            kind,
            _text(booking),
            _text(memo),
            _text(reference),
            account,
            _text(organizer),
            currency,
            amount_minor,
            to_major_units(amount_minor, currency),
        )
