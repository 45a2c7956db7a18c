"""A small catalog with known answers: the search suite runs the same questions on both databases."""

from __future__ import annotations

import pytest

from marketplace.catalog.models import PricingModel
from tests.factories import ServiceFactory, VendorFactory, make_category, with_weekly_hours

# Centres (latitude, longitude) of the organizers' areas.
BROOKLYN = ("40.678200", "-73.944200")
MANHATTAN = ("40.758000", "-73.985500")
JERSEY_CITY = ("40.717800", "-74.043100")
BOSTON = ("42.360100", "-71.058900")

# The services of ``catalog`` by key, as searches name them.
TITLES = {
    "closet": "Closet organizing",
    "wardrobe": "Wardrobe refresh",
    "declutter": "Whole-home decluttering",
    "garage": "Garage clear-out",
    "move": "Moving day unpacking",
    "harbor": "Downsizing help",
}


@pytest.fixture
def catalog(db):
    """Six services of four organizers; names chosen so each query below has one right answer."""
    closets = make_category("Closets & wardrobes")
    decluttering = make_category("Home decluttering")
    moving = make_category("Moving & unpacking")
    calm = with_weekly_hours(
        VendorFactory(business_name="Calm Spaces", latitude=BROOKLYN[0], longitude=BROOKLYN[1], service_radius_km=10)
    )
    tidy = with_weekly_hours(
        VendorFactory(
            business_name="Tidy Manhattan", latitude=MANHATTAN[0], longitude=MANHATTAN[1], service_radius_km=5
        )
    )
    river = with_weekly_hours(
        VendorFactory(
            business_name="River Movers", latitude=JERSEY_CITY[0], longitude=JERSEY_CITY[1], service_radius_km=30
        )
    )
    # An area drawn as a polygon: a box around downtown Boston.
    boston = with_weekly_hours(
        VendorFactory(
            business_name="Harbor Order",
            latitude=BOSTON[0],
            longitude=BOSTON[1],
            service_radius_km=50,
            service_area_geojson={
                "type": "Polygon",
                "coordinates": [[[-71.2, 42.3], [-70.9, 42.3], [-70.9, 42.45], [-71.2, 42.45], [-71.2, 42.3]]],
            },
        )
    )
    services = {
        "closet": ServiceFactory(
            vendor=calm,
            category=closets,
            title="Closet organizing",
            summary="Every shelf, rail and drawer of your closets sorted.",
            base_price_minor=25000,
        ),
        "wardrobe": ServiceFactory(
            vendor=tidy,
            category=closets,
            title="Wardrobe refresh",
            summary="A walk-in closet edited by season.",
            base_price_minor=18000,
            pricing_model=PricingModel.HOURLY,
            duration_minutes=120,
        ),
        "declutter": ServiceFactory(
            vendor=calm,
            category=decluttering,
            title="Whole-home decluttering",
            summary="Room by room, keep what you love.",
            base_price_minor=40000,
        ),
        "garage": ServiceFactory(
            vendor=river,
            category=decluttering,
            title="Garage clear-out",
            summary="Declutter the garage and the attic.",
            base_price_minor=60000,
        ),
        "move": ServiceFactory(
            vendor=river,
            category=moving,
            title="Moving day unpacking",
            summary="Boxes unpacked and kitchens set up.",
            pricing_model=PricingModel.QUOTE,
            base_price_minor=0,
            instant_booking=False,
        ),
        "harbor": ServiceFactory(
            vendor=boston,
            category=decluttering,
            title="Downsizing help",
            summary="Moving to a smaller home, gently.",
            base_price_minor=35000,
        ),
    }
    return {"services": services, "categories": {"closets": closets, "decluttering": decluttering, "moving": moving}}
