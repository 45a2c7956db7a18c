"""The back office's panel on the Wagtail dashboard: the day's and month's business, what waits for
staff, the money held, and the last 30 days as a chart.

Every figure comes from a domain selector (its docstring is the figure's definition) and links
to the back-office listing filtered to the rows it counts. Each is shown only to staff who may
see that listing. Money is never added across currencies: one figure per currency.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.forms import Media
from django.urls import reverse
from wagtail.admin.ui.components import Component
from wagtail.permissions import policy_registry

from backoffice.charts import BarChart, bar_chart
from backoffice.permissions import VIEW, is_back_office_user
from marketplace.accounts.permissions import Perm
from marketplace.accounts.policy import has_permission
from marketplace.bookings.models import Booking
from marketplace.bookings.selectors import booking_counts_by_day
from marketplace.core.money import Money
from marketplace.core.periods import ReportingPeriods, reporting_periods
from marketplace.disputes.models import DisputeStatus
from marketplace.disputes.selectors import dispute_open_counts
from marketplace.payments.models import EntryKind, LedgerAccount
from marketplace.payments.selectors import (
    DayAmount,
    gross_volume_by_day,
    ledger_balances,
    payout_awaiting_approval_totals,
    payout_waiting_for_account_totals,
    platform_revenue_by_day,
)
from marketplace.vendors.models import VerificationStatus
from marketplace.vendors.selectors import vendor_list_paused, vendor_list_pending


@dataclass(frozen=True)
class Figure:
    """One linked number: ``value`` as shown, the listing of what it counts."""

    value: str
    url: str


def _link(url: str, **params) -> str:
    return f"{url}?{urlencode(params)}" if params else url


def _range(first: date, last: date, name: str = "created_at") -> dict[str, str]:
    """A listing's date-range filter (Wagtail's DateRangePickerWidget: ``<name>_from`` / ``<name>_to``, inclusive)."""
    return {f"{name}_from": first.isoformat(), f"{name}_to": last.isoformat()}


def _by_currency(rows: list[DayAmount], first: date, last: date) -> dict[str, Money]:
    """The rows of the days [first, last], added up per currency (each currency on its own)."""
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        if first <= row.day <= last:
            totals[row.amount.currency] += row.amount.minor
    return {currency: Money(minor, currency) for currency, minor in sorted(totals.items())}


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
        bookings_url_name: str,
        ledger_url_name: str,
        disputes_url_name: str,
    ):
        self.vendors_url_name = vendors_url_name
        self.payouts_url_name = payouts_url_name
        self.payouts_waiting_url_name = payouts_waiting_url_name
        self.balances_url_name = balances_url_name
        self.bookings_url_name = bookings_url_name
        self.ledger_url_name = ledger_url_name
        self.disputes_url_name = disputes_url_name

    @property
    def media(self):
        return Media(css={"all": ["backoffice/backoffice.css"]})

    def get_context_data(self, parent_context):
        """Each group only for those who may open its listing: bookings for whoever sees the bookings list,
        money for the ledger's readers, payouts for approvers, disputes and organizers for support."""
        user = parent_context["request"].user
        periods = reporting_periods()
        context = {
            "periods": periods,
            "charts": [],
            "chart_columns": [],
            "chart_rows": [],
            "nothing": Money(0, settings.MARKETPLACE_CURRENCY),
        }
        columns: dict[str, dict[date, Figure]] = {}  # the chart table's columns: heading -> value per day
        if policy_registry.get_by_type(Booking).user_has_permission(user, VIEW):
            context.update(self._bookings(periods, columns, context["charts"]))
        if has_permission(user, Perm.VIEW_LEDGER):
            context.update(self._money(periods, columns, context["charts"]))
        if has_permission(user, Perm.APPROVE_PAYOUTS):
            context.update(self._payouts())
        if has_permission(user, Perm.RESOLVE_DISPUTES):
            context.update(self._disputes())
        if has_permission(user, Perm.VERIFY_ORGANIZERS):
            context.update(self._vendors())
        if columns:
            context["chart_columns"] = list(columns)
            context["chart_rows"] = [
                (day, [values[day] for values in columns.values()]) for day in reversed(periods.chart_days)
            ]
        return context

    # --- Each group of figures -----------------------------------------------------------------

    def _bookings_url(self, first: date, last: date) -> str:
        return _link(reverse(self.bookings_url_name), **_range(first, last))

    def _bookings(self, periods: ReportingPeriods, columns: dict, charts: list[BarChart]) -> dict:
        """Bookings made (created) today and this month; the chart's daily counts come from the same query."""
        counts = booking_counts_by_day(since=periods.since, until=periods.tomorrow_start)
        month = sum(count for day, count in counts.items() if day >= periods.month_first)
        series = [(day, counts.get(day, 0)) for day in periods.chart_days]
        words = lambda n: f"{n} booking{'s' if n != 1 else ''}"  # noqa: E731
        charts.append(
            bar_chart(
                title="Bookings made per day",
                series=series,
                label=words,
                total_label=words(sum(value for _, value in series)),
            )
        )
        columns["Bookings made"] = {day: Figure(str(value), self._bookings_url(day, day)) for day, value in series}
        return {
            "show_bookings": True,
            "bookings_today": Figure(
                str(counts.get(periods.today, 0)), self._bookings_url(periods.today, periods.today)
            ),
            "bookings_month": Figure(str(month), self._bookings_url(periods.month_first, periods.today)),
        }

    def _ledger_url(self, first: date, last: date, currency: str, **params) -> str:
        return _link(reverse(self.ledger_url_name), **params, currency=currency, **_range(first, last))

    def _money_figures(self, rows, periods: ReportingPeriods, **params) -> dict:
        """Today's and this month's totals per currency, each linked to the ledger entries it adds up."""
        figures = {}
        for key, first in (("today", periods.today), ("month", periods.month_first)):
            figures[key] = [
                Figure(str(total), self._ledger_url(first, periods.today, currency, **params))
                for currency, total in _by_currency(rows, first, periods.today).items()
            ]
        return figures

    def _money(self, periods: ReportingPeriods, columns: dict, charts: list[BarChart]) -> dict:
        """Gross volume (captured), platform revenue (commission, net of fee refunds), escrow held now."""
        until = periods.tomorrow_start
        volume = gross_volume_by_day(since=periods.since, until=until)
        revenue = platform_revenue_by_day(since=periods.since, until=until)
        # One chart per currency with volume in the 30 days; the platform's currency always has one.
        chart_rows = [row for row in volume if row.day >= periods.chart_first]
        currencies = sorted({row.amount.currency for row in chart_rows} | {settings.MARKETPLACE_CURRENCY})
        for currency in currencies:
            by_day = {row.day: row.amount.minor for row in chart_rows if row.amount.currency == currency}
            series = [(day, by_day.get(day, 0)) for day in periods.chart_days]
            words = lambda minor, currency=currency: str(Money(minor, currency))  # noqa: E731
            charts.append(
                bar_chart(
                    title=f"Gross volume per day ({currency})",
                    series=series,
                    label=words,
                    total_label=words(sum(value for _, value in series)),
                )
            )
            columns[f"Gross volume ({currency})"] = {
                day: Figure(words(value), self._ledger_url(day, day, currency, kind=EntryKind.CAPTURE))
                for day, value in series
            }
        gross = self._money_figures(volume, periods, kind=EntryKind.CAPTURE)
        earned = self._money_figures(revenue, periods, account=LedgerAccount.PLATFORM_COMMISSION)
        return {
            "show_money": True,
            "gross_today": gross["today"],
            "gross_month": gross["month"],
            "revenue_today": earned["today"],
            "revenue_month": earned["month"],
            "escrow_held": [balances.escrow_held for balances in ledger_balances() if balances.escrow_held.minor],
            "balances_url": reverse(self.balances_url_name),
        }

    def _payouts(self) -> dict:
        """Payouts due: those waiting for an admin's approval, and those released but waiting for the
        organizer's payout account (both wait for someone; payouts on their way are the gateway's)."""
        awaiting = payout_awaiting_approval_totals()
        waiting = payout_waiting_for_account_totals()
        return {
            "show_payouts": True,
            "payout_count": sum(row["count"] for row in awaiting),
            "payout_totals": [row["vendor_payout"] for row in awaiting],
            "payouts_url": reverse(self.payouts_url_name),
            "waiting_payout_count": sum(row["count"] for row in waiting),
            "waiting_payout_totals": [row["amount"] for row in waiting],
            "waiting_payouts_url": reverse(self.payouts_waiting_url_name),
        }

    def _disputes(self) -> dict:
        counts = dispute_open_counts()
        url = reverse(self.disputes_url_name)
        return {
            "show_disputes": True,
            "open_dispute_count": sum(counts.values()),
            "open_disputes": [
                (status.label, Figure(str(counts[status]), _link(url, status=status)))
                for status in (DisputeStatus.UNDER_REVIEW, DisputeStatus.AWAITING_RESPONSE)
            ],
        }

    def _vendors(self) -> dict:
        pending = vendor_list_pending()
        oldest = pending.first()
        vendors_url = reverse(self.vendors_url_name)
        return {
            "show_vendors": True,
            "pending_vendor_count": pending.count(),
            "oldest_pending_since": oldest.created_at if oldest else None,
            "vendors_url": _link(vendors_url, verification_status=VerificationStatus.PENDING),
            "paused_vendor_count": vendor_list_paused().count(),
            "paused_vendors_url": _link(vendors_url, new_bookings="paused"),
        }


def add_back_office_panel(request, panels, **url_names) -> None:
    """Put the summary first on the dashboard, for back-office users only."""
    if is_back_office_user(request.user):
        panels.append(BackOfficeSummaryPanel(**url_names))
