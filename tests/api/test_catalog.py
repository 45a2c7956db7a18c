"""POST catalog/services (only verified organizers publish), GET catalog/search and slots."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from marketplace.catalog.models import Service
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.factories.bookings import request_booking
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db


def _service_body(category, **changes) -> dict:
    return {
        "category_id": category.pk,
        "title": "Garage rescue",
        "pricing_model": "fixed",
        "base_price_minor": 45000,
        "duration_minutes": 240,
        **changes,
    }


def test_a_verified_vendor_publishes_a_service(api, vendor, category):
    response = api.as_user(vendor.user).post("catalog/services", _service_body(category))

    assert response.status_code == 201, response.content
    assert response.json()["price_display"] == "$450.00"
    assert response.json()["vendor"]["id"] == vendor.pk
    assert Service.objects.get().title == "Garage rescue"


def test_in_a_yen_marketplace_minor_units_are_whole_yen(api, vendor, category, settings):
    settings.MARKETPLACE_CURRENCY = "JPY"
    api.as_user(vendor.user)

    response = api.post("catalog/services", _service_body(category, base_price_minor=5000))

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["base_price_minor"], body["currency"], body["price_display"]) == (5000, "JPY", "¥5,000")

    before = data_snapshot()
    response = api.post("catalog/services", _service_body(category, base_price_minor=10_000_001))
    assert (response.status_code, response.json()["detail"]) == (
        400,
        "base_price_minor must be between 0 and 10000000 (minor units of JPY: at most ¥10,000,000).",
    )
    assert changed_tables(before, data_snapshot()) == []


@pytest.mark.parametrize("status", ["pending", "rejected", "suspended"])
def test_an_unverified_vendor_cannot_publish(api, make_vendor, category, status):
    organizer = make_vendor(status)
    api.as_user(organizer.user)
    before = data_snapshot()

    response = api.post("catalog/services", _service_body(category))

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Your organizer profile must be verified before you can publish services.",
        "code": "vendor_not_verified",
    }
    assert changed_tables(before, data_snapshot()) == []


@pytest.mark.parametrize("who", ["customer", "vendor without profile", "admin"])
def test_only_organizers_publish(api, customer, unverified_vendor_user, admin_user, category, who):
    user = {"customer": customer, "vendor without profile": unverified_vendor_user, "admin": admin_user}[who]
    api.as_user(user)
    before = data_snapshot()

    response = api.post("catalog/services", _service_body(category))

    assert response.status_code == 403
    assert response.json() == {"detail": "Only organizers can publish services.", "code": "not_a_vendor"}
    assert changed_tables(before, data_snapshot()) == []


def test_publishing_unauthenticated_is_a_401(api, category):
    response = api.post("catalog/services", _service_body(category))

    assert response.status_code == 401
    assert not Service.objects.exists()


@pytest.mark.parametrize(
    ("changes", "status", "detail"),
    [
        ({"base_price_minor": -1}, 422, "Invalid input. base_price_minor: Input should be greater than or equal to 0."),
        (
            {"base_price_minor": 10_000_001},
            400,
            "base_price_minor must be between 0 and 10000000 (minor units of USD: at most $100,000.00).",
        ),
        (
            {"base_price_minor": 99.99},
            422,
            "Invalid input. base_price_minor: Input should be a valid integer, got a number with a fractional part.",
        ),
        ({"base_price_minor": 0}, 400, "Fixed and hourly services need a price above zero."),
        ({"duration_minutes": 20}, 400, "duration_minutes must be a multiple of 15 between 30 and 720."),
        ({"title": ""}, 400, "Title is required."),
        ({"category_id": 424242}, 400, "Category 424242 does not exist."),
    ],
)
def test_bad_service_input_is_refused_with_a_clear_message(api, vendor, category, changes, status, detail):
    api.as_user(vendor.user)
    before = data_snapshot()

    response = api.post("catalog/services", _service_body(category, **changes))

    assert response.status_code == status
    assert response.json()["detail"] == detail
    assert changed_tables(before, data_snapshot()) == []


def test_a_quote_service_is_never_instantly_bookable(api, vendor, category):
    response = api.as_user(vendor.user).post(
        "catalog/services", _service_body(category, pricing_model="quote", base_price_minor=0, instant_booking=True)
    )

    assert response.status_code == 201, response.content
    assert response.json()["instant_booking"] is False
    assert response.json()["price_display"] == "On quote"


def test_a_vendor_cannot_edit_another_vendors_service(api, service, other_vendor):
    api.as_user(other_vendor.user)
    before = data_snapshot()

    response = api.patch(f"catalog/services/{service.pk}", {"base_price_minor": 1})

    assert response.status_code == 404
    assert changed_tables(before, data_snapshot()) == []


def test_search_shows_only_services_of_verified_vendors(api, service, make_vendor, category):
    ServiceFactory(vendor=make_vendor("suspended"), category=category, title="Suspended declutter")
    ServiceFactory(vendor=make_vendor("pending"), category=category, title="Pending declutter")

    response = api.get("catalog/search", {"q": "declutter"})

    assert response.status_code == 200
    assert [s["title"] for s in response.json()["results"]] == ["Whole-home declutter"]


def test_search_by_place_date_and_sort_with_facets(api, service, category):
    free_on = (timezone.now() + timedelta(days=3)).date().isoformat()

    response = api.get(
        "catalog/search",
        {"q": "declutter", "place": "11216", "free_on": free_on, "sort": "distance", "facets": "true"},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1 and body["count_exact"] is True
    assert body["place"] == "11216 (Brooklyn, NY)"
    (result,) = body["results"]
    assert result["title"] == "Whole-home declutter"
    assert 0 <= result["distance_km"] < 5
    assert result["next_available_at"] and result["free_from"].startswith(free_on)
    assert body["facets"]["categories"] == [{"value": str(category.pk), "label": category.name, "count": 1}]
    assert body["facets"]["pricing_models"] == [{"value": "fixed", "label": "Fixed price", "count": 1}]
    assert body["facets"]["price_bands"][0]["value"] == "25000-50000"
    # Boston is outside the organizer's 25 km around Brooklyn.
    assert api.get("catalog/search", {"q": "declutter", "place": "Boston, MA"}).json()["count"] == 0


def test_search_suggestions_complete_the_words_typed(api, service):
    response = api.get("catalog/search/suggestions", {"q": "whole-ho"})

    assert response.status_code == 200
    assert response.json() == {"suggestions": ["Whole-home declutter"]}
    assert api.get("catalog/search/suggestions", {"q": "zzz"}).json() == {"suggestions": []}


@pytest.mark.parametrize("query", ['"', "'", "*", "closet AND", "(", ")", "-", "NEAR(a b)", "a:b", "^", "OR", "%", "_"])
def test_search_survives_query_syntax_characters(api, service, query):
    response = api.get("catalog/search", {"q": query})

    assert response.status_code == 200, response.content


def test_slots_far_in_the_past_or_future_are_simply_empty(api, service):
    for start in ("0001-01-01", "9999-12-25"):
        response = api.get(f"catalog/services/{service.pk}/slots", {"from": start})

        assert response.status_code == 200, response.content
        assert response.json()["slots"] == []


def _local_times(slots: list[str]) -> list[str]:
    zone = ZoneInfo("America/New_York")
    return [datetime.fromisoformat(s).astimezone(zone).strftime("%H:%M") for s in slots]


def test_slots_leave_out_a_booked_time(api, customer, service):
    # given an organizer open 08:00-20:00 and a 3-hour service
    starts_at = local_slot(days_ahead=3)
    query = {"from": starts_at.date().isoformat(), "to": starts_at.date().isoformat()}
    free_before = api.get(f"catalog/services/{service.pk}/slots", query).json()["slots"]

    # when 10:00-13:00 is booked
    request_booking(customer=customer, service=service, starts_at=starts_at)
    free_after = api.get(f"catalog/services/{service.pk}/slots", query).json()["slots"]

    # then every start whose three hours would touch 10:00-13:00 is gone
    assert _local_times(free_before) == [f"{h:02d}:{m:02d}" for h in range(8, 18) for m in (0, 30)][:-1]
    assert _local_times(free_after) == ["13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30", "17:00"]


def test_slots_are_given_in_the_zone_asked_for_on_its_days(api, service):
    day = local_slot(days_ahead=3).date()
    response = api.get(
        f"catalog/services/{service.pk}/slots", {"from": day.isoformat(), "to": day.isoformat(), "tz": "Asia/Tokyo"}
    )

    body = response.json()
    assert response.status_code == 200, response.content
    assert (body["time_zone"], body["organizer_time_zone"]) == ("Asia/Tokyo", "America/New_York")
    assert (body["from"], body["to"]) == (day.isoformat(), day.isoformat())
    tokyo = [datetime.fromisoformat(s) for s in body["slots"]]
    assert tokyo and all(s.utcoffset() == timedelta(hours=9) and s.date() == day for s in tokyo)
    # Tokyo's day is the New York evening before and morning of: 08:00 New York is 21:00 or 22:00 in Tokyo
    assert {s.astimezone(ZoneInfo("America/New_York")).date() for s in tokyo} <= {day - timedelta(days=1), day}


def test_slots_default_to_a_week_from_today_in_the_organizer_s_zone(api, service):
    body = api.get(f"catalog/services/{service.pk}/slots").json()

    today = local_slot(days_ahead=0).date()
    assert (body["from"], body["to"]) == (today.isoformat(), (today + timedelta(days=6)).isoformat())
    assert body["time_zone"] == "America/New_York"


@pytest.mark.parametrize(
    ("query", "field", "detail"),
    [
        ({"tz": "Mars/Olympus_Mons"}, "tz", "'Mars/Olympus_Mons' is not a known time zone"),
        ({"tz": "../../etc/passwd"}, "tz", "is not a known time zone"),
        ({"from": "2027-03-10", "to": "2027-03-09"}, "to", "The last day (to) cannot be before the first (from)."),
        ({"from": "2027-03-01", "to": "2027-05-02"}, "to", "Ask for at most 62 days of slots at a time."),
        ({"duration_minutes": 240}, "duration_minutes", "This service has a set length of 180 minutes."),
    ],
)
def test_bad_slot_queries_are_refused_with_what_is_wrong(api, service, query, field, detail):
    response = api.get(f"catalog/services/{service.pk}/slots", query)

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert detail in response.json()["detail"]


def test_sixty_two_days_of_slots_may_be_asked_for_at_once(api, service):
    first = local_slot(days_ahead=1).date()
    last = first + timedelta(days=61)
    response = api.get(f"catalog/services/{service.pk}/slots", {"from": first.isoformat(), "to": last.isoformat()})

    assert response.status_code == 200
    days = {datetime.fromisoformat(s).date() for s in response.json()["slots"]}
    assert min(days) == first and max(days) == last
