"""Moving a confirmed booking: the customer within the policy's window, the organizer by proposal, staff with a reason.

A move keeps the length, the price and the payment; it is atomic (the no-overlap rule holds
at every moment), in the booking's history, emailed to both sides with the calendar event
updated (same UID, higher SEQUENCE).
"""

import json
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from icalendar import Calendar

from marketplace.accounts.tokens import api_session_start
from marketplace.availability.services import booking_rules_update
from marketplace.bookings.models import ACTIVE_STATUSES, Booking
from marketplace.bookings.policy import can_reschedule
from marketplace.core.audit import audit_log_for
from tests.conftest import local_slot
from tests.factories.bookings import paid_booking, request_booking
from tests.payments.invariants import assert_money_invariants
from tests.races import run_at_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(customer, service):
    """Confirmed and paid: the 3-hour $300 service, 10:00-13:00 five days ahead (moderate: movable until 24 h ahead)."""
    return paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=5))


def _post(token: str, path: str, body: dict):
    return Client().post(
        f"/api/v1/{path}", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def _state(booking):
    booking.refresh_from_db()
    return booking.starts_at, booking.ends_at, booking.price_minor, booking.calendar_sequence


def _ics(message) -> Calendar:
    [(_filename, content, mimetype)] = message.attachments
    assert mimetype == "text/calendar"
    return Calendar.from_ical(content)


def test_the_customer_moves_the_booking_and_both_sides_hear_of_it(api, customer, booking):
    new_start = local_slot(days_ahead=6, at=local_slot().time().replace(hour=14))
    before = assert_money_invariants()
    sequence = booking.calendar_sequence
    booking_rules_update(vendor=booking.vendor, buffer_after_minutes=30)  # a move takes the rules as they stand
    mail.outbox.clear()

    response = api.as_user(customer).post(f"bookings/{booking.pk}/reschedule", {"starts_at": new_start.isoformat()})

    assert response.status_code == 200, response.content
    starts_at, ends_at, price, new_sequence = _state(booking)
    assert (starts_at, ends_at - starts_at, price) == (new_start, timedelta(hours=3), 30000)
    assert new_sequence == sequence + 1
    assert (booking.busy_from, booking.busy_until) == (new_start, ends_at + timedelta(minutes=30))
    assert assert_money_invariants() == before
    [entry] = audit_log_for(booking).filter(action="booking.rescheduled")
    assert entry.data["by"] == "customer" and entry.data["to"] == new_start.isoformat()
    moved = sorted(mail.outbox, key=lambda m: m.to)
    assert [m.to for m in moved] == [[customer.email], [booking.vendor.user.email]]
    assert all(m.subject.startswith("Moved: Whole-home declutter is now on") for m in moved)
    event = _ics(moved[0]).walk("VEVENT")[0]
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (f"{booking.reference}@tidynest", sequence + 1)
    assert event.decoded("DTSTART") == new_start


def test_the_old_time_is_free_again_and_the_new_one_taken(api, customer, other_customer, service, booking):
    old_start = booking.starts_at
    new_start = old_start + timedelta(days=1)
    api.as_user(customer).post(f"bookings/{booking.pk}/reschedule", {"starts_at": new_start.isoformat()})

    again = request_booking(customer=other_customer, service=service, starts_at=old_start)
    taken = api.as_user(other_customer).post(
        "bookings", {"service_id": service.pk, "starts_at": new_start.isoformat(), "address": "1 Main St"}
    )

    assert again.starts_at == old_start
    assert taken.status_code == 409 and taken.json()["code"] == "slot_unavailable"


def test_a_move_by_less_than_its_length_is_allowed(api, customer, booking):
    response = api.as_user(customer).post(
        f"bookings/{booking.pk}/reschedule", {"starts_at": (booking.starts_at + timedelta(hours=1)).isoformat()}
    )

    assert response.status_code == 200, response.content


def test_a_move_to_a_taken_slot_is_refused_and_changes_nothing(api, customer, other_customer, service, booking):
    taken = request_booking(customer=other_customer, service=service, starts_at=booking.starts_at + timedelta(days=1))
    before = _state(booking)

    response = api.as_user(customer).post(
        f"bookings/{booking.pk}/reschedule", {"starts_at": taken.starts_at.isoformat()}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
    assert "already booked" in response.json()["detail"]
    assert _state(booking) == before
    assert not audit_log_for(booking).filter(action="booking.rescheduled").exists()


@pytest.mark.parametrize(
    ("starts_at", "status", "message"),
    [
        ("2027-06-14T10:00:00", 422, "must be written like"),
        ("tomorrow", 422, ""),
        ("SAME", 400, "already at that time"),
        ("PAST", 400, "in the past"),
        ("NIGHT", 409, "not available at that time"),
        ("OFF_STEP", 400, "start every 30 minutes"),
    ],
)
def test_bad_times_are_refused_with_a_reason(api, customer, booking, starts_at, status, message):
    times = {
        "SAME": booking.starts_at,
        "PAST": booking.starts_at - timedelta(days=30),
        "NIGHT": booking.starts_at.replace(hour=7) + timedelta(days=1),  # 02:00 or 03:00 in New York
        "OFF_STEP": booking.starts_at + timedelta(days=1, minutes=15),
    }
    value = times[starts_at].isoformat() if starts_at in times else starts_at
    before = _state(booking)

    response = api.as_user(customer).post(f"bookings/{booking.pk}/reschedule", {"starts_at": value})

    assert response.status_code == status, response.content
    assert message in str(response.json())
    assert _state(booking) == before


def test_the_customer_cannot_move_it_once_the_window_has_closed(api, customer, booking):
    with time_machine.travel(booking.starts_at - timedelta(hours=23)):
        assert not can_reschedule(booking, user=customer)
        response = api.as_user(customer).post(
            f"bookings/{booking.pk}/reschedule", {"starts_at": (booking.starts_at + timedelta(days=1)).isoformat()}
        )

    assert response.status_code == 409
    assert response.json()["code"] == "reschedule_closed"
    assert "up to 24 hours before it starts" in response.json()["detail"]


def test_only_a_confirmed_booking_moves(api, customer, service):
    requested = request_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=4))

    response = api.as_user(customer).post(
        f"bookings/{requested.pk}/reschedule", {"starts_at": (requested.starts_at + timedelta(days=1)).isoformat()}
    )

    assert response.status_code == 409 and response.json()["code"] == "reschedule_closed"


def test_others_cannot_move_it(api, other_customer, booking):
    to = (booking.starts_at + timedelta(days=1)).isoformat()

    stranger = api.as_user(other_customer).post(f"bookings/{booking.pk}/reschedule", {"starts_at": to})
    organizer = api.as_user(booking.vendor.user).post(f"bookings/{booking.pk}/reschedule", {"starts_at": to})

    assert (stranger.status_code, organizer.status_code) == (404, 404)


def test_staff_move_it_late_but_must_say_why(api, admin_user, booking):
    to = (booking.starts_at + timedelta(days=1)).isoformat()
    with time_machine.travel(booking.starts_at - timedelta(hours=2)):
        silent = api.as_user(admin_user).post(f"bookings/{booking.pk}/reschedule", {"starts_at": to})
        moved = api.as_user(admin_user).post(
            f"bookings/{booking.pk}/reschedule", {"starts_at": to, "reason": "Organizer's van broke down"}
        )

    assert silent.status_code == 400 and "Say why" in silent.json()["detail"]
    assert moved.status_code == 200, moved.content
    [entry] = audit_log_for(booking).filter(action="booking.rescheduled")
    assert (entry.data["by"], entry.reason) == ("staff", "Organizer's van broke down")


def test_the_organizer_proposes_and_the_customer_accepts(api, customer, booking):
    to = booking.starts_at + timedelta(days=2)
    mail.outbox.clear()

    proposed = api.as_user(booking.vendor.user).post(
        f"bookings/{booking.pk}/reschedule-proposal",
        {"starts_at": to.isoformat(), "note": "<b>Earlier</b> job ran late"},
    )

    assert proposed.status_code == 200, proposed.content
    assert _state(booking)[0] == to - timedelta(days=2)  # nothing moves until the customer says yes
    assert proposed.json()["proposed_starts_at"] is not None
    [proposal_mail] = mail.outbox
    assert proposal_mail.to == [customer.email]
    assert "<b>Earlier</b> job ran late" in proposal_mail.body
    customer_view = api.as_user(customer).get(f"bookings/{booking.pk}").json()
    assert "answer_proposal" in customer_view["actions"]

    accepted = api.as_user(customer).post(f"bookings/{booking.pk}/reschedule-proposal/answer", {"accept": True})

    assert accepted.status_code == 200, accepted.content
    starts_at, *_ = _state(booking)
    assert starts_at == to and booking.proposed_starts_at is None
    [entry] = audit_log_for(booking).filter(action="booking.rescheduled")
    assert entry.data["by"] == "organizer"
    assert sorted(m.to[0] for m in mail.outbox if m.subject.startswith("Moved")) == sorted(
        [customer.email, booking.vendor.user.email]
    )


def test_the_customer_declines_and_the_booking_stays(api, customer, booking):
    before = _state(booking)
    api.as_user(booking.vendor.user).post(
        f"bookings/{booking.pk}/reschedule-proposal", {"starts_at": (booking.starts_at + timedelta(days=2)).isoformat()}
    )
    mail.outbox.clear()

    declined = api.as_user(customer).post(f"bookings/{booking.pk}/reschedule-proposal/answer", {"accept": False})
    again = api.as_user(customer).post(f"bookings/{booking.pk}/reschedule-proposal/answer", {"accept": True})

    assert declined.status_code == 200 and declined.json()["proposed_starts_at"] is None
    assert _state(booking)[:3] == before[:3]
    assert [m.to for m in mail.outbox] == [[booking.vendor.user.email]]
    assert mail.outbox[0].subject.startswith("New time declined")
    assert again.status_code == 409 and again.json()["code"] == "no_proposal"


def test_a_proposal_taken_meanwhile_is_refused_on_accepting(api, customer, other_customer, service, booking):
    to = booking.starts_at + timedelta(days=2)
    api.as_user(booking.vendor.user).post(f"bookings/{booking.pk}/reschedule-proposal", {"starts_at": to.isoformat()})
    request_booking(customer=other_customer, service=service, starts_at=to)
    before = _state(booking)

    response = api.as_user(customer).post(f"bookings/{booking.pk}/reschedule-proposal/answer", {"accept": True})

    assert response.status_code == 409 and response.json()["code"] == "slot_unavailable"
    assert _state(booking) == before


def test_a_proposal_must_be_free_and_come_from_the_organizer(api, customer, other_customer, service, booking):
    taken = request_booking(customer=other_customer, service=service, starts_at=booking.starts_at + timedelta(days=1))

    busy = api.as_user(booking.vendor.user).post(
        f"bookings/{booking.pk}/reschedule-proposal", {"starts_at": taken.starts_at.isoformat()}
    )
    by_customer = api.as_user(customer).post(
        f"bookings/{booking.pk}/reschedule-proposal", {"starts_at": (booking.starts_at + timedelta(days=2)).isoformat()}
    )

    assert busy.status_code == 409 and busy.json()["code"] == "slot_unavailable"
    assert by_customer.status_code == 404
    assert Booking.objects.get(pk=booking.pk).proposed_starts_at is None


def test_moving_twice_sends_two_sets_of_emails(api, customer, booking):
    mail.outbox.clear()
    for days in (1, 2):
        response = api.as_user(customer).post(
            f"bookings/{booking.pk}/reschedule",
            {"starts_at": (local_slot(days_ahead=5) + timedelta(days=days)).isoformat()},
        )
        assert response.status_code == 200, response.content

    assert len([m for m in mail.outbox if m.subject.startswith("Moved")]) == 4


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_move_racing_a_new_booking_for_the_same_slot_gives_it_to_one(customer, other_customer, service):
    # given a confirmed booking, and a free slot both its customer and another customer want
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=5))
    wanted = (booking.starts_at + timedelta(days=1)).isoformat()
    mover, booker = (api_session_start(user=user).access for user in (customer, other_customer))

    # when the move and the new booking are sent at the same moment
    def race(i):
        if i == 0:
            return _post(mover, f"bookings/{booking.pk}/reschedule", {"starts_at": wanted})
        return _post(booker, "bookings", {"service_id": service.pk, "starts_at": wanted, "address": "1 Main St"})

    moved, booked = run_at_once(2, race)

    # then exactly one of them has the slot, the other a clear 409, and no two bookings overlap
    assert sorted([moved.status_code, booked.status_code]) in ([200, 409], [201, 409]), (moved, booked)
    loser = moved if moved.status_code == 409 else booked
    assert loser.json()["code"] == "slot_unavailable"
    holders = Booking.objects.filter(starts_at=datetime.fromisoformat(wanted), status__in=ACTIVE_STATUSES)
    assert holders.count() == 1
