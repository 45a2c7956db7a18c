"""The storefront's rough edges stay fixed: nothing said twice, the organizer's sign-up from its button,
the booking panel first on a phone. (Card layout at 320-1280 px: tests/browser/test_layout.py.)"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from storefront.models import HomePage

from .conftest import service_url

pytestmark = pytest.mark.django_db
DEMO_PAGES = Path(settings.BASE_DIR) / "fixtures" / "demo" / "pages.json"


def headings(html: str) -> list[str]:
    """The text of every h1-h3 on the page, tags and spacing stripped."""
    found = re.findall(r"<h[123][^>]*>(.*?)</h[123]>", html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", text).split()) for text in found]


def repeated(html: str) -> list[str]:
    return [text for text, count in Counter(headings(html)).items() if count > 1 and text]


def _home_with(body: list[dict]) -> HomePage:
    home = HomePage.objects.get().specific
    home.body = body
    home.save_revision().publish()
    return home


def test_the_home_page_says_each_thing_once_with_the_demo_s_own_content(client, service, category_page):
    _home_with(json.loads(DEMO_PAGES.read_text())["home"]["body"])
    html = client.get("/").content.decode()
    assert repeated(html) == []
    assert headings(html).count("How Tidy Nest works") == 1
    assert headings(html).count("Are you a professional organizer?") == 1


def test_an_editor_s_own_how_it_works_and_call_to_action_take_the_built_in_ones_place(client):
    _home_with(
        [
            {"type": "features", "value": {"heading": "Three steps", "features": [{"title": "Find", "text": "Look"}]}},
            {
                "type": "call_to_action",
                "value": {"heading": "Organize for us", "button_label": "Apply", "button_url": "/accounts/signup/"},
            },
        ]
    )
    html = client.get("/").content.decode()
    assert "Three steps" in html and "How Tidy Nest works" not in html
    assert html.count('id="how-it-works"') == 1  # the footer's "How it works" still lands on it
    assert "Organize for us" in html and "Are you a professional organizer?" not in html


def test_the_organizer_button_opens_the_organizer_sign_up(client):
    html = client.get("/").content.decode()
    links = re.findall(r'href="([^"]+)"[^>]*>Join as an organizer', html)  # the band's and the footer's
    assert len(links) == 2 and set(links) == {"/accounts/signup/?role=vendor"}
    href = links[0]
    signup = client.get(href).content.decode()
    vendor_radio = re.search(r'<input type="radio"[^>]*value="vendor"[^>]*>', signup).group(0)
    customer_radio = re.search(r'<input type="radio"[^>]*value="customer"[^>]*>', signup).group(0)
    assert "checked" in vendor_radio and "checked" not in customer_radio


def test_a_portfolio_page_says_each_heading_once(client, portfolio_page, service):
    vendor = portfolio_page.vendor
    vendor.bio = "Calm, kind help."
    vendor.save(update_fields=["bio"])
    # The demo's portfolio body opens with its own heading, under the page's "About ...".
    portfolio_page.body = [
        {"type": "heading", "value": "How I work"},
        {"type": "paragraph", "value": "<p>One room at a time.</p>"},
    ]
    portfolio_page.save_revision().publish()
    html = client.get(portfolio_page.url).content.decode()
    assert f"About {vendor.business_name}" in headings(html)
    assert repeated(html) == []


def test_the_service_page_says_each_heading_once(client, service, portfolio_page):
    html = client.get(service_url(service)).content.decode()
    assert repeated(html) == []
    assert 'id="book"' in html  # the panel: first in one column (tests/browser/test_layout.py)
