"""Bookings through the API: who may see and act on which booking, and clear refusals."""

from datetime import time, timedelta

import pytest

from marketplace.bookings.models import Booking
from tests.conftest import local_slot
from tests.factories import ServiceFactory
from tests.factories.bookings import paid_booking, request_booking
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db


def _booking_body(service, starts_at, **changes) -> dict:
    return {"service_id": service.pk, "starts_at": starts_at.isoformat(), "address": "12 Elm St", **changes}


def test_customer_books_a_slot(api, customer, service):
    starts_at = local_slot(days_ahead=3)

    response = api.as_user(customer).post("bookings", _booking_body(service, starts_at, note="Two closets"))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "requested"
    assert body["price_minor"] == 30000
    assert body["duration_minutes"] == 180
    assert body["customer_note"] == "Two closets"
    booking = Booking.objects.get()
    assert booking.starts_at == starts_at
    assert booking.ends_at == starts_at + timedelta(hours=3)


def test_unauthenticated_booking_is_a_401_and_writes_nothing(api, service):
    before = data_snapshot()

    response = api.post("bookings", _booking_body(service, local_slot()))

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert changed_tables(before, data_snapshot()) == []


@pytest.mark.parametrize("who", ["vendor", "admin"])
def test_only_customers_book(api, service, admin_user, who):
    user = service.vendor.user if who == "vendor" else admin_user
    api.as_user(user)
    before = data_snapshot()

    response = api.post("bookings", _booking_body(service, local_slot()))

    assert response.status_code == 403
    assert response.json() == {"detail": "Only customer accounts can book services.", "code": "customers_only"}
    assert changed_tables(before, data_snapshot()) == []


def test_listing_shows_each_user_only_their_bookings(api, customer, other_customer, service, other_vendor, admin_user):
    # given two customers with one booking each, with two different organizers
    mine = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    other_service = ServiceFactory(vendor=other_vendor, category=service.category)
    theirs = request_booking(customer=other_customer, service=other_service, starts_at=local_slot(days_ahead=3))

    def ids(user):
        response = api.as_user(user).get("bookings")
        assert response.status_code == 200
        return [b["id"] for b in response.json()["results"]]

    assert ids(customer) == [mine.pk]
    assert ids(other_customer) == [theirs.pk]
    assert ids(service.vendor.user) == [mine.pk]
    assert ids(other_vendor.user) == [theirs.pk]
    assert sorted(ids(admin_user)) == sorted([mine.pk, theirs.pk])


def test_listing_filters_by_status(api, customer, service):
    request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    paid = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=4))

    response = api.as_user(customer).get("bookings", {"status": "confirmed"})

    assert [b["id"] for b in response.json()["results"]] == [paid.pk]


@pytest.mark.parametrize("who", ["other customer", "other vendor"])
def test_another_users_booking_does_not_exist_for_them(api, customer, other_customer, other_vendor, service, who):
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    api.as_user(other_customer if who == "other customer" else other_vendor.user)

    response = api.get(f"bookings/{booking.pk}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Booking not found.", "code": "not_found"}


WRONG_USER_ACTIONS = [
    ("other vendor", "accept"),
    ("other vendor", "decline"),
    ("other vendor", "quote"),
    ("other vendor", "cancel"),
    ("customer", "accept"),
    ("customer", "decline"),
    ("customer", "quote"),
    ("other customer", "cancel"),
    ("other customer", "confirm_completion"),
    ("vendor", "confirm_completion"),
    ("other customer", "pay"),
    ("vendor", "pay"),
    ("other customer", "review"),
    ("vendor", "review"),
]


def _action(booking, action: str) -> tuple[str, dict]:
    return {
        "accept": (f"bookings/{booking.pk}/accept", {}),
        "decline": (f"bookings/{booking.pk}/decline", {"reason": "Busy"}),
        "quote": (f"bookings/{booking.pk}/quote", {"price_minor": 50000}),
        "cancel": (f"bookings/{booking.pk}/cancel", {}),
        "confirm_completion": (f"bookings/{booking.pk}/confirm_completion", {}),
        "pay": ("payments/capture", {"booking_id": booking.pk, "payment_method": "pm_card_visa"}),
        "review": ("reviews", {"booking_id": booking.pk, "rating": 1}),
    }[action]


@pytest.mark.parametrize(("who", "action"), WRONG_USER_ACTIONS)
def test_nobody_acts_on_a_booking_that_is_not_theirs(
    api, customer, other_customer, other_vendor, quote_service, who, action
):
    # given a customer's open quote request with an organizer
    booking = request_booking(customer=customer, service=quote_service, starts_at=local_slot(days_ahead=3))
    users = {
        "customer": customer,
        "other customer": other_customer,
        "vendor": quote_service.vendor.user,
        "other vendor": other_vendor.user,
    }
    path, body = _action(booking, action)
    api.as_user(users[who])
    before = data_snapshot()

    # when someone without the right acts on it
    response = api.post(path, body)

    # then it is not found for them, and nothing changed
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"
    assert changed_tables(before, data_snapshot()) == []


def test_a_booking_overlapping_another_including_the_buffer_is_refused(api, customer, other_customer, service):
    # given the organizer keeps 30 minutes free after each booking (starts every quarter hour), booked 10:00-13:00
    service.vendor.buffer_after_minutes = 30
    service.vendor.slot_step_minutes = 15
    service.vendor.save()
    request_booking(customer=other_customer, service=service, starts_at=local_slot(days_ahead=3))
    api.as_user(customer)
    before = data_snapshot()

    # when a customer asks for 13:15 (inside the buffer), then 13:30 (just after it)
    inside = api.post("bookings", _booking_body(service, local_slot(days_ahead=3, at=time(13, 15))))
    after_state = data_snapshot()
    outside = api.post("bookings", _booking_body(service, local_slot(days_ahead=3, at=time(13, 30))))

    # then the first is refused and writes nothing; the second is booked
    assert inside.status_code == 409
    assert inside.json() == {
        "detail": "That time is already booked. Please choose another slot.",
        "code": "slot_unavailable",
    }
    assert changed_tables(before, after_state) == []
    assert outside.status_code == 201, outside.content


def test_a_booking_before_another_must_leave_the_buffer_free(api, customer, other_customer, service):
    service.vendor.buffer_after_minutes = 30
    service.vendor.slot_step_minutes = 15
    service.vendor.save()
    request_booking(customer=other_customer, service=service, starts_at=local_slot(days_ahead=3, at=time(14, 0)))

    # 10:45-13:45 plus 30 minutes' buffer reaches into the 14:00 booking; 10:30 does not
    too_late = api.as_user(customer).post("bookings", _booking_body(service, local_slot(days_ahead=3, at=time(10, 45))))
    just_fits = api.post("bookings", _booking_body(service, local_slot(days_ahead=3, at=time(10, 30))))

    assert too_late.status_code == 409
    assert just_fits.status_code == 201, just_fits.content


def test_a_customer_can_book_another_organizer_at_the_same_time(api, customer, service, other_vendor):
    other_service = ServiceFactory(vendor=other_vendor, category=service.category)
    request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    response = api.as_user(customer).post("bookings", _booking_body(other_service, local_slot(days_ahead=3)))

    assert response.status_code == 201


def test_the_services_of_a_suspended_organizer_cannot_be_booked(api, customer, make_vendor, category):
    suspended = make_vendor("suspended")
    service = ServiceFactory(vendor=suspended, category=category)
    before = data_snapshot()

    response = api.as_user(customer).post("bookings", _booking_body(service, local_slot()))

    assert response.status_code == 404
    assert response.json()["code"] == "service_not_found"
    assert changed_tables(before, data_snapshot()) == []


def test_a_booking_says_what_it_waits_for_and_what_you_may_do(api, customer, service):
    service.instant_booking = False
    service.save()
    booking = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))

    as_customer = api.as_user(customer).get(f"bookings/{booking.pk}").json()
    assert (as_customer["waiting_for"], as_customer["actions"], as_customer["payment"]) == (
        "payment",
        ["pay", "cancel"],
        None,
    )

    api.post("payments/capture", {"booking_id": booking.pk, "payment_method": "pm_card_visa"})
    as_vendor = api.as_user(service.vendor.user).get(f"bookings/{booking.pk}").json()
    assert (as_vendor["waiting_for"], as_vendor["actions"], as_vendor["payment"]["escrow_state"]) == (
        "answer",
        ["accept", "decline", "cancel"],
        "authorized",  # on the customer's card until the organizer accepts
    )
