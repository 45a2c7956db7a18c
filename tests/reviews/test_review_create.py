"""review_create: rating 1 to 5 as a whole number, once per completed booking, by its customer."""

import pytest

from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.reviews.models import Review
from marketplace.reviews.selectors import vendor_rating_summary
from marketplace.reviews.services import review_create
from tests.conftest import local_slot
from tests.factories.bookings import completed_booking
from tests.races import run_at_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(customer, service):
    return completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))


@pytest.mark.parametrize("rating", [0, 6, -1, True, False, 4.0, "5", None])
def test_the_service_refuses_ratings_that_are_not_whole_numbers_from_1_to_5(customer, completed, rating):
    with pytest.raises(ValidationFailed) as error:
        review_create(customer=customer, booking_id=completed.pk, rating=rating)

    assert (error.value.field, error.value.message) == ("rating", "rating must be a whole number from 1 to 5.")
    assert not Review.objects.exists()


def test_another_customers_booking_is_not_found(other_customer, completed):
    with pytest.raises(NotFound):
        review_create(customer=other_customer, booking_id=completed.pk, rating=5)


def test_reviews_feed_the_vendors_rating(customer, completed, service):
    review_create(customer=customer, booking_id=completed.pk, rating=4, title="Good")
    second = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-5))
    review_create(customer=customer, booking_id=second.pk, rating=5)

    assert vendor_rating_summary(vendor=service.vendor) == {"average": 4.5, "count": 2}


def test_a_long_review_is_refused(customer, completed):
    with pytest.raises(ValidationFailed, match="at most 5000"):
        review_create(customer=customer, booking_id=completed.pk, rating=5, body="x" * 5001)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reviews_sent_at_once_make_one(customer, service):
    booking = completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))

    def review(index):
        try:
            return review_create(customer=customer, booking_id=booking.pk, rating=5).pk
        except Conflict as error:
            return error.code

    results = run_at_once(3, review)

    assert sorted(map(str, results)) == sorted([str(Review.objects.get().pk), "already_reviewed", "already_reviewed"])
