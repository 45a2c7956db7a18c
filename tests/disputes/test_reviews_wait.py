"""A disputed booking's review waits until the dispute is decided."""

import pytest

from marketplace.disputes.services import dispute_open, dispute_resolve
from marketplace.reviews.errors import DisputeOpen
from marketplace.reviews.policy import can_review
from marketplace.reviews.services import review_create
from tests.conftest import local_slot
from tests.factories.bookings import past_paid_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def disputed(customer, service):
    booking = past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-1))
    return dispute_open(user=customer, booking_id=booking.pk, reason="poor_quality", description="Messy.")


def test_no_review_while_the_dispute_is_open(disputed):
    with pytest.raises(DisputeOpen, match="Reviews wait until the dispute about this booking is resolved"):
        review_create(customer=disputed.booking.customer, booking_id=disputed.booking_id, rating=1)


@pytest.mark.parametrize("outcome", ["release", "refund"])
def test_the_review_opens_once_the_dispute_is_decided(disputed, admin_user, outcome):
    dispute_resolve(staff=admin_user, dispute_id=disputed.pk, outcome=outcome, reason="Decided on the photos.")
    disputed.booking.refresh_from_db()

    assert can_review(disputed.booking, user=disputed.booking.customer)
    review = review_create(customer=disputed.booking.customer, booking_id=disputed.booking_id, rating=2, body="Meh")
    assert review.rating == 2
