"""What search engines read: ``sitemap.xml``, ``robots.txt``, canonical addresses and schema.org JSON-LD.

Every address given out is under ``SITE_URL``, the site's one public address, never the
request's Host header (which a client chooses): a canonical link, the sitemap's entries and
robots.txt's sitemap line read the same whoever asks.

The sitemap lists the live public Wagtail pages (Wagtail's own sitemap: home, categories,
landing pages, portfolios), every public service's page, and the public page of each verified
organizer who has no live portfolio (the ones with one are redirected to it). The JSON-LD is
made from the same selectors the pages show, so a search engine reads what a visitor sees.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_GET
from wagtail.contrib.sitemaps import views as wagtail_sitemaps
from wagtail.contrib.sitemaps.sitemap_generator import Sitemap as WagtailSitemap

from marketplace.catalog.models import PricingModel, Service
from marketplace.catalog.selectors import service_list_public
from marketplace.core.money import to_major_units
from marketplace.vendors.models import Vendor
from marketplace.vendors.selectors import vendor_list_verified

# Where crawlers have nothing to find: sign-in, people's own pages, the back office, the API.
ROBOTS_DISALLOW = ("/admin/", "/accounts/", "/account/", "/vendor/", "/api/", "/documents/")
SITEMAP_CACHE_SECONDS = 60 * 60


def absolute(path: str) -> str:
    """``path`` (from the site's root) under ``SITE_URL``."""
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


class _OnSite:
    """A Django sitemap whose entries are under ``SITE_URL``."""

    def get_protocol(self, protocol=None) -> str:
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None) -> str:
        return urlsplit(settings.SITE_URL).netloc


class PagesSitemap(WagtailSitemap):
    """Wagtail's sitemap of live public pages, its entries moved under ``SITE_URL`` (Wagtail makes them
    from its Site record's host name, which can be left as localhost)."""

    def get_urls(self, page=1, site=None, protocol=None):
        urls = list(super().get_urls(page=page, site=site, protocol=protocol))
        for url in urls:
            parts = urlsplit(url["location"])
            url["location"] = absolute(parts.path + (f"?{parts.query}" if parts.query else ""))
        return urls


class ServiceSitemap(_OnSite, Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return service_list_public().order_by("pk")

    def location(self, service: Service) -> str:
        return reverse("storefront:service_detail", args=[service.pk, service.slug])

    def lastmod(self, service: Service):
        return service.updated_at


class OrganizerSitemap(_OnSite, Sitemap):
    """Verified organizers without a live portfolio page: their page is ``vendor_detail``."""

    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return vendor_list_verified().exclude(portfolio_page__live=True).order_by("pk")

    def location(self, vendor: Vendor) -> str:
        return reverse("storefront:vendor_detail", args=[vendor.slug])


SITEMAPS = {"pages": PagesSitemap, "services": ServiceSitemap, "organizers": OrganizerSitemap}


@require_GET
@cache_page(SITEMAP_CACHE_SECONDS)
def sitemap_xml(request: HttpRequest) -> HttpResponse:
    return wagtail_sitemaps.sitemap(request, sitemaps=SITEMAPS)


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), ""]
    lines.append(f"Sitemap: {absolute(reverse('sitemap'))}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def canonical_url(request: HttpRequest, page=None) -> str:
    """The one address of what is shown: a Wagtail page's own path, else this path without its query."""
    path = request.path
    if page is not None and hasattr(page, "get_url_parts"):
        parts = page.get_url_parts(request=request)
        if parts is not None and parts[2]:
            path = parts[2]
    return absolute(path)


def json_ld(data: dict) -> SafeString:
    """``data`` as a ``<script type="application/ld+json">`` block, safe inside HTML.

    ``<``, ``>`` and ``&`` are written as JSON escapes, so text a person typed (a service's
    title, an organizer's name) can never close the script element or open another.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # nosec B308 B703: escaped above


def organizer_url(vendor: Vendor, *, request: HttpRequest | None = None) -> str:
    """The organizer's page: their live portfolio if they have one, else their plain public profile."""
    try:
        page = vendor.portfolio_page
    except Vendor.portfolio_page.RelatedObjectDoesNotExist:
        page = None
    if page is not None and page.live:
        url = page.get_url(request=request)
        if url:
            return url
    return reverse("storefront:vendor_detail", args=[vendor.slug])


def _rating(rating: dict | None) -> dict | None:
    if not rating or not rating.get("count"):
        return None
    return {
        "@type": "AggregateRating",
        "ratingValue": float(rating["average"]),
        "reviewCount": rating["count"],
        "bestRating": 5,
        "worstRating": 1,
    }


def organizer_data(vendor: Vendor, rating: dict | None, url: str) -> dict:
    """schema.org ``ProfessionalService`` for an organizer's page."""
    data = {
        "@context": "https://schema.org",
        "@type": "ProfessionalService",
        "name": vendor.business_name,
        "url": url,
        "address": {"@type": "PostalAddress", "addressLocality": vendor.city},
    }
    if vendor.tagline or vendor.bio:
        data["description"] = vendor.tagline or vendor.bio
    if vendor.latitude is not None and vendor.longitude is not None:
        data["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": float(vendor.latitude),
            "longitude": float(vendor.longitude),
        }
    aggregate = _rating(rating)
    if aggregate:
        data["aggregateRating"] = aggregate
    return data


def service_data(request: HttpRequest, service: Service, vendor: Vendor, rating: dict | None) -> dict:
    """schema.org ``Service`` for a service's page, with its price and its organizer."""
    data = {
        "@context": "https://schema.org",
        "@type": "Service",
        "name": service.title,
        "url": canonical_url(request),
        "description": service.summary or service.description,
        "category": service.category.name,
        "provider": organizer_data(vendor, rating, absolute(urlsplit(organizer_url(vendor, request=request)).path)),
        "areaServed": vendor.city,
    }
    data["provider"].pop("@context")
    price = str(to_major_units(service.base_price_minor, service.currency))
    if service.pricing_model == PricingModel.QUOTE:  # "From $X": the organizer quotes the rest
        data["offers"] = {
            "@type": "Offer",
            "priceCurrency": service.currency,
            "priceSpecification": {"@type": "PriceSpecification", "minPrice": price, "priceCurrency": service.currency},
        }
    else:
        offer = {"@type": "Offer", "priceCurrency": service.currency, "price": price}
        if service.pricing_model == PricingModel.HOURLY:
            offer["priceSpecification"] = {
                "@type": "UnitPriceSpecification",
                "price": price,
                "priceCurrency": service.currency,
                "unitCode": "HUR",
            }
        data["offers"] = offer
    aggregate = _rating(rating)
    if aggregate:
        data["aggregateRating"] = aggregate
    return data
