"""Layouts measured in a real browser: service cards hold at 320-1280 px, and on a phone the booking
panel is on the first screen of a service page.

Chromium lays the pages out as a visitor's would (``test_dispute_walk`` says how it is launched
and when it runs: ``BROWSER_TESTS=1``); each width is photographed to ``var/browser/``.
"""

from __future__ import annotations

import os

import pytest

from marketplace.catalog.models import PricingModel
from marketplace.reviews.services import review_create
from tests.conftest import local_slot
from tests.factories import CustomerFactory, ServiceFactory
from tests.factories.bookings import completed_booking

from .test_dispute_walk import SHOTS, chromium  # noqa: F401 (the fixture)

pytestmark = [
    pytest.mark.skipif(os.environ.get("BROWSER_TESTS") != "1", reason="browser tests run with BROWSER_TESTS=1"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
WIDTHS = range(320, 1281, 40)  # phones to desktops, through every change of the number of columns

# For each card: does anything stick out of it, and do the rating and the price overlap?
CARD_FAULTS = """() => [...document.querySelectorAll('.service-card')].flatMap(card => {
    const faults = [];
    const box = card.getBoundingClientRect();
    const over = card.scrollWidth - card.clientWidth;
    if (over > 1) faults.push('overflows ' + over + 'px');
    const stars = card.querySelector('.service-card__bottom .stars');
    const price = card.querySelector('.service-card__bottom .price');
    if (stars && price) {
        // Each visible piece of the rating (stars, value, count) against the price: a squeezed
        // rating box keeps its own edge clear while its text runs on under the price.
        const b = price.getBoundingClientRect();
        for (const piece of stars.querySelectorAll(':scope > :not(.visually-hidden)')) {
            const a = piece.getBoundingClientRect();
            const apart = a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
            if (!apart) faults.push('rating "' + piece.innerText + '" overlaps price "' + price.innerText + '"');
        }
        if (b.right > box.right + 1) faults.push('price past the card edge');
    }
    return faults.map(f => card.querySelector('h3').innerText + ': ' + f);
})"""


@pytest.fixture
def rated_services(vendor, category, service):
    """Cards with a long price and a rating with a count: the combination that once printed "(4From $1,200.00"."""
    services = [
        ServiceFactory(
            vendor=vendor,
            category=category,
            title=f"Whole-home reset, garage and attic, weekend {n}",
            pricing_model=PricingModel.QUOTE,  # "From $1,200.00": the longest price a card shows
            base_price_minor=120000 + n,
        )
        for n in range(3)
    ]
    # The rating is the organizer's: reviews of one of their fixed-price services show on every card.
    for n in range(4):
        customer = CustomerFactory()
        booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2 - n))
        review_create(customer=customer, booking_id=booking.pk, rating=4, body="Tidy and kind.")
    return services


def test_service_cards_hold_their_layout_from_320_to_1280_px(chromium, live_server, rated_services):  # noqa: F811
    page = chromium.new_page()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path, name in (("/", "home"), ("/search/?q=reset", "search")):
            page.goto(live_server.url + path)
            page.wait_for_load_state()
            assert page.locator(".service-card").count() >= 3, f"{path} at {width} px shows no cards"
            if width in (320, 760, 1000, 1280):
                page.screenshot(path=str(SHOTS / f"cards-{name}-{width}.png"), full_page=True)
            assert page.evaluate(CARD_FAULTS) == [], f"{path} at {width} px"
            assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{path} scrolls sideways at {width}"


def test_on_a_phone_the_booking_panel_is_on_the_first_screen(chromium, live_server, service):  # noqa: F811
    context = chromium.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/services/{service.pk}/{service.slug}/")
    page.wait_for_load_state()
    page.screenshot(path=str(SHOTS / "service-phone.png"))
    panel = page.locator("#book").bounding_box()
    assert panel is not None and panel["y"] < 812, f"the booking panel starts {panel and panel['y']:.0f} px down"
    wide = chromium.new_page(viewport={"width": 1280, "height": 900})
    wide.goto(f"{live_server.url}/services/{service.pk}/{service.slug}/")
    beside = wide.locator("#book").bounding_box()
    main = wide.locator(".detail-main").bounding_box()
    assert beside["x"] > main["x"] + main["width"] - 1  # on a wide screen it stays beside the description
