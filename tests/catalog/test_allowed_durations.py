"""Per-service allowed lengths: an hourly service offers only the lengths its organizer chose, everywhere."""

import pytest

from marketplace.bookings.models import Booking
from marketplace.catalog.services import service_create, service_update
from marketplace.core.errors import ValidationFailed
from tests.conftest import local_slot

pytestmark = pytest.mark.django_db

ADDRESS = "12 Elm Street, Brooklyn, NY"


def _allow(service, *lengths):
    return service_update(user=service.vendor.user, service_id=service.pk, allowed_durations=list(lengths))


def test_an_hourly_service_offers_only_the_lengths_allowed_shortest_first(hourly_service):
    service = _allow(hourly_service, 240, 120, 180, 120)

    assert service.allowed_durations == [120, 180, 240]
    assert service.booking_lengths() == [120, 180, 240]
    assert service.booking_length(None) == 120
    assert service.booking_length(180) == 180
    with pytest.raises(ValidationFailed, match="can be booked for 120, 180 or 240 minutes") as refused:
        service.booking_length(150)
    assert refused.value.field == "duration_minutes"


def test_no_lengths_chosen_means_any_half_hour_from_the_minimum(hourly_service):
    assert hourly_service.allowed_durations == []
    assert hourly_service.booking_lengths() == list(range(120, 12 * 60 + 1, 30))


@pytest.mark.parametrize(
    ("lengths", "message"),
    [
        ([90], r"between the service's minimum \(120\) and 720; 90 is not"),
        ([150, 135], "multiple of 30 minutes"),
        ([780], "720; 780 is not"),
        ([True], "a list of whole minutes"),
    ],
)
def test_a_length_the_service_cannot_have_is_refused_and_changes_nothing(hourly_service, lengths, message):
    with pytest.raises(ValidationFailed, match=message):
        _allow(hourly_service, *lengths)

    hourly_service.refresh_from_db()
    assert hourly_service.allowed_durations == []


def test_only_hourly_services_offer_a_choice(vendor, category):
    with pytest.raises(ValidationFailed, match="Only hourly services offer a choice of lengths") as refused:
        service_create(
            user=vendor.user,
            category_id=category.pk,
            title="Closet reset",
            pricing_model="fixed",
            base_price_minor=20000,
            duration_minutes=120,
            allowed_durations=[120, 180],
        )
    assert refused.value.field == "allowed_durations"


def test_leaving_hourly_pricing_leaves_the_lengths_behind(hourly_service):
    _allow(hourly_service, 120, 240)

    service = service_update(user=hourly_service.vendor.user, service_id=hourly_service.pk, pricing_model="fixed")

    assert service.allowed_durations == []
    assert service.booking_lengths() == [120]


def test_raising_the_minimum_above_an_allowed_length_is_refused(hourly_service):
    _allow(hourly_service, 120, 240)

    with pytest.raises(ValidationFailed, match="120 is not"):
        service_update(user=hourly_service.vendor.user, service_id=hourly_service.pk, duration_minutes=180)

    hourly_service.refresh_from_db()
    assert (hourly_service.duration_minutes, hourly_service.allowed_durations) == (120, [120, 240])


def test_the_api_publishes_edits_and_shows_the_lengths(api, vendor, category):
    api.as_user(vendor.user)
    created = api.post(
        "catalog/services",
        {
            "category_id": category.pk,
            "title": "Garage day",
            "pricing_model": "hourly",
            "base_price_minor": 9000,
            "duration_minutes": 120,
            "allowed_durations": [240, 120],
        },
    )
    assert created.status_code == 201, created.content
    assert (created.json()["allowed_durations"], created.json()["booking_lengths"]) == ([120, 240], [120, 240])

    cleared = api.patch(f"catalog/services/{created.json()['id']}", {"allowed_durations": []})
    assert cleared.status_code == 200, cleared.content
    assert cleared.json()["allowed_durations"] == []
    assert cleared.json()["booking_lengths"][:3] == [120, 150, 180]


def test_the_api_refuses_a_length_with_a_message(api, hourly_service):
    response = api.as_user(hourly_service.vendor.user).patch(
        f"catalog/services/{hourly_service.pk}", {"allowed_durations": [100]}
    )

    assert response.status_code == 400, response.content
    assert "multiple of 30 minutes" in response.json()["detail"]
    hourly_service.refresh_from_db()
    assert hourly_service.allowed_durations == []


def test_slots_and_booking_refuse_a_length_not_allowed(api, customer, hourly_service):
    _allow(hourly_service, 120, 240)
    starts_at = local_slot(days_ahead=3)
    day = starts_at.date().isoformat()

    slots = api.get(f"catalog/services/{hourly_service.pk}/slots", {"from": day, "to": day, "duration_minutes": 180})
    booked = api.as_user(customer).post(
        "bookings",
        {
            "service_id": hourly_service.pk,
            "starts_at": starts_at.isoformat(),
            "address": ADDRESS,
            "duration_minutes": 180,
        },
    )

    assert slots.status_code == 400 and "120 or 240 minutes" in slots.json()["detail"]
    assert booked.status_code == 400 and "120 or 240 minutes" in booked.json()["detail"]
    assert not Booking.objects.exists()
