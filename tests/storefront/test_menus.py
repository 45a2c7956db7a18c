"""Editors manage the header menu (Settings > Menus); without one the header lists the categories."""

from __future__ import annotations

import re

import pytest
from wagtail.blocks import StructBlockValidationError
from wagtail.models import Site

from storefront.blocks import MenuLinkBlock
from storefront.models import SiteMenus

pytestmark = pytest.mark.django_db


def header_links(html: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="category-nav" aria-label="([^"]+)">(.*?)</nav>', html, re.S)
    return [
        (href, " ".join(re.sub(r"<[^>]+>", " ", text).split()))
        for href, text in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', nav.group(2), re.S)
    ], nav.group(1)


def set_menu(*links: dict) -> SiteMenus:
    menus = SiteMenus.for_site(Site.objects.get(is_default_site=True))
    menus.header = [{"type": "link", "value": link} for link in links]
    menus.save()
    return menus


def test_without_a_menu_the_header_lists_the_categories(client, category_page):
    links, label = header_links(client.get("/").content.decode())
    assert label == "Categories"
    assert (category_page.url, category_page.title) in links


def test_an_editor_s_menu_replaces_it_in_their_order(client, category_page):
    set_menu(
        {"label": "Moving season", "url": "/search/?q=moving"},
        {"label": "Decluttering", "page": category_page.pk},
        {"label": "Our blog", "url": "https://blog.tidynest.example/"},
    )
    html = client.get("/").content.decode()
    links, label = header_links(html)
    assert label == "Site menu"
    assert links == [
        ("/search/?q=moving", "Moving season"),
        (category_page.url, "Decluttering"),
        ("https://blog.tidynest.example/", "Our blog"),
    ]
    footer = html[html.index('aria-label="Explore"') :]
    assert "Moving season" in footer and "Our blog" in footer


def test_a_link_to_a_page_that_is_no_longer_live_is_left_out(client, category_page):
    set_menu({"label": "Decluttering", "page": category_page.pk}, {"label": "Search", "url": "/search/"})
    category_page.unpublish()
    links, _ = header_links(client.get("/").content.decode())
    assert links == [("/search/", "Search")]


def test_a_label_is_escaped(client):
    set_menu({"label": "<b>Sale</b>", "url": "/search/"})
    html = client.get("/").content.decode()
    assert "&lt;b&gt;Sale&lt;/b&gt;" in html and "<b>Sale</b>" not in html


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({"label": "Bad", "url": "javascript:alert(1)"}, "starting with /"),
        ({"label": "Bad", "url": "data:text/html,hi"}, "starting with /"),
        ({"label": "Neither"}, "one of the two"),
        ({"label": "Both", "url": "/search/", "page": 1}, "one of the two"),
    ],
)
def test_a_menu_link_must_be_a_page_or_a_safe_address(value, words, category_page):
    block = MenuLinkBlock()
    if "page" in value:
        value = {**value, "page": category_page.pk}
    with pytest.raises(StructBlockValidationError) as refused:
        block.clean(block.to_python(value))
    assert words in str(refused.value.block_errors["url"])


def test_editors_may_change_the_menus_and_support_may_not(db):
    from django.contrib.auth.models import Group

    from marketplace.accounts.permissions import EDITORS, SUPPORT

    editors = Group.objects.get(name=EDITORS).permissions.values_list("codename", flat=True)
    support = Group.objects.get(name=SUPPORT).permissions.values_list("codename", flat=True)
    assert "change_sitemenus" in editors
    assert "change_sitemenus" not in support
