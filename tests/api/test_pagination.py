"""Every list answers one envelope, paged by page and page_size (api.pagination)."""

from datetime import time

import pytest

from marketplace.reviews.services import review_create
from tests.conftest import local_slot
from tests.factories import CustomerFactory
from tests.factories.bookings import completed_booking, paid_booking, request_booking

pytestmark = pytest.mark.django_db


def test_bookings_come_in_pages_with_links_that_keep_the_filters(api, customer, service):
    starts = [local_slot(days_ahead=day, at=time(10)) for day in (3, 4, 5)]
    made = [paid_booking(customer=customer, service=service, starts_at=start) for start in starts]
    request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=6))  # not confirmed
    api.as_user(customer)

    first = api.get("bookings", {"status": "confirmed", "page_size": 2})

    assert first.status_code == 200
    body = first.json()
    assert (body["count"], body["page"], body["page_size"], body["previous"]) == (3, 1, 2, None)
    assert [b["id"] for b in body["results"]] == [made[2].pk, made[1].pk]  # latest start first
    assert body["next"] == "http://testserver/api/v1/bookings?status=confirmed&page_size=2&page=2"

    second = api.get(body["next"].removeprefix("http://testserver/api/v1/")).json()
    assert [b["id"] for b in second["results"]] == [made[0].pk]
    assert second["next"] is None
    assert second["previous"] == "http://testserver/api/v1/bookings?status=confirmed&page_size=2&page=1"


def test_a_page_past_the_last_is_empty_and_points_back_to_the_last(api, customer, service):
    paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    body = api.as_user(customer).get("bookings", {"page": 9, "page_size": 5}).json()

    assert body["count"] == 1 and body["results"] == [] and body["next"] is None
    assert "page=1&" in body["previous"]


def test_an_empty_list_is_one_empty_page(api, customer):
    body = api.as_user(customer).get("bookings").json()

    assert body == {
        "count": 0,
        "count_exact": True,
        "page": 1,
        "page_size": 20,
        "next": None,
        "previous": None,
        "results": [],
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 0}, "page"),
        ({"page": 1001}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "page_size"),
    ],
)
def test_a_page_or_size_out_of_range_is_refused_by_name(api, customer, params, field):
    response = api.as_user(customer).get("bookings", params)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_reviews_come_in_pages_too(api, customer, service):
    for day in (3, 4, 5):
        booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=day))
        review_create(customer=customer, booking_id=booking.pk, rating=5, title=f"Day {day}")

    body = api.anonymous().get("reviews", {"vendor_id": service.vendor_id, "page": 2, "page_size": 2}).json()

    assert body["count"] == 3
    assert [review["title"] for review in body["results"]] == ["Day 3"]  # newest first: day 5, day 4 | day 3
    assert body["next"] is None and "page=1&" in body["previous"]


@pytest.mark.parametrize(
    ("who", "path", "params"),
    [
        ("customer", "bookings", {}),
        ("customer", "disputes", {}),
        ("organizer", "payouts", {}),
        ("organizer", "vendors/me/documents", {}),
        ("organizer", "vendors/me/calendars", {}),
        ("organizer", "catalog/services/mine", {}),
        ("anonymous", "catalog/categories", {}),
        ("anonymous", "catalog/search", {}),
        ("anonymous", "reviews", {"vendor_id": None}),
    ],
)
def test_every_list_answers_the_same_envelope(api, customer, service, who, path, params):
    user = {"customer": customer, "organizer": service.vendor.user, "anonymous": None}[who]
    client = api.as_user(user) if user else api.anonymous()
    params = {key: (service.vendor_id if value is None else value) for key, value in params.items()}

    response = client.get(path, {**params, "page_size": 1})

    assert response.status_code == 200, response.content
    body = response.json()
    envelope = {"count", "count_exact", "page", "page_size", "next", "previous", "results"}
    assert set(body) - {"place", "corrections", "facets"} == envelope
    assert body["page_size"] == 1 and len(body["results"]) <= 1


def test_search_pages_count_every_hit(api, service, category):
    from tests.factories import ServiceFactory

    for n in range(3):
        ServiceFactory(vendor=service.vendor, category=category, title=f"Closet {n}")
    CustomerFactory()

    body = api.anonymous().get("catalog/search", {"page_size": 2}).json()

    assert body["count"] == 4 and len(body["results"]) == 2
    assert "page=2" in body["next"]
