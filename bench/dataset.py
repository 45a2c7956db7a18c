"""Create the benchmark's own accounts and services through the domain services.

Run by bench/run.py against the freshly migrated benchmark database (after the demo
data, when `manage.py demo_load` exists). It adds what the load needs to be
repeatable: a customer who signs in, and organizers in UTC who are open every day
00:00-23:45, with 30-minute fixed-price services, so every booking request can get a
distinct free slot; and a second customer, the reader, whose few bookings the scale-out
run's reads look at (bench/scale.py). Prints one JSON object for run.py.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-tidy-nest-2026!"
SLOT_MINUTES = 30
OPEN_FROM, OPEN_UNTIL = time(0, 0), time(23, 45)
SLOTS_PER_DAY = 47  # 00:00, 00:30 ... 23:00: the last 30-minute slot that ends by 23:45
ORGANIZERS = 4
READ_SERVICES = 5  # the scale-out run's reads go round this many services and their organizers
SERVICE_TITLES = ["Closet reset", "Garage organizing", "Pantry refresh"]


def _category():
    from marketplace.catalog.models import Category
    from marketplace.catalog.selectors import category_list

    category = category_list().first()
    if category is not None:
        return category
    return Category.objects.create(name="Home organizing", slug="home-organizing")


def _service_page_path(service) -> str | None:
    """The storefront's page for a service, if the storefront has one yet."""
    from django.urls import NoReverseMatch, reverse

    if hasattr(service, "get_absolute_url"):
        return service.get_absolute_url()
    try:
        return reverse("storefront:service_detail", kwargs={"service_id": service.pk, "slug": service.slug})
    except NoReverseMatch:
        return None


def main() -> None:
    import django

    django.setup()
    from marketplace.accounts.models import Role, User
    from marketplace.accounts.services import user_register
    from marketplace.availability.services import WeeklyWindow, availability_rules_replace
    from marketplace.catalog.models import Service
    from marketplace.catalog.selectors import service_list_public
    from marketplace.catalog.services import service_create
    from marketplace.vendors.services import vendor_profile_upsert, vendor_verify

    # Admin accounts are never self-service (user_register refuses them): create one directly,
    # as `manage.py createsuperuser` would.
    admin = User.objects.create_user(
        email="bench-admin@bench.test", password=PASSWORD, role=Role.ADMIN, is_staff=True, full_name="Bench Admin"
    )
    category = _category()
    booking_services, all_services = [], []
    for n in range(1, ORGANIZERS + 1):
        user = user_register(
            email=f"bench-organizer-{n}@bench.test", password=PASSWORD, role="vendor", full_name=f"Bench Organizer {n}"
        )
        vendor, _ = vendor_profile_upsert(
            user=user,
            business_name=f"Bench Organizing {n}",
            city="Brooklyn, NY",
            latitude="40.678200",
            longitude="-73.944200",
            time_zone="UTC",
            bio="An organizer created by the benchmark.",
        )
        vendor_verify(admin=admin, vendor_id=vendor.pk, decision="verified")
        availability_rules_replace(
            vendor=vendor,
            windows=[WeeklyWindow(weekday=day, start_time=OPEN_FROM, end_time=OPEN_UNTIL) for day in range(7)],
        )
        for index, title in enumerate(SERVICE_TITLES):
            service = service_create(
                user=user,
                category_id=category.pk,
                title=f"{title} by organizer {n}",
                summary=f"{title}: a calm, practical session with a professional organizer.",
                description="Sorting, donating and labelling, room by room. Created by the benchmark.",
                pricing_model="fixed",
                base_price_minor=12000 + 1000 * index,
                duration_minutes=SLOT_MINUTES,
            )
            all_services.append(service)
            if index == 0:
                booking_services.append(service)
    user_register(email="bench-customer@bench.test", password=PASSWORD, role="customer", full_name="Bench Customer")
    user_register(email="bench-reader@bench.test", password=PASSWORD, role="customer", full_name="Bench Reader")

    # Slots start the day after tomorrow (UTC), well past the minimum notice.
    first_day = datetime.now(UTC).date() + timedelta(days=2)
    base = datetime.combine(first_day, time(0, 0), tzinfo=UTC)
    # The pages measured for one service show a demo service when the demo data is there (real
    # texts, reviews and a typical week); the benchmark's all-day organizers are for bookings.
    # The search index follows changes through jobs; no worker runs while the data is made.
    from marketplace.catalog.search.documents import search_index_rebuild

    search_index_rebuild()
    bench_vendor_ids = {service.vendor_id for service in all_services}
    shown = list(service_list_public().exclude(vendor_id__in=bench_vendor_ids).order_by("id")[:READ_SERVICES])
    shown = shown or all_services[:READ_SERVICES]
    detail = shown[0]
    print(
        json.dumps(
            {
                "customer": {"email": "bench-customer@bench.test", "password": PASSWORD},
                "booking_service_ids": [s.pk for s in booking_services],
                "slot_base_epoch": int(base.timestamp()),
                "slots_per_day": SLOTS_PER_DAY,
                "slot_minutes": SLOT_MINUTES,
                "detail_service_id": detail.pk,
                "detail_service": f"{detail.title} ({detail.vendor.business_name})",
                "service_page_path": _service_page_path(detail),
                "search_query": "closet",
                "reader": {"email": "bench-reader@bench.test", "password": PASSWORD},
                "read_service_ids": [s.pk for s in shown],
                "read_vendor_ids": sorted({s.vendor_id for s in shown}),
                "services_total": Service.objects.filter(is_active=True).count(),
            }
        )
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.production")
    main()
