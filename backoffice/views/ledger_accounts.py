"""The ledger by account: each account's debits, credits and balance, and one account's lines with a running balance.

An account is a ``LedgerAccount`` in one currency; the organizers' accounts (owed to
and owed by organizers) are one per organizer. Every figure comes from the ledger
selectors; the page only adds the lines it shows to the balance the selector says the
page opens with.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.contrib.admin.utils import quote
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.widgets import AdminDateInput

from marketplace.core.money import SUPPORTED_CURRENCIES, Money
from marketplace.payments.models import LedgerEntry
from marketplace.payments.selectors import (
    ledger_account_balance_before,
    ledger_account_get,
    ledger_account_lines,
    ledger_accounts_by_currency,
)

from .base import BackOfficeTemplateView, paginator_counting

LINES_PER_PAGE = 50


def account_url(url_namespace: str, account) -> str:
    """The drill-down of one account (a ``LedgerAccountBalance``)."""
    args = [account.account, account.currency]
    if account.vendor_id is not None:
        args.append(account.vendor_id)
    return reverse(f"{url_namespace}:account", args=args)


class AccountFilterForm(forms.Form):
    currency = forms.ChoiceField(
        label="Currency", required=False, choices=[("", "All"), *((code, code) for code in SUPPORTED_CURRENCIES)]
    )
    organizer = forms.CharField(
        label="Organizer", required=False, max_length=100, help_text="Only the accounts of organizers named like this."
    )


class PeriodForm(forms.Form):
    posted_from = forms.DateField(label="Posted from", required=False, widget=AdminDateInput)
    posted_to = forms.DateField(label="Posted up to", required=False, widget=AdminDateInput)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("posted_from"), cleaned.get("posted_to")
        if start and end and end < start:
            raise forms.ValidationError("The period must end on or after the day it starts.")
        return cleaned

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """[from, before): whole days in the admin's time zone, both days included."""
        if not self.is_valid():
            return None, None
        start, end = self.cleaned_data.get("posted_from"), self.cleaned_data.get("posted_to")
        zone = timezone.get_current_timezone()

        def midnight(day):
            return datetime.combine(day, time(0, 0), tzinfo=zone)

        return (midnight(start) if start else None, midnight(end + timedelta(days=1)) if end else None)


class LedgerAccountIndexView(BackOfficeTemplateView):
    """Each account per currency with its debits, credits and balance; the organizers' accounts one per organizer."""

    model = LedgerEntry
    page_title = "Ledger accounts"
    header_icon = "list-ul"
    template_name = "backoffice/ledger/accounts.html"
    url_namespace = None
    ledger_index_url_name = None
    balances_url_name = None

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.ledger_index_url_name), "label": "Ledger"},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = AccountFilterForm(self.request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        organizer = filters.get("organizer", "").strip()
        groups = ledger_accounts_by_currency(currency=filters.get("currency") or None, vendor_name=organizer or None)
        context.update(
            form=form,
            filtered_by_organizer=bool(organizer),
            groups=[
                (group, [(account, account_url(self.url_namespace, account)) for account in group.accounts])
                for group in groups
            ],
            ledger_url=reverse(self.ledger_index_url_name),
            balances_url=reverse(self.balances_url_name),
        )
        return context


class LedgerAccountLinesView(BackOfficeTemplateView):
    """One account's lines, oldest first, with the balance after each; a period narrows them, 50 to a page.

    The balance a page opens with is one aggregate over the lines before its first line
    (``ledger_account_balance_before``), so every page is right without reading the others.
    """

    model = LedgerEntry
    header_icon = "list-ul"
    template_name = "backoffice/ledger/account_lines.html"
    url_namespace = None
    ledger_inspect_url_name = None
    booking_inspect_url_name = None

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.account = ledger_account_get(
            account=kwargs["account"], currency=kwargs["currency"], vendor_id=kwargs.get("vendor_id")
        )
        if self.account is None:
            raise Http404("No such ledger account.")

    def get_page_title(self):
        return self.account.label

    def get_page_subtitle(self):
        account = self.account
        return f"{account.vendor_name}, {account.currency}" if account.vendor_name else account.currency

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(f"{self.url_namespace}:index"), "label": "Ledger accounts"},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        account = self.account
        key = {"account": account.account, "currency": account.currency, "vendor_id": account.vendor_id}
        period = PeriodForm(self.request.GET or None)
        posted_from, posted_before = period.bounds()
        lines = ledger_account_lines(**key, posted_from=posted_from, posted_before=posted_before)
        paginator = paginator_counting("line", "lines")(lines, LINES_PER_PAGE)
        page = paginator.get_page(self.request.GET.get("p"))
        shown = list(page.object_list)
        if shown:
            opening = ledger_account_balance_before(**key, line=shown[0])
        else:
            opening = ledger_account_balance_before(**key, posted_before=posted_from) if posted_from else 0
        rows, running = [], opening
        for line in shown:
            running += line.amount_minor
            booking_id = line.entry.transaction.booking_id
            rows.append(
                {
                    "line": line,
                    "balance": Money(running, account.currency),
                    "entry_url": reverse(self.ledger_inspect_url_name, args=(quote(line.entry_id),)),
                    "booking": line.entry.transaction.booking,
                    "booking_url": reverse(self.booking_inspect_url_name, args=(quote(booking_id),)),
                }
            )
        context.update(
            account=account,
            period=period,
            rows=rows,
            opening=Money(opening, account.currency),
            closing=Money(running, account.currency),
            page_obj=page,
            paginator=paginator,
            elided_page_range=paginator.get_elided_page_range(page.number),
            accounts_url=reverse(f"{self.url_namespace}:index"),
        )
        return context
