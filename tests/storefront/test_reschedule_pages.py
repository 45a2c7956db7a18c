"""Moving a booking from the booking pages: the customer within the policy's window, the organizer by proposal.

The pages ask the booking policy whether each form is shown and offer only the free times
of the service (the booking's own time left free); the move itself is the domain's, so a
refusal is shown on the page and nothing changes.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from marketplace.bookings import services as bookings
from marketplace.bookings.models import Booking
from marketplace.core.audit import audit_log_for
from tests.conftest import local_slot
from tests.snapshots import changed_tables, data_snapshot

from .conftest import messages_of, paid, requested, slot_value

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(customer, service):
    """Confirmed and paid: 10:00-13:00 New York time five days ahead; movable until 24 hours before."""
    return paid(customer=customer, service=service, starts_at=local_slot(days_ahead=5))


def detail_url(booking) -> str:
    return reverse("storefront:booking_detail", args=[booking.pk])


def move_url(booking) -> str:
    return reverse("storefront:booking_reschedule", args=[booking.pk])


def answer_url(booking) -> str:
    return reverse("storefront:booking_proposal_answer", args=[booking.pk])


def vendor_url(booking) -> str:
    return reverse("storefront:vendor_booking", args=[booking.pk])


def propose_url(booking) -> str:
    return reverse("storefront:vendor_booking_propose", args=[booking.pk])


def day_of(moment) -> str:
    """The New York day of ``moment``, as the move form's day picker sends it."""
    return moment.astimezone(ZoneInfo("America/New_York")).date().isoformat()


def _state(booking):
    booking.refresh_from_db()
    return booking.starts_at, booking.ends_at, booking.proposed_starts_at, booking.calendar_sequence


# --- The customer moves it ------------------------------------------------------------------


def test_the_customer_sees_the_free_times_of_a_day_and_until_when_they_can_move(browser_as, customer, booking):
    next_day = booking.starts_at + timedelta(days=1)

    page = browser_as(customer).get(detail_url(booking), {"move_day": day_of(next_day)}).content.decode()

    assert "Move this booking" in page
    deadline = booking.starts_at - timedelta(hours=24)
    assert f"You can move it until {deadline:%A, %B} {deadline.day}, {deadline.year} at 10:00 AM" in page
    assert f'value="{slot_value(next_day)}"' in page
    assert f'value="{slot_value(next_day + timedelta(hours=7))}"' in page  # 17:00-20:00 still fits
    assert f'value="{slot_value(next_day + timedelta(hours=8))}"' not in page  # would end after 20:00
    assert f'value="{slot_value(booking.starts_at)}"' not in page  # not the booking's own day


def test_times_overlapping_the_booking_itself_are_offered_but_not_its_own_start(browser_as, customer, booking):
    page = browser_as(customer).get(detail_url(booking), {"move_day": day_of(booking.starts_at)}).content.decode()

    assert f'value="{slot_value(booking.starts_at + timedelta(hours=1))}"' in page
    assert f'value="{slot_value(booking.starts_at - timedelta(hours=1))}"' in page
    assert f'value="{slot_value(booking.starts_at)}"' not in page


def test_times_are_shown_in_the_customers_own_zone(browser_as, customer, booking):
    customer.time_zone = "Europe/London"
    customer.save(update_fields=["time_zone"])
    next_day = booking.starts_at + timedelta(days=1)  # 10:00 in New York, 15:00 in London

    page = browser_as(customer).get(detail_url(booking), {"move_day": day_of(next_day)}).content.decode()

    assert "Times are in your time zone (Europe/London). The organizer works in America/New_York." in page
    assert f'value="{slot_value(next_day)}"' in page
    assert f'data-label="{next_day:%A, %B} {next_day.day} at 3:00 PM"' in page


def test_an_hourly_booking_is_offered_times_that_fit_its_own_length(browser_as, customer, hourly_service):
    # given a 5-hour booking of a service whose shortest booking is 2 hours (the organizer closes at 20:00)
    booking = requested(
        customer=customer, service=hourly_service, starts_at=local_slot(days_ahead=5), duration_minutes=300
    )
    booking = bookings.booking_pay(customer=customer, booking_id=booking.pk, payment_method="pm_card_visa").booking
    next_day = booking.starts_at + timedelta(days=1)

    page = browser_as(customer).get(detail_url(booking), {"move_day": day_of(next_day)}).content.decode()

    assert f'value="{slot_value(next_day + timedelta(hours=5))}"' in page  # 15:00-20:00
    assert f'value="{slot_value(next_day + timedelta(hours=6))}"' not in page  # would end at 21:00


@pytest.mark.parametrize("day", ["", "not-a-day", "1999-01-01", "2999-01-01"])
def test_a_day_out_of_the_window_shows_the_first_day_with_times(browser_as, customer, booking, day):
    response = browser_as(customer).get(detail_url(booking), {"move_day": day})

    assert response.status_code == 200
    move = response.context["move"]
    assert move["day"]["count"] > 0 and move["day"] == next(item for item in move["days"] if item["count"])


def test_the_customer_moves_the_booking_from_the_page(browser_as, customer, booking):
    new_start = booking.starts_at + timedelta(days=1, hours=4)
    browser = browser_as(customer)

    response = browser.post(move_url(booking), {"starts_at": slot_value(new_start)}, follow=True)

    assert response.redirect_chain == [(detail_url(booking), 302)]
    assert messages_of(response) == [
        f"Booking moved to {new_start:%A, %B} {new_start.day} at 2:00 PM. "
        "Calm Spaces has been told; your calendar file has the new time."
    ]
    starts_at, ends_at, _, _ = _state(booking)
    assert (starts_at, ends_at) == (new_start, new_start + timedelta(hours=3))
    [entry] = audit_log_for(booking).filter(action="booking.rescheduled")
    assert (entry.actor, entry.data["by"]) == (customer, "customer")


def test_a_taken_time_is_refused_on_the_form(browser_as, customer, other_customer, service, booking):
    taken = requested(customer=other_customer, service=service, starts_at=booking.starts_at + timedelta(days=1))
    browser = browser_as(customer)
    before = data_snapshot()

    response = browser.post(move_url(booking), {"starts_at": slot_value(taken.starts_at)})

    assert response.status_code == 200
    assert "That time is already booked. Please choose another slot." in response.content.decode()
    assert changed_tables(before, data_snapshot()) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("NIGHT", "The organizer is not available at that time."),
        ("OFF_STEP", "start every 30 minutes"),
        ("PAST", "That time is in the past."),
        ("2027-06-14T10:00:00", "Choose one of the available start times."),  # no offset
        ("tomorrow", "Choose one of the available start times."),
        ("", "Choose one of the free times."),
    ],
)
def test_a_time_the_page_did_not_offer_is_refused_with_the_reason(browser_as, customer, booking, value, message):
    times = {
        "NIGHT": booking.starts_at + timedelta(days=1, hours=-8),  # 02:00 in New York
        "OFF_STEP": booking.starts_at + timedelta(days=1, minutes=15),
        "PAST": booking.starts_at - timedelta(days=30),
    }
    posted = slot_value(times[value]) if value in times else value
    browser = browser_as(customer)
    before = data_snapshot()

    response = browser.post(move_url(booking), {"starts_at": posted})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert changed_tables(before, data_snapshot()) == []


def test_once_the_window_has_closed_the_form_is_gone_and_a_late_post_is_refused(browser_as, customer, booking):
    browser = browser_as(customer)
    before = _state(booking)
    with time_machine.travel(booking.starts_at - timedelta(hours=23)):
        page = browser.get(detail_url(booking)).content.decode()
        response = browser.post(
            move_url(booking), {"starts_at": slot_value(booking.starts_at + timedelta(days=1))}, follow=True
        )

    assert "Move this booking" not in page and move_url(booking) not in page
    assert response.redirect_chain == [(detail_url(booking), 302)]
    assert "can be moved up to 24 hours before it starts" in messages_of(response)[0]
    assert _state(booking) == before


def test_a_booking_not_yet_confirmed_offers_no_move(browser_as, customer, service):
    waiting = requested(customer=customer, service=service, starts_at=local_slot(days_ahead=4))

    page = browser_as(customer).get(detail_url(waiting)).content.decode()

    assert "Move this booking" not in page


def test_someone_elses_booking_cannot_be_moved_or_answered(browser_as, other_customer, booking):
    browser = browser_as(other_customer)
    before = data_snapshot()
    to = slot_value(booking.starts_at + timedelta(days=1))

    assert browser.post(move_url(booking), {"starts_at": to}).status_code == 404
    assert browser.post(answer_url(booking), {"answer": "accept"}).status_code == 404
    assert changed_tables(before, data_snapshot()) == []


# --- The organizer proposes, the customer answers ----------------------------------------------


def test_the_organizer_sees_free_times_in_their_zone_and_proposes_one(browser_as, booking):
    organizer = browser_as(booking.vendor.user)
    to = booking.starts_at + timedelta(days=2, hours=2)

    page = organizer.get(vendor_url(booking), {"move_day": day_of(to)}).content.decode()
    response = organizer.post(
        propose_url(booking), {"starts_at": slot_value(to), "note": "An earlier job runs late"}, follow=True
    )

    assert "Propose another time" in page and f'value="{slot_value(to)}"' in page
    assert "Times are in America/New_York." in page
    assert messages_of(response) == [
        f"You proposed {to:%A, %B} {to.day} at 12:00 PM to Casey Customer. The booking moves if they accept."
    ]
    assert f"You proposed {to:%A, %B} {to.day}, {to.year} at 12:00 PM" in response.content.decode()
    starts_at, _, proposed, _ = _state(booking)
    assert starts_at == to - timedelta(days=2, hours=2)
    assert (proposed, booking.proposal_note) == (to, "An earlier job runs late")


def test_a_taken_proposal_is_refused_on_the_organizers_form(browser_as, other_customer, service, booking):
    taken = requested(customer=other_customer, service=service, starts_at=booking.starts_at + timedelta(days=1))
    browser = browser_as(booking.vendor.user)
    before = data_snapshot()

    response = browser.post(propose_url(booking), {"starts_at": slot_value(taken.starts_at)})

    assert response.status_code == 200
    assert "That time is already booked. Please choose another slot." in response.content.decode()
    assert changed_tables(before, data_snapshot()) == []


def test_another_organizer_cannot_propose(browser_as, other_vendor, booking):
    browser = browser_as(other_vendor.user)
    before = data_snapshot()

    response = browser.post(propose_url(booking), {"starts_at": slot_value(booking.starts_at + timedelta(days=1))})

    assert response.status_code == 404
    assert changed_tables(before, data_snapshot()) == []


def _propose(browser_as, booking, to, note="<b>Earlier</b> job ran late"):
    response = browser_as(booking.vendor.user).post(propose_url(booking), {"starts_at": slot_value(to), "note": note})
    assert response.status_code == 302, response.content


def test_the_customer_sees_the_proposal_escaped_and_accepts_it(browser_as, customer, booking):
    to = booking.starts_at + timedelta(days=2)
    _propose(browser_as, booking, to)
    browser = browser_as(customer)

    page = browser.get(detail_url(booking)).content.decode()
    response = browser.post(answer_url(booking), {"answer": "accept"}, follow=True)

    assert "Calm Spaces asks to move this booking" in page
    assert "Calm Spaces asks to move this booking to another time: accept or decline it." in page  # the next step
    assert f"New time: <strong>{to:%A, %B} {to.day}, {to.year} at 10:00 AM" in page
    assert "&lt;b&gt;Earlier&lt;/b&gt; job ran late" in page and "<b>Earlier</b>" not in page
    assert "Accept the new time" in page and "Decline" in page
    assert messages_of(response) == [f"Booking moved to {to:%A, %B} {to.day} at 10:00 AM."]
    starts_at, _, proposed, _ = _state(booking)
    assert (starts_at, proposed) == (to, None)
    assert "asks to move this booking" not in response.content.decode()


def test_the_customer_declines_and_the_booking_stays(browser_as, customer, booking):
    _propose(browser_as, booking, booking.starts_at + timedelta(days=2))
    before = _state(booking)

    response = browser_as(customer).post(answer_url(booking), {"answer": "decline"}, follow=True)

    assert messages_of(response) == [
        "The proposed time is declined; the booking stays as it is. Calm Spaces has been told."
    ]
    starts_at, _, proposed, sequence = _state(booking)
    assert (starts_at, proposed, sequence) == (before[0], None, before[3])
    assert audit_log_for(booking).filter(action="booking.reschedule_declined").count() == 1


def test_accepting_a_proposal_taken_meanwhile_says_so_and_changes_nothing(
    browser_as, customer, other_customer, service, booking
):
    to = booking.starts_at + timedelta(days=2)
    _propose(browser_as, booking, to)
    requested(customer=other_customer, service=service, starts_at=to)
    before = _state(booking)

    response = browser_as(customer).post(answer_url(booking), {"answer": "accept"}, follow=True)

    assert messages_of(response) == ["That time is already booked. Please choose another slot."]
    assert _state(booking) == before


@pytest.mark.parametrize("answer", ["", "maybe"])
def test_an_answer_that_is_neither_accept_nor_decline_changes_nothing(browser_as, customer, booking, answer):
    _propose(browser_as, booking, booking.starts_at + timedelta(days=2))
    browser = browser_as(customer)
    before = data_snapshot()

    response = browser.post(answer_url(booking), {"answer": answer}, follow=True)

    assert messages_of(response) == ["Choose Accept or Decline."]
    assert changed_tables(before, data_snapshot()) == []


def test_answering_without_a_proposal_is_refused(browser_as, customer, booking):
    response = browser_as(customer).post(answer_url(booking), {"answer": "accept"}, follow=True)

    assert messages_of(response) == ["The organizer has not proposed a new time for this booking."]
    assert Booking.objects.get(pk=booking.pk).starts_at == booking.starts_at
