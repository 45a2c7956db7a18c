"""The back-office panel on the Wagtail dashboard: the figures, their links, the chart, who sees what,
and a query count that does not grow with the bookings."""

import re
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.dashboard import build_bookings
from marketplace.disputes.services import dispute_open
from tests.conftest import local_slot
from tests.factories import CustomerFactory, ServiceFactory
from tests.factories.bookings import completed_booking, paid_booking, past_paid_booking

from .conftest import client_for

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")  # settings.TIME_ZONE: the days the dashboard counts by
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=NEW_YORK)

# --- The page and its parts -------------------------------------------------------------------


def dashboard(client) -> str:
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    return response.content.decode()


def figure(html: str, name: str) -> str:
    """The text of a ``data-figure`` element, tags stripped and spaces folded."""
    match = re.search(rf'data-figure="{name}"[^>]*>(.*?)</(?:dd|p|li)>', html, re.S)
    assert match, f"no figure {name}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def links(html: str, name: str) -> list[str]:
    match = re.search(rf'data-figure="{name}"[^>]*>(.*?)</(?:dd|p|li)>', html, re.S)
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', match.group(1))]


def chart_table(html: str) -> dict[str, list[str]]:
    """The chart's table: {"YYYY-MM-DD": [cell, ...]} in column order."""
    table = re.search(r"<table[^>]*data-chart-table.*?</table>", html, re.S).group(0)
    rows = {}
    for day, cells in re.findall(r'<tr data-day="([\d-]+)">(.*?)</tr>', table, re.S):
        rows[day] = [
            " ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
        ]
    return rows


def chart_headings(html: str) -> list[str]:
    table = re.search(r"<table[^>]*data-chart-table.*?</table>", html, re.S).group(0)
    return [unescape(heading) for heading in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table)][1:]


# --- A month of business ----------------------------------------------------------------------


@pytest.fixture
def euro_service(other_vendor, category):
    return ServiceFactory(
        vendor=other_vendor, category=category, title="Pantry reset", currency="EUR", base_price_minor=20000
    )


@pytest.fixture
def month(customer, service, euro_service, settings):
    """Bookings around 'now' (Friday 20 November 2026, noon in New York), made through the services:

    - today: ``today`` ($300.00, held) and ``euro`` (€200.00, held, paid while the platform charged in
      euros: money rows keep their own currency, so a second one is there after a change of currency);
    - ``late_yesterday``: 22:00 in New York on the 19th, already the 20th in UTC ($300.00, held);
    - ``earlier``: made on the 5th, done and released on the 8th ($45.00 commission);
    - ``last_month``: made on 25 October ($300.00, held).
    """
    made = {}
    made["last_month"] = past_paid_booking(
        customer=customer, service=service, starts_at=datetime(2026, 10, 28, 10, 0, tzinfo=NEW_YORK)
    )
    made["earlier"] = completed_booking(
        customer=customer, service=service, starts_at=datetime(2026, 11, 8, 10, 0, tzinfo=NEW_YORK)
    )
    with time_machine.travel(datetime(2026, 11, 19, 22, 0, tzinfo=NEW_YORK), tick=False):
        made["late_yesterday"] = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    with time_machine.travel(datetime(2026, 11, 20, 9, 0, tzinfo=NEW_YORK), tick=False):
        made["today"] = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=4))
        settings.MARKETPLACE_CURRENCY = "EUR"
        made["euro"] = paid_booking(customer=customer, service=euro_service, starts_at=local_slot(days_ahead=4))
        settings.MARKETPLACE_CURRENCY = "USD"
    return made


@pytest.fixture
def at_now():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_figures_count_by_the_days_of_new_york(admin_client, month, at_now):
    html = dashboard(admin_client)

    assert figure(html, "bookings-today") == "2 bookings made today"
    assert figure(html, "bookings-month") == "4 bookings made this month"
    assert figure(html, "gross-today") == "€200.00 $300.00"
    assert figure(html, "gross-month") == "€200.00 $900.00"
    assert figure(html, "revenue-today") == "$0.00"
    assert figure(html, "revenue-month") == "$45.00"
    assert figure(html, "escrow-held") == "€200.00 + $900.00 held in escrow"
    assert "Today is Friday, November 20; days and months in America/New_York time." in html


def test_each_figure_links_to_the_listing_of_what_it_counts(admin_client, month, at_now):
    html = dashboard(admin_client)
    refs = {name: booking.reference for name, booking in month.items()}

    def listed(url: str) -> set[str]:
        page = admin_client.get(url)
        assert page.status_code == 200
        return {name for name, reference in refs.items() if reference in page.content.decode()}

    (today_url,) = links(html, "bookings-today")
    assert today_url == reverse("backoffice_bookings:index") + "?created_at_from=2026-11-20&created_at_to=2026-11-20"
    assert listed(today_url) == {"today", "euro"}
    (month_url,) = links(html, "bookings-month")
    assert listed(month_url) == {"today", "euro", "late_yesterday", "earlier"}

    euro_today, dollars_today = links(html, "gross-today")
    assert listed(dollars_today) == {"today"}
    assert listed(euro_today) == {"euro"}
    assert "kind=capture" in dollars_today and "currency=USD" in dollars_today
    _, dollars_month = links(html, "gross-month")
    assert listed(dollars_month) == {"today", "late_yesterday", "earlier"}

    (revenue_url,) = links(html, "revenue-month")
    assert "account=platform_commission" in revenue_url
    assert listed(revenue_url) == {"earlier"}
    assert links(html, "escrow-held") == [reverse("backoffice_balances:index")]


def test_the_chart_shows_the_last_30_days_with_zeros_and_one_series_per_currency(admin_client, month, at_now):
    html = dashboard(admin_client)

    assert chart_headings(html) == ["Bookings made", "Gross volume (EUR)", "Gross volume (USD)"]
    table = chart_table(html)
    assert len(table) == 30
    assert min(table) == "2026-10-22" and max(table) == "2026-11-20"
    assert table["2026-11-20"] == ["2", "€200.00", "$300.00"]
    assert table["2026-11-19"] == ["1", "€0.00", "$300.00"]
    assert table["2026-11-05"] == ["1", "€0.00", "$300.00"]
    assert table["2026-10-25"] == ["1", "€0.00", "$300.00"]
    assert table["2026-11-12"] == ["0", "€0.00", "$0.00"]
    # Drawn on the server: an SVG per series, labelled for screen readers, and nothing fetched from elsewhere.
    assert html.count('<svg role="img"') == 3
    assert 'aria-label="Bookings made per day, Oct 22 to Nov 20: 5 bookings in all."' in html
    assert '<title id="chart-1-title">Bookings made per day</title>' in html
    assert 'aria-label="Gross volume per day (USD), Oct 22 to Nov 20: $1,200.00 in all."' in html
    assert not re.search(r'<script[^>]+src="https?://', html)
    # The tallest bar fills the scale; a day without bookings has no height.
    bars = re.findall(r'<rect class="backoffice-chart__bar"[^>]* height="([\d.]+)"><title>(.*?)</title>', html)
    assert ("0.0", "Thu Nov 12: 0 bookings") in bars


def test_the_day_link_in_the_chart_table_lists_that_day(admin_client, month, at_now):
    html = dashboard(admin_client)
    row = re.search(r'<tr data-day="2026-11-19">(.*?)</tr>', html, re.S).group(1)
    bookings_url = unescape(re.search(r'href="([^"]+)"', row).group(1))

    page = admin_client.get(bookings_url).content.decode()

    assert month["late_yesterday"].reference in page
    assert month["today"].reference not in page


def test_open_disputes_count_by_status_and_link_to_the_queue(admin_client, customer, service):
    booking = past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-1))
    dispute = dispute_open(
        user=customer, booking_id=booking.pk, reason="poor_quality", description="Closets untouched.", files=[]
    )

    html = dashboard(admin_client)

    assert "Open disputes: 1" in html
    queue = reverse("backoffice_disputes:index")
    assert f'<a href="{queue}?status=under_review">0 with our support team</a>' in html
    assert f'<a href="{queue}?status=awaiting_response">1 waiting for the other side&#x27;s answer</a>' in html
    assert booking.reference in admin_client.get(f"{queue}?status=awaiting_response").content.decode()
    assert booking.reference not in admin_client.get(f"{queue}?status=under_review").content.decode()
    assert dispute.status == "awaiting_response"


def test_admin_dashboard_counts_what_waits_and_the_money_held(admin_client, pending_vendor, awaiting_payout):
    html = dashboard(admin_client)

    assert "1 vendor waiting for verification" in html
    assert "1 payout waiting for approval" in html
    assert "($255.00 to vendors)" in html
    assert "0 payouts waiting for organizers' payout accounts" in html
    assert "$300.00 held in escrow" in html
    assert reverse("backoffice_vendors:index") + "?verification_status=pending" in html
    assert reverse("backoffice_payouts:index") in html
    assert reverse("backoffice_balances:index") in html


def test_empty_dashboard(admin_client):
    html = dashboard(admin_client)
    assert "0 vendors waiting for verification" in html
    assert "0 payouts waiting for approval" in html
    assert "Nothing held in escrow" in html
    assert figure(html, "bookings-today") == "0 bookings made today"
    assert figure(html, "gross-month") == "$0.00"
    assert chart_headings(html) == ["Bookings made", "Gross volume (USD)"]


def test_the_role_alone_shows_the_panel(role_admin, pending_vendor):
    html = client_for(role_admin).get(reverse("wagtailadmin_home")).content.decode()
    assert "1 vendor waiting for verification" in html


def test_each_role_sees_only_the_figures_it_may_open(support, finance, editor, month, at_now):
    support_html = dashboard(client_for(support))
    assert 'data-figure="bookings-today"' in support_html
    assert "Open disputes:" in support_html and "waiting for verification" in support_html
    assert "gross-today" not in support_html and "held in escrow" not in support_html
    assert "waiting for approval" not in support_html
    assert chart_headings(support_html) == ["Bookings made"]

    finance_html = dashboard(client_for(finance))
    assert figure(finance_html, "gross-today") == "€200.00 $300.00"
    assert "held in escrow" in finance_html and "waiting for approval" in finance_html
    assert 'data-figure="bookings-today"' in finance_html  # finance may open the bookings list
    assert "Open disputes:" not in finance_html and "waiting for verification" not in finance_html

    assert "backoffice-summary" not in dashboard(client_for(editor))


# --- Queries: a fixed budget, whatever the number of bookings ---------------------------------

QUERY_BUDGET = 40  # the whole admin home page, Wagtail's own panels included


def test_the_dashboard_runs_a_fixed_number_of_queries(
    admin_client, vendor, other_vendor, category, django_assert_max_num_queries
):
    services = [
        ServiceFactory(vendor=vendor, category=category, title="Closets"),
        ServiceFactory(vendor=other_vendor, category=category, title="Pantries", currency="EUR"),
    ]
    customers = [CustomerFactory(), CustomerFactory()]
    build_bookings(5, services=services, customers=customers, days=40)
    dashboard(admin_client)  # warm: Wagtail caches its site and menu lookups on the first request

    with django_assert_max_num_queries(QUERY_BUDGET), CaptureQueriesContext(connection) as few:
        html = dashboard(admin_client)
    assert figure(html, "bookings-month") != ""

    later = timezone.now() + timedelta(days=30)  # clear of the first five's appointments
    build_bookings(45, services=services, customers=customers, days=40, seed=7, first_start=later)
    with django_assert_max_num_queries(QUERY_BUDGET), CaptureQueriesContext(connection) as many:
        dashboard(admin_client)

    assert len(many) == len(few)
    total = sum(int(cell[0]) for cell in chart_table(dashboard(admin_client)).values())
    assert total <= 50


def test_the_bench_dataset_builder_writes_balanced_postings_at_their_moments(vendor, other_vendor, category):
    from django.db.models import Sum

    from marketplace.bookings.models import Booking
    from marketplace.payments.models import LedgerEntry, LedgerLine

    services = [
        ServiceFactory(vendor=vendor, category=category, title="Closets"),
        ServiceFactory(vendor=other_vendor, category=category, title="Pantries", currency="EUR"),
    ]
    with time_machine.travel(NOW, tick=False):
        ids = build_bookings(200, services=services, customers=[CustomerFactory()], days=30)

    assert Booking.objects.filter(pk__in=ids).count() == 200
    made = Booking.objects.filter(pk__in=ids).values_list("created_at", flat=True)
    assert min(made) >= NOW - timedelta(days=30) and max(made) <= NOW
    assert len({moment.date() for moment in made}) > 20  # spread over the days, not stamped "now"
    for entry_id, total in LedgerLine.objects.values_list("entry_id").annotate(total=Sum("amount_minor")):
        assert total == 0, entry_id
    assert LedgerEntry.objects.filter(kind="capture").count() == 190  # all but the one in twenty unpaid
    assert set(LedgerLine.objects.values_list("currency", flat=True)) == {"USD", "EUR"}


@pytest.mark.postgres
def test_the_bench_s_sql_builder_writes_the_same_kind_of_rows(vendor, other_vendor, category):
    from django.db.models import Count, Sum

    from bench.dashboard import build_bookings_in_sql
    from marketplace.bookings.models import Booking
    from marketplace.payments.models import LedgerEntry, LedgerLine, Transaction

    services = [
        ServiceFactory(vendor=vendor, category=category, title="Closets"),
        ServiceFactory(vendor=other_vendor, category=category, title="Pantries", currency="EUR"),
    ]
    with time_machine.travel(NOW, tick=False):
        build_bookings_in_sql(200, services=services, customers=[CustomerFactory(), CustomerFactory()], days=30)

    statuses = dict(Booking.objects.values_list("status").annotate(count=Count("id")))
    assert statuses == {"requested": 10, "confirmed": 50, "completed": 140}
    made = Booking.objects.values_list("created_at", flat=True)
    assert min(made) >= NOW - timedelta(days=30) and max(made) <= NOW
    assert Transaction.objects.filter(payout_needs_approval=True, status="held").count() == 10
    for entry_id, total in LedgerLine.objects.values_list("entry_id").annotate(total=Sum("amount_minor")):
        assert total == 0, entry_id
    assert LedgerEntry.objects.filter(kind="capture").count() == 190
    assert LedgerEntry.objects.filter(kind="release").count() == 140
    for payment in Transaction.objects.all():
        assert payment.amount_minor == payment.platform_fee_minor + payment.vendor_payout_minor


def test_the_admin_home_asks_nothing_of_outside_hosts(admin_client):
    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()

    assert "releases.wagtail.org" not in html
    assert "gravatar.com" not in html
