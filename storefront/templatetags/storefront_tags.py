"""Presentation helpers for the storefront templates: money, prices, icons, stars, states."""

from __future__ import annotations

import math
import re

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from marketplace.bookings.models import BookingStatus
from marketplace.bookings.policy import can_accept, status_label
from marketplace.catalog.selectors import price_description
from marketplace.core.money import Money

from ..forms import duration_label
from ..seo import canonical_url, json_ld, organizer_data, organizer_url, service_data

register = template.Library()

# Hand-drawn 24x24 line icons (stroke = currentColor), so they follow the text colour.
ICONS = {
    # Category icons (CategoryPage.ICON_CHOICES)
    "home": '<path d="M3 11.5 12 4l9 7.5"/><path d="M5.5 10v10h13V10"/><path d="M10 20v-5.5h4V20"/>',
    "box": '<path d="M3 7.5 12 3l9 4.5-9 4.5z"/><path d="M3 7.5v9L12 21l9-4.5v-9"/><path d="M12 12v9"/>'
    '<path d="m7.5 5.3 9 4.5"/>',
    "closet": '<rect x="4" y="3" width="16" height="18" rx="1.5"/><path d="M12 3v18"/><path d="M9.5 11v2.5"/>'
    '<path d="M14.5 11v2.5"/><path d="M4 18h16"/>',
    "garage": '<path d="M3 10 12 4l9 6v10.5H3z"/><path d="M7 20.5V13h10v7.5"/><path d="M7 15.5h10"/>'
    '<path d="M7 18h10"/>',
    "calendar": '<rect x="3" y="5" width="18" height="16" rx="2"/><path d="M3 10h18"/><path d="M8 3v4"/>'
    '<path d="M16 3v4"/><path d="M8 14h2"/><path d="M14 14h2"/><path d="M8 17.5h2"/>',
    "office": '<rect x="3" y="7.5" width="18" height="12.5" rx="2"/><path d="M8.5 7.5V5a1 1 0 0 1 1-1h5'
    'a1 1 0 0 1 1 1v2.5"/><path d="M3 13h18"/><path d="M11 13v2h2v-2"/>',
    "kitchen": '<path d="M4.5 10.5h15v6.5a3 3 0 0 1-3 3h-9a3 3 0 0 1-3-3z"/><path d="M2.5 10.5h19"/>'
    '<path d="M9 7c0-1.4 1.3-2.5 3-2.5S15 5.6 15 7"/>',
    "paper": '<path d="M6 3h9l4 4v14H6z"/><path d="M15 3v4h4"/><path d="M9 11.5h7"/><path d="M9 15h7"/>'
    '<path d="M9 18.5h4"/>',
    "sparkle": '<path d="m12 3 1.9 5.1L19 10l-5.1 1.9L12 17l-1.9-5.1L5 10l5.1-1.9z"/>'
    '<path d="m18.5 15.5.8 1.7 1.7.8-1.7.8-.8 1.7-.8-1.7-1.7-.8 1.7-.8z"/>',
    # Interface icons
    "search": '<circle cx="11" cy="11" r="6.5"/><path d="m20 20-4.2-4.2"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4.5 20.5c.8-3.6 3.9-5.5 7.5-5.5s6.7 1.9 7.5 5.5"/>',
    "clock": '<circle cx="12" cy="12" r="8.5"/><path d="M12 7.5V12l3 2"/>',
    "pin": '<path d="M12 21s-6.5-6-6.5-11.5a6.5 6.5 0 0 1 13 0C18.5 15 12 21 12 21z"/>'
    '<circle cx="12" cy="9.5" r="2.3"/>',
    "shield": '<path d="M12 3 19.5 6v5.5c0 4.6-3.2 8-7.5 9.5-4.3-1.5-7.5-4.9-7.5-9.5V6z"/>'
    '<path d="m8.7 12 2.3 2.3 4.3-4.6"/>',
    "check": '<path d="m5 12.5 4.5 4.5L19 7.5"/>',
    "arrow-right": '<path d="M5 12h14"/><path d="m13 6 6 6-6 6"/>',
    "arrow-left": '<path d="M19 12H5"/><path d="m11 6-6 6 6 6"/>',
    "chevron-down": '<path d="m6 9 6 6 6-6"/>',
    "menu": '<path d="M4 7h16"/><path d="M4 12h16"/><path d="M4 17h16"/>',
    "card": '<rect x="3" y="5.5" width="18" height="13" rx="2"/><path d="M3 10h18"/><path d="M7 15h4"/>',
    "info": '<circle cx="12" cy="12" r="8.5"/><path d="M12 11v5"/><path d="M12 8h.01"/>',
    "alert": '<path d="M12 3.5 21.5 20h-19z"/><path d="M12 10v4.5"/><path d="M12 17.3h.01"/>',
    "lock": '<rect x="5" y="11" width="14" height="9.5" rx="2"/><path d="M8 11V8a4 4 0 0 1 8 0v3"/>',
    "logout": '<path d="M14.5 4H19v16h-4.5"/><path d="m10 8-4 4 4 4"/><path d="M6 12h10"/>',
    "pencil": '<path d="M4 20h4L19 9l-4-4L4 16z"/><path d="m13.5 6.5 4 4"/>',
    "plus": '<path d="M12 5v14"/><path d="M5 12h14"/>',
    "grid": '<rect x="4" y="4" width="7" height="7" rx="1.5"/><rect x="13" y="4" width="7" height="7" rx="1.5"/>'
    '<rect x="4" y="13" width="7" height="7" rx="1.5"/><rect x="13" y="13" width="7" height="7" rx="1.5"/>',
    "list": '<path d="M9 6.5h11"/><path d="M9 12h11"/><path d="M9 17.5h11"/><path d="M4.5 6.5h.01"/>'
    '<path d="M4.5 12h.01"/><path d="M4.5 17.5h.01"/>',
    "wallet": '<path d="M4 7.5h15a1.5 1.5 0 0 1 1.5 1.5v9.5A1.5 1.5 0 0 1 19 20H5a1.5 1.5 0 0 1-1.5-1.5V6'
    'A2 2 0 0 1 5.5 4H17v3.5"/><circle cx="16.5" cy="14" r="1"/>',
    "x": '<path d="m6 6 12 12"/><path d="M18 6 6 18"/>',
    "quote": '<path d="M9.5 7C6.5 8 5 10.5 5 14v3h5v-5H7.3c.2-1.8 1.1-3 2.7-3.7z"/>'
    '<path d="M18.5 7c-3 1-4.5 3.5-4.5 7v3h5v-5h-2.7c.2-1.8 1.1-3 2.7-3.7z"/>',
    "star": '<path d="m12 3.5 2.6 5.4 5.9.8-4.3 4.1 1 5.9-5.2-2.8-5.2 2.8 1-5.9-4.3-4.1 5.9-.8z"/>',
    "mail": '<rect x="3" y="5.5" width="18" height="13" rx="2"/><path d="m3.5 7 8.5 6 8.5-6"/>',
}


# Each icon above is parsed once into its shapes (tag and attributes) and written back out
# through format_html, so every attribute value is escaped: nothing reaches a page through
# mark_safe, and a mistyped icon fails at import instead of breaking the markup of every page.
_SHAPE = re.compile(r'\s*<(path|rect|circle)((?:\s+[a-z-]+="[^"<>&]*")+)\s*/>')
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')


def _shapes(name: str, markup: str) -> SafeString:
    shapes, position = [], 0
    while position < len(markup):
        match = _SHAPE.match(markup, position)
        if match is None:
            raise ValueError(f"icon {name!r}: unexpected markup at {markup[position:]!r}")
        tag, attributes = match.groups()
        shapes.append((tag, format_html_join(" ", '{}="{}"', _ATTRIBUTE.findall(attributes))))
        position = match.end()
    return format_html_join("", "<{} {}/>", shapes)


ICON_SHAPES = {name: _shapes(name, markup) for name, markup in ICONS.items()}


def _svg(name: str, css_class: str = "") -> SafeString:
    """The icon's SVG; ``name`` and ``css_class`` land in its class attribute, escaped."""
    classes = f"icon icon-{name} {css_class}".strip()
    return format_html(
        '<svg class="{}" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" '
        'stroke-width="1.75" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">'
        "{}</svg>",
        classes,
        ICON_SHAPES.get(name, ICON_SHAPES["sparkle"]),
    )


@register.simple_tag
def icon(name: str, css_class: str = "") -> SafeString:
    """An inline SVG icon: {% icon "home" %}. Decorative: screen readers skip it."""
    return _svg(name, css_class)


@register.filter
def price_line(service) -> str:
    """'$300.00', '$85.50 / hour', 'From $900.00' or 'On quote'."""
    return price_description(service)


@register.simple_tag
def money(minor: int | None, currency: str) -> str:
    if minor is None:
        return ""
    return str(Money(int(minor), currency))


@register.filter
def duration(minutes) -> str:
    try:
        return duration_label(int(minutes))
    except (TypeError, ValueError):
        return ""


@register.inclusion_tag("storefront/includes/stars.html")
def stars(average, count=None, size="md", show_value=True):
    """Five stars, filled to the nearest whole star, with the number for screen readers and eyes.

    ``size="sm"`` (cards) shortens the count to "(12)"; ``show_value=False`` leaves the number
    to the caller (a large rating summary already shows it)."""
    if average in (None, ""):
        average = None
    filled = round(float(average)) if average is not None else 0
    return {
        "average": average,
        "count": count if count not in (None, "") else None,
        "size": size,
        "show_value": show_value,
        "stars": [index < filled for index in range(5)],
        "star_svg": _svg("star"),
    }


STATUS_TONES = {
    BookingStatus.REQUESTED: "warning",
    BookingStatus.CONFIRMED: "info",
    BookingStatus.COMPLETED: "success",
    BookingStatus.DISPUTED: "danger",
    BookingStatus.DECLINED: "neutral",
    BookingStatus.EXPIRED: "neutral",
    BookingStatus.CANCELLED: "neutral",
    BookingStatus.REFUNDED: "neutral",
}


# How a badge names what an open request waits for: (to the organizer, to the customer).
@register.simple_tag
def status_badge(booking, audience: str = "customer"):
    """The booking's status as a coloured badge; open requests say what they wait for, to whom is looking."""
    label = status_label(booking, audience=audience)
    return format_html('<span class="badge badge--{}">{}</span>', STATUS_TONES.get(booking.status, "neutral"), label)


def _category_page(context, category):
    """The live page presenting ``category`` (see context_processors.navigation), or None."""
    pages = context.get("category_pages")
    return pages.get(category.pk) if pages is not None else None


@register.simple_tag(takes_context=True)
def category_url(context, category) -> str:
    """The category's page if marketing published one, else the search filtered by it."""
    page = _category_page(context, category)
    if page is not None:
        url = page.get_url(request=context.get("request"))
        if url:
            return url
    return f"{reverse('storefront:search')}?{urlencode({'category': category.slug})}"


@register.simple_tag(takes_context=True)
def category_icon(context, category, css_class: str = ""):
    """The icon marketing chose for the category on its page (a sparkle when it has none)."""
    page = _category_page(context, category)
    return icon(page.icon if page is not None else "sparkle", css_class)


@register.simple_tag(takes_context=True)
def vendor_url(context, vendor) -> str:
    """The vendor's live portfolio page if there is one, else the plain public profile."""
    return organizer_url(vendor, request=context.get("request"))


@register.simple_tag(takes_context=True)
def canonical_link(context) -> str:
    """The page's one address (``seo.canonical_url``), for ``<link rel="canonical">``."""
    request = context.get("request")
    return canonical_url(request, context.get("page")) if request is not None else ""


@register.simple_tag(takes_context=True)
def structured_data(context) -> str:
    """schema.org JSON-LD for a service's page or an organizer's page (``seo``), in their block
    ``structured_data``: the page's ``vendor``, its ``rating`` and, on a service's page, its ``service``."""
    request, vendor = context.get("request"), context.get("vendor")
    if request is None or vendor is None or "rating" not in context:
        return ""
    service = context.get("service")
    if service is not None:
        return json_ld(service_data(request, service, vendor, context["rating"]))
    return json_ld(organizer_data(vendor, context["rating"], canonical_url(request, context.get("page"))))


@register.filter
def jobs_done(count) -> str:
    """'1 job done', '12 jobs done' (completed bookings on the platform)."""
    return f"{count:,} job{'' if count == 1 else 's'} done"


@register.filter
def reply_time(minutes) -> str:
    """An organizer's median time to answer a request, as a customer reads it: 'within an hour',
    'within 3 hours', 'within 2 days' (rounded up: never quicker than they are)."""
    if minutes is None:
        return ""
    minutes = int(minutes)
    if minutes <= 60:
        return "within an hour"
    if minutes <= 24 * 60:
        return f"within {math.ceil(minutes / 60)} hours"
    days = math.ceil(minutes / (24 * 60))
    return f"within {days} days"


@register.filter
def km(metres) -> str:
    """A distance in metres as kilometres with one decimal: 3180.4 -> '3.2'."""
    return f"{float(metres) / 1000:.1f}"


@register.filter
def initials(name: str) -> str:
    words = [word for word in str(name).replace("&", " ").split() if word[:1].isalnum()]
    return "".join(word[0] for word in words[:2]).upper() or "?"


@register.filter
def is_past(moment) -> bool:
    return moment is not None and moment <= timezone.now()


@register.simple_tag
def elided_pages(page_obj):
    """Page numbers around the current page, with the paginator's ellipsis for the gaps."""
    return list(page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1))


@register.filter
def public_name(user) -> str:
    """How a reviewer appears in public: first name and last initial, never the email address."""
    words = (getattr(user, "full_name", "") or "").split()
    if not words:
        return "A Tidy Nest customer"
    return f"{words[0]} {words[-1][0]}." if len(words) > 1 else words[0]


@register.simple_tag
def accept_refusal(booking, user) -> str:
    """Why the organizer cannot accept this request now (e.g. new bookings paused), or "" when they can.

    The dashboard and the booking page offer the Accept button only when the service would take it.
    """
    verdict = can_accept(booking, user=user)
    return "" if verdict else verdict.refusal.message
