"""The organizer's earnings: their totals, every payout with its state, and the same rows as a CSV file."""

from __future__ import annotations

import csv
import itertools
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render

from marketplace.core.money import Money, to_major_units
from marketplace.core.text import spreadsheet_safe
from marketplace.payments.policy import payout_state_text, payout_state_words
from marketplace.payments.selectors import payout_list_for_vendor, vendor_earnings

from ..forms import EarningsFilterForm
from .common import paginate
from .vendor_area import with_vendor

PER_PAGE = 25


def _filtered(request, vendor) -> tuple[EarningsFilterForm, dict]:
    form = EarningsFilterForm(request.GET or None)
    if not request.GET or not form.is_valid():
        return form, {}
    return form, {name: value for name, value in form.payout_filters(vendor.time_zone).items() if value}


@with_vendor
def earnings(request, vendor):
    """Totals (all time) and the organizer's payouts, filtered by state and the days they were released."""
    form, filters = _filtered(request, vendor)
    totals = vendor_earnings(vendor=vendor)
    currency = settings.MARKETPLACE_CURRENCY
    page = paginate(request, payout_list_for_vendor(vendor=vendor, **filters), per_page=PER_PAGE)
    return render(
        request,
        "storefront/vendor/earnings.html",
        {
            "vendor": vendor,
            "form": form,
            "totals": {name.removesuffix("_minor"): Money(minor, currency) for name, minor in totals.items()},
            "payouts": page,
            "rows": [_page_row(payout, getattr(vendor, "profile", None)) for payout in page],
            "filtered": bool(filters),
            "csv_query": _without_page(request.GET),
            "nav": "earnings",
        },
    )


def _without_page(query) -> str:
    """The filters of the page, for its CSV link (the file has every row, not one page)."""
    query = query.copy()
    query.pop("page", None)
    return query.urlencode()


def _page_row(payout, profile) -> dict:
    state, why = payout_state_words(payout, profile)
    share = payout.details.get("vendor_share_minor", payout.amount_minor)
    return {"payout": payout, "share": Money(share, payout.currency), "state": state, "why": why}


class _Echo:
    """A file-like object whose write returns the line: csv.writer into a streaming response."""

    def write(self, value: str) -> str:
        return value


HEADER = (
    "booking",
    "released_at",
    "sent_at",
    "state",
    "currency",
    "vendor_share_minor",
    "debt_netted_minor",
    "amount_minor",
    "vendor_share",
    "debt_netted",
    "amount",
)


def _row(payout, profile, zone: ZoneInfo) -> tuple:
    share = payout.details.get("vendor_share_minor", payout.amount_minor)
    netted = payout.details.get("debt_netted_minor", 0)
    sent = payout.settled_at if payout.state == "succeeded" else None
    return (
        spreadsheet_safe(payout.booking.reference),
        payout.created_at.astimezone(zone).isoformat(timespec="seconds"),
        sent.astimezone(zone).isoformat(timespec="seconds") if sent else "",
        spreadsheet_safe(payout_state_text(payout, profile)),
        spreadsheet_safe(payout.currency),
        share,
        netted,
        payout.amount_minor,
        *(to_major_units(minor, payout.currency) for minor in (share, netted, payout.amount_minor)),
    )


@with_vendor
def earnings_csv(request, vendor):
    """The payouts of the chosen state and days as CSV, streamed: amounts in minor units and in the currency's unit.

    Dates are in the organizer's time zone. Text cells a spreadsheet would run as a formula
    are prefixed with an apostrophe.
    """
    form, filters = _filtered(request, vendor)
    if request.GET and not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("storefront:vendor_earnings")
    zone, profile = ZoneInfo(vendor.time_zone), getattr(vendor, "profile", None)
    payouts = payout_list_for_vendor(vendor=vendor, **filters).iterator(chunk_size=500)
    writer = csv.writer(_Echo())
    lines = (writer.writerow(row) for row in itertools.chain([HEADER], (_row(p, profile, zone) for p in payouts)))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    start, end = (form.cleaned_data.get(day) if filters else None for day in ("released_from", "released_to"))
    name = "earnings" + (f"-from-{start:%Y-%m-%d}" if start else "") + (f"-to-{end:%Y-%m-%d}" if end else "")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
