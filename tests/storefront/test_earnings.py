"""The organizer area's earnings page and CSV, and each booking's money timeline on its page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from marketplace.bookings.models import Booking
from marketplace.core.money import Money
from marketplace.core.text import spreadsheet_safe
from marketplace.payments.gateways.local import local_gateway_faults
from marketplace.payments.models import Payout
from storefront.views import earnings as earnings_views
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.factories.bookings import completed_booking, paid_booking

from .test_payout_account import follow_onboarding

pytestmark = pytest.mark.django_db

PAGE = "/vendor/earnings/"
CSV = "/vendor/earnings/payouts.csv"


@pytest.fixture
def history(customer, service, other_vendor, category):
    """The organizer: one payout sent 4 days ago, one refused 2 days ago, a booking still in escrow.
    Another organizer: one payout sent."""
    sent = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-4))
    with local_gateway_faults(transfer=["decline"]):
        failed = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    in_escrow = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    theirs = completed_booking(
        customer=customer,
        service=ServiceFactory(vendor=other_vendor, category=category, base_price_minor=20000),
        starts_at=local_slot(days_ahead=-3),
    )
    return {"sent": sent, "failed": failed, "in_escrow": in_escrow, "theirs": theirs}


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def references(response) -> list[str]:
    return [row["payout"].booking.reference for row in response.context["rows"]]


def days_ago(days: int) -> str:
    return (timezone.now().astimezone(timezone.get_default_timezone()) - timedelta(days=days)).date().isoformat()


def test_the_organizer_nav_links_to_the_earnings_page_which_answers(browser_as, vendor):
    browser = browser_as(vendor.user)

    dashboard = browser.get("/vendor/").content.decode()
    page = browser.get(PAGE)

    assert f'href="{PAGE}"' in dashboard
    assert page.status_code == 200
    assert f'href="{PAGE}" aria-current="page"' in page.content.decode()
    assert "No payouts yet" in page.content.decode()


def test_the_earnings_page_shows_the_totals_and_every_payout_of_the_organizer(browser_as, vendor, history):
    response = browser_as(vendor.user).get(PAGE)

    totals = response.context["totals"]
    assert (totals["paid_out"], totals["payout_pending"], totals["payout_waiting"]) == (
        Money(25500, "USD"),
        Money(0, "USD"),
        Money(0, "USD"),
    )
    assert (totals["in_escrow"], totals["debt"]) == (Money(25500, "USD"), Money(0, "USD"))
    assert references(response) == [history["failed"].reference, history["sent"].reference]
    assert [(row["state"], str(row["share"])) for row in response.context["rows"]] == [
        ("Failed", "$255.00"),
        ("Paid", "$255.00"),
    ]
    html = response.content.decode()
    assert f'href="/vendor/bookings/{history["sent"].pk}/"' in html
    assert history["theirs"].reference not in html


def test_the_payouts_filter_by_state_and_release_day(browser_as, vendor, history):
    browser = browser_as(vendor.user)

    assert references(browser.get(PAGE, {"state": "failed"})) == [history["failed"].reference]
    assert references(browser.get(PAGE, {"state": "succeeded"})) == [history["sent"].reference]
    assert references(browser.get(PAGE, {"released_from": days_ago(3)})) == [history["failed"].reference]
    assert references(browser.get(PAGE, {"released_to": days_ago(3)})) == [history["sent"].reference]
    assert references(browser.get(PAGE, {"state": "waiting"})) == []


def test_a_range_that_ends_before_it_starts_is_explained(browser_as, vendor, history):
    response = browser_as(vendor.user).get(PAGE, {"released_from": days_ago(1), "released_to": days_ago(5)})

    assert response.status_code == 200
    assert "The last day comes on or after the first." in response.content.decode()
    assert len(references(response)) == 2  # the filters are not applied


def test_the_csv_has_the_same_rows_with_amounts_in_minor_units_and_dollars(browser_as, vendor, history):
    response = browser_as(vendor.user).get(CSV)

    header, *rows = csv_rows(response)
    assert response["Content-Disposition"] == 'attachment; filename="earnings.csv"'
    assert header == [
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
    ]
    failed, sent = rows
    assert failed[0] == history["failed"].reference
    assert failed[2] == ""
    assert failed[3].startswith("Failed: ") and failed[3].endswith("Our team follows up.")
    assert sent[0] == history["sent"].reference
    assert sent[3:] == ["Paid", "USD", "25500", "0", "25500", "255.00", "0.00", "255.00"]
    payout = Payout.objects.get(booking=history["sent"])
    assert sent[1] == payout.created_at.astimezone(timezone.get_default_timezone()).isoformat(timespec="seconds")
    assert sent[2] == payout.settled_at.astimezone(timezone.get_default_timezone()).isoformat(timespec="seconds")
    assert history["theirs"].reference not in str(rows)


def test_the_csv_takes_the_chosen_state_and_range(browser_as, vendor, history):
    browser = browser_as(vendor.user)
    start, end = days_ago(3), days_ago(0)

    response = browser.get(CSV, {"state": "failed", "released_from": start, "released_to": end})

    _, *rows = csv_rows(response)
    assert [row[0] for row in rows] == [history["failed"].reference]
    assert response["Content-Disposition"] == f'attachment; filename="earnings-from-{start}-to-{end}.csv"'
    assert [row[0] for row in csv_rows(browser.get(CSV, {"state": "waiting"}))[1:]] == []


def test_the_csv_neutralises_text_a_spreadsheet_would_run(browser_as, vendor, history):
    Booking.objects.filter(pk=history["sent"].pk).update(reference="=HYPERLINK(1)")  # 16 characters at most

    _, failed, sent = csv_rows(browser_as(vendor.user).get(CSV))

    assert sent[0] == "'=HYPERLINK(1)"
    assert failed[0] == history["failed"].reference


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_a_formula_start_gets_an_apostrophe(text):
    assert spreadsheet_safe(text) == f"'{text}"


def test_plain_text_and_nothing_stay_as_they_are():
    assert (spreadsheet_safe("TN-ABC123"), spreadsheet_safe(None), spreadsheet_safe("a=b")) == ("TN-ABC123", "", "a=b")


def test_another_organizer_sees_only_their_own_payouts(browser_as, other_vendor, history):
    browser = browser_as(other_vendor.user)

    page = browser.get(PAGE)
    _, *rows = csv_rows(browser.get(CSV))

    assert references(page) == [history["theirs"].reference]
    assert [row[0] for row in rows] == [history["theirs"].reference]
    assert history["sent"].reference not in page.content.decode()


def test_a_customer_is_refused_and_a_visitor_must_sign_in(browser_as, customer, history):
    browser = browser_as(customer)

    assert browser.get(PAGE).status_code == 403
    assert browser.get(CSV).status_code == 403
    anonymous = Client().get(CSV)
    assert (anonymous.status_code, anonymous.url.split("?")[0]) == (302, "/accounts/login/")


def test_the_booking_page_shows_where_the_money_went(browser_as, vendor, history):
    html = browser_as(vendor.user).get(f"/vendor/bookings/{history['sent'].pk}/").content.decode()

    assert "data-money-timeline" in html
    assert [code for code in ("paid", "released", "payout_sent") if f'data-event="{code}"' in html] == [
        "paid",
        "released",
        "payout_sent",
    ]
    assert "Payout sent to your account" in html
    assert "<dt>Commission</dt><dd>$45.00</dd>" in html


def test_a_payout_waits_for_the_account_then_is_sent(browser_as, customer, category, make_vendor):
    newcomer = make_vendor(business_name="Fresh Start", slug="fresh-start", profile__stripe_account_id="")
    service = ServiceFactory(vendor=newcomer, category=category, base_price_minor=30000)
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))
    browser = browser_as(newcomer.user)
    booking_page = f"/vendor/bookings/{booking.pk}/"
    why = "No payout account is set up yet. The payout goes out once the account can receive it."

    waiting = browser.get(booking_page).content.decode()
    earnings = browser.get(PAGE)

    assert 'data-event="payout_waiting"' in waiting
    assert "Payout waiting for your payout account" in waiting
    assert why in waiting
    assert [(row["state"], row["why"]) for row in earnings.context["rows"]] == [
        ("Waiting for your payout account", why)
    ]
    assert earnings.context["totals"]["payout_waiting"] == Money(25500, "USD")

    follow_onboarding(browser)

    timeline = browser.get(booking_page).context["timeline"]
    assert [(e.code, e.title, str(e.amount)) for e in timeline][-2:] == [
        ("payout_waiting", "Payout waiting for your payout account", "$255.00"),
        ("payout_sent", "Payout sent to your account", "$255.00"),
    ]
    assert timeline[-2].detail == "No payout account is set up yet."
    assert browser.get(PAGE).context["totals"]["paid_out"] == Money(25500, "USD")


def test_the_payouts_come_a_page_at_a_time(browser_as, vendor, history, monkeypatch):
    monkeypatch.setattr(earnings_views, "PER_PAGE", 1)
    browser = browser_as(vendor.user)

    first, second = browser.get(PAGE), browser.get(PAGE, {"page": 2})

    assert (references(first), references(second)) == ([history["failed"].reference], [history["sent"].reference])
    assert second.context["filtered"] is False
    assert 'href="?page=2"' in first.content.decode()
    assert f'href="{CSV}" data-earnings-csv' in second.content.decode()  # the file has every row, not one page
    assert f'href="{CSV}?state=failed" data-earnings-csv' in browser.get(PAGE, {"state": "failed"}).content.decode()
