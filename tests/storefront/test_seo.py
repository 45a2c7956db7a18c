"""What search engines read: robots.txt, sitemap.xml, canonical addresses, schema.org JSON-LD."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.core.cache import cache

from marketplace.catalog.models import PricingModel
from marketplace.reviews.services import review_create
from marketplace.vendors.models import VerificationStatus
from tests.conftest import local_slot
from tests.factories import ServiceFactory, VendorFactory
from tests.factories.bookings import completed_booking

from .conftest import service_url

pytestmark = pytest.mark.django_db
SITE = settings.SITE_URL.rstrip("/")
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture(autouse=True)
def _fresh_sitemap():
    cache.clear()  # the sitemap is cached for an hour


def sitemap_urls(client) -> set[str]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)
    return {loc.text for loc in root.findall("s:url/s:loc", SITEMAP_NS)}


def json_ld_blocks(html: str) -> list[dict]:
    return [json.loads(text) for text in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]


def canonical(html: str) -> str:
    return re.search(r'<link rel="canonical" href="([^"]+)">', html).group(1)


def test_robots_txt_keeps_crawlers_out_of_private_areas_and_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    for path in ("/admin/", "/accounts/", "/account/", "/vendor/", "/api/"):
        assert f"Disallow: {path}\n" in text
    assert f"Sitemap: {SITE}/sitemap.xml" in text
    assert "Disallow: /\n" not in text  # the public pages stay open


def test_the_sitemap_lists_public_pages_services_and_organizers_only(client, service, category_page, other_vendor):
    with_portfolio = VendorFactory(business_name="Portfolio Pro", slug="portfolio-pro")
    from storefront.models import VendorIndexPage, VendorPortfolioPage

    VendorIndexPage.objects.get().add_child(
        instance=VendorPortfolioPage(title="Portfolio Pro", slug="portfolio-pro", vendor=with_portfolio)
    )
    hidden = ServiceFactory(vendor=service.vendor, category=service.category, title="Retired", is_active=False)
    pending = VendorFactory(slug="still-pending", verification_status=VerificationStatus.PENDING)
    ServiceFactory(vendor=pending, category=service.category, title="Not yet")

    urls = sitemap_urls(client)
    assert f"{SITE}/" in urls
    assert f"{SITE}{category_page.url}" in urls
    assert f"{SITE}{service_url(service)}" in urls
    assert f"{SITE}{service_url(hidden)}" not in urls
    assert not any("still-pending" in url for url in urls)
    assert f"{SITE}/vendors/{other_vendor.slug}/" in urls  # verified, no portfolio
    assert f"{SITE}/vendors/portfolio-pro/" not in urls  # its portfolio page is listed instead
    assert any(url.endswith("/portfolio-pro/") for url in urls)


def test_addresses_are_the_site_s_own_whatever_host_a_client_names(client, service, settings):
    settings.SITE_URL = "https://tidynest.example"
    settings.ALLOWED_HOSTS = ["*"]
    home = client.get("/", HTTP_HOST="evil.example").content.decode()
    assert canonical(home) == "https://tidynest.example/"
    assert (
        "Sitemap: https://tidynest.example/sitemap.xml"
        in client.get("/robots.txt", HTTP_HOST="evil.example").content.decode()
    )
    urls = sitemap_urls(client)
    assert urls and all(url.startswith("https://tidynest.example/") for url in urls)


def test_the_sitemap_answers_get_only(client):
    assert client.post("/sitemap.xml").status_code == 405
    assert client.post("/robots.txt").status_code == 405


def test_each_page_names_its_one_address(client, service, category_page):
    assert canonical(client.get("/").content.decode()) == f"{SITE}/"
    assert canonical(client.get(category_page.url).content.decode()) == f"{SITE}{category_page.url}"
    page = client.get(service_url(service) + "?utm_source=mail&tz=Europe/Paris").content.decode()
    assert canonical(page) == f"{SITE}{service_url(service)}"


def test_a_search_with_a_query_is_not_indexed_but_followed(client, service):
    assert 'name="robots"' not in client.get("/search/").content.decode()
    assert '<meta name="robots" content="noindex, follow">' in client.get("/search/?q=declutter").content.decode()


def test_a_service_page_describes_the_service_its_price_and_its_organizer(client, service, customer):
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-3))
    review_create(customer=customer, booking_id=booking.pk, rating=4)
    (data,) = json_ld_blocks(client.get(service_url(service)).content.decode())
    assert data["@context"] == "https://schema.org" and data["@type"] == "Service"
    assert data["name"] == service.title
    assert data["url"] == f"{SITE}{service_url(service)}"
    assert data["offers"] == {"@type": "Offer", "priceCurrency": "USD", "price": "300.00"}
    assert data["provider"]["@type"] == "ProfessionalService"
    assert data["provider"]["name"] == service.vendor.business_name
    assert data["provider"]["url"] == f"{SITE}/vendors/{service.vendor.slug}/"
    assert data["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": 4.0,
        "reviewCount": 1,
        "bestRating": 5,
        "worstRating": 1,
    }


def test_hourly_and_quoted_prices_say_so_and_no_rating_says_nothing(client, vendor, category):
    hourly = ServiceFactory(
        vendor=vendor, category=category, pricing_model=PricingModel.HOURLY, base_price_minor=8550, duration_minutes=60
    )
    quoted = ServiceFactory(vendor=vendor, category=category, pricing_model=PricingModel.QUOTE, base_price_minor=90000)
    (hour,) = json_ld_blocks(client.get(service_url(hourly)).content.decode())
    assert hour["offers"]["price"] == "85.50"
    assert hour["offers"]["priceSpecification"]["unitCode"] == "HUR"
    assert "aggregateRating" not in hour
    (quote,) = json_ld_blocks(client.get(service_url(quoted)).content.decode())
    assert "price" not in quote["offers"]
    assert quote["offers"]["priceSpecification"]["minPrice"] == "900.00"


def test_text_a_person_typed_cannot_break_out_of_the_json_ld(client, vendor, category):
    title = 'Closets </script><script>alert("x")</script> & more'
    service = ServiceFactory(vendor=vendor, category=category, title=title, slug="closets-more")
    html = client.get(service_url(service)).content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and ">" not in block
    assert json.loads(block)["name"] == title
    assert '<script>alert("x")' not in html


def test_an_organizer_s_pages_describe_the_organizer(client, portfolio_page, other_vendor):
    (data,) = json_ld_blocks(client.get(portfolio_page.url).content.decode())
    assert data["@type"] == "ProfessionalService"
    assert data["name"] == portfolio_page.vendor.business_name
    assert data["url"] == f"{SITE}{portfolio_page.url}"
    assert data["address"]["addressLocality"] == portfolio_page.vendor.city
    plain = client.get(f"/vendors/{other_vendor.slug}/").content.decode()
    (data,) = json_ld_blocks(plain)
    assert data["name"] == other_vendor.business_name
    assert data["url"] == f"{SITE}/vendors/{other_vendor.slug}/"


def test_pages_without_a_subject_carry_no_json_ld(client, service):
    assert json_ld_blocks(client.get("/").content.decode()) == []
    assert json_ld_blocks(client.get("/search/?q=declutter").content.decode()) == []


def test_an_organizer_s_own_dashboard_carries_no_json_ld(client, vendor):
    client.force_login(vendor.user)
    response = client.get("/vendor/")
    assert response.status_code == 200
    assert json_ld_blocks(response.content.decode()) == []
