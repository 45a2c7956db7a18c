"""Cards and portfolios show each organizer's trust figures (tests/bookings/test_organizer_figures.py keeps them)."""

import pytest

pytestmark = pytest.mark.django_db


def test_cards_and_portfolios_show_the_figures(client, vendor, service, portfolio_page):
    vendor.jobs_completed, vendor.response_minutes = 12, 95
    vendor.save(update_fields=["jobs_completed", "response_minutes"])
    for url in ("/", portfolio_page.url):
        html = client.get(url).content.decode()
        assert "12 jobs done" in html and "Replies within 2 hours" in html
        assert "Verified" in html
    vendor.jobs_completed, vendor.response_minutes = 0, None
    vendor.save(update_fields=["jobs_completed", "response_minutes"])
    html = client.get(portfolio_page.url).content.decode()
    assert 'data-trust="jobs"' not in html and 'data-trust="response"' not in html
