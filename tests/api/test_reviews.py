"""POST reviews: only the booking's customer, only once, only after completion, rating 1 to 5."""

import pytest

from marketplace.reviews.models import Review
from tests.conftest import local_slot
from tests.factories.bookings import completed_booking, paid_booking
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(customer, service):
    return completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))


def test_the_customer_reviews_a_completed_booking(api, customer, completed):
    response = api.as_user(customer).post(
        "reviews", {"booking_id": completed.pk, "rating": 4, "title": " Tidy! ", "body": "Great work."}
    )

    assert response.status_code == 201, response.content
    assert response.json()["rating"] == 4
    assert response.json()["title"] == "Tidy!"
    assert response.json()["author"] == "Casey"
    review = Review.objects.get()
    assert (review.vendor_id, review.service_id) == (completed.vendor_id, completed.service_id)
    listed = api.anonymous().get("reviews", {"vendor_id": completed.vendor_id}).json()["results"]
    assert [r["id"] for r in listed] == [review.pk]


def test_a_second_review_of_one_booking_is_refused(api, customer, completed):
    api.as_user(customer).post("reviews", {"booking_id": completed.pk, "rating": 5})
    before = data_snapshot()

    response = api.post("reviews", {"booking_id": completed.pk, "rating": 1})

    assert response.status_code == 409
    assert response.json() == {"detail": "You have already reviewed this booking.", "code": "already_reviewed"}
    assert changed_tables(before, data_snapshot()) == []


def test_a_booking_that_is_not_completed_cannot_be_reviewed(api, customer, service):
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    api.as_user(customer)
    before = data_snapshot()

    response = api.post("reviews", {"booking_id": booking.pk, "rating": 5})

    assert response.status_code == 409
    assert response.json() == {
        "detail": "You can review a booking once it is completed.",
        "code": "booking_not_completed",
    }
    assert changed_tables(before, data_snapshot()) == []


@pytest.mark.parametrize("who", ["other customer", "vendor", "admin"])
def test_only_the_bookings_customer_reviews_it(api, completed, other_customer, admin_user, who):
    user = {"other customer": other_customer, "vendor": completed.vendor.user, "admin": admin_user}[who]
    api.as_user(user)
    before = data_snapshot()

    response = api.post("reviews", {"booking_id": completed.pk, "rating": 1})

    assert response.status_code == 404
    assert response.json() == {"detail": "Booking not found.", "code": "not_found"}
    assert changed_tables(before, data_snapshot()) == []


@pytest.mark.parametrize(
    ("rating", "message"),
    [
        (0, "rating: Input should be greater than or equal to 1"),
        (6, "rating: Input should be less than or equal to 5"),
        ("five", "rating: Input should be a valid integer"),
        ("5", "rating: Input should be a valid integer"),
        (True, "rating: Input should be a valid integer"),
        (4.5, "rating: Input should be a valid integer"),
        (None, "rating: Input should be a valid integer"),
    ],
)
def test_ratings_outside_1_to_5_are_refused(api, customer, completed, rating, message):
    api.as_user(customer)
    before = data_snapshot()

    response = api.post("reviews", {"booking_id": completed.pk, "rating": rating})

    assert response.status_code == 422
    assert response.json()["detail"] == f"Invalid input. {message}."
    assert response.json()["code"] == "invalid_input"
    assert changed_tables(before, data_snapshot()) == []


def test_a_review_without_a_rating_names_the_missing_field(api, customer, completed):
    response = api.as_user(customer).post("reviews", {"booking_id": completed.pk})

    assert response.status_code == 422
    assert response.json()["detail"] == "Invalid input. rating: is required."
    assert not Review.objects.exists()
