"""The organizer area: profile, services, weekly hours, and answering requests."""

from datetime import time

import pytest
from django.urls import reverse

from marketplace.availability.models import AvailabilityRule
from marketplace.bookings.models import Booking
from marketplace.bookings.services import booking_cancel
from marketplace.catalog.models import Service
from marketplace.core.models import AuditLogEntry
from marketplace.payments.models import Transaction
from marketplace.vendors.models import Vendor
from tests.conftest import local_slot

from .conftest import messages_of, paid, requested

pytestmark = pytest.mark.django_db

PROFILE = {
    "business_name": "Neat by Nora",
    "tagline": "Calm closets in a day",
    "bio": "Ten years of calm closets.",
    "city": "Queens, NY",
    "place": "11375",
    "service_radius_km": "30",
    "time_zone": "America/New_York",
    "phone": "+1 718 555 0199",
    "website": "https://neat.example.com",
    "years_in_business": "10",
    "certifications": "NAPO member\n\nKonMari consultant\n",
}


def service_form(category, **changes) -> dict:
    data = {
        "title": "Closet reset",
        "category": str(category.pk),
        "summary": "A wardrobe edit and a closet that closes.",
        "description": "We sort, fold and label.",
        "pricing_model": "fixed",
        "price": "250.00",
        "duration_minutes": "180",
        "instant_booking": "on",
        "cancellation_policy": "moderate",
    }
    data.update(changes)
    return data


def test_new_organizer_is_sent_to_the_profile_form_first(browser_as, unverified_vendor_user):
    response = browser_as(unverified_vendor_user).get(reverse("storefront:vendor_dashboard"), follow=True)

    assert response.redirect_chain == [(reverse("storefront:vendor_profile"), 302)]
    assert "Create your organizer profile" in response.content.decode()


def test_organizer_creates_a_profile_that_waits_for_review(browser_as, unverified_vendor_user):
    browser = browser_as(unverified_vendor_user)

    response = browser.post(reverse("storefront:vendor_profile"), PROFILE, follow=True)

    vendor = Vendor.objects.get(user=unverified_vendor_user)
    assert response.redirect_chain[-1][0] == reverse("storefront:vendor_dashboard")
    assert (vendor.business_name, vendor.city, vendor.verification_status) == ("Neat by Nora", "Queens, NY", "pending")
    assert vendor.service_radius_km == 30
    assert vendor.profile.certifications == ["NAPO member", "KonMari consultant"]
    assert vendor.profile.years_in_business == 10
    assert "Your profile is waiting for review" in response.content.decode()


def test_profile_form_shows_field_errors_and_creates_nothing(browser_as, unverified_vendor_user):
    response = browser_as(unverified_vendor_user).post(
        reverse("storefront:vendor_profile"), {**PROFILE, "business_name": "", "place": ""}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "business_name": ["This field is required."],
        "place": ["This field is required."],
    }
    assert not Vendor.objects.filter(user=unverified_vendor_user).exists()


def test_the_organizer_names_the_centre_of_their_area_and_never_types_coordinates(browser_as, unverified_vendor_user):
    browser = browser_as(unverified_vendor_user)

    page = browser.get(reverse("storefront:vendor_profile"))
    browser.post(reverse("storefront:vendor_profile"), {**PROFILE, "place": "Forest Hills, NY"})

    assert 'name="latitude"' not in page.content.decode()
    vendor = Vendor.objects.get(user=unverified_vendor_user)
    assert vendor.service_area_place == "Forest Hills, NY"
    assert (round(float(vendor.latitude), 1), round(float(vendor.longitude), 1)) == (40.7, -73.8)


@pytest.mark.parametrize(
    ("place", "message"),
    [
        ("00000", "ZIP code 00000 does not exist"),
        ("Springfield", "Several places are called Springfield"),
        ("<b>Atlantis</b>, ZZ", "We could not find"),
    ],
)
def test_a_place_we_cannot_find_is_explained_on_the_form(browser_as, unverified_vendor_user, place, message):
    response = browser_as(unverified_vendor_user).post(
        reverse("storefront:vendor_profile"), {**PROFILE, "place": place}
    )

    assert response.status_code == 200
    assert message in response.context["form"].errors["place"][0]
    assert "<b>Atlantis</b>" not in response.content.decode()  # what was typed is escaped where shown
    assert not Vendor.objects.filter(user=unverified_vendor_user).exists()


def test_rejected_organizer_sees_the_reason_and_resubmits(browser_as, vendor):
    vendor.verification_status, vendor.verification_reason = "rejected", "Please add your city and a real bio."
    vendor.save()
    browser = browser_as(vendor.user)

    page = browser.get(reverse("storefront:vendor_profile"))
    assert "Your profile was not approved" in page.content.decode()
    assert "Please add your city and a real bio." in page.content.decode()

    response = browser.post(reverse("storefront:vendor_profile"), PROFILE, follow=True)

    vendor.refresh_from_db()
    assert vendor.verification_status == "pending"
    assert messages_of(response) == ["Profile updated and sent back for review."]


def test_verified_organizer_publishes_a_service(browser_as, vendor, category):
    response = browser_as(vendor.user).post(
        reverse("storefront:vendor_service_new"), service_form(category), follow=True
    )

    service = Service.objects.get(vendor=vendor)
    assert response.redirect_chain[-1][0] == reverse("storefront:vendor_services")
    assert (service.title, service.base_price_minor, service.duration_minutes) == ("Closet reset", 25000, 180)
    assert (service.pricing_model, service.category_id, service.instant_booking) == ("fixed", category.pk, True)
    assert messages_of(response) == ["'Closet reset' is published. Customers can find and book it now."]
    assert "Published" in response.content.decode()


def test_unverified_organizer_cannot_publish_and_is_told_why(browser_as, make_vendor, category):
    pending = make_vendor(status="pending")

    response = browser_as(pending.user).post(reverse("storefront:vendor_service_new"), service_form(category))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Your organizer profile must be verified before you can publish services."
    ]
    assert "must be verified before you can publish services" in response.content.decode()
    assert not Service.objects.filter(vendor=pending).exists()


def test_service_form_checks_the_price(browser_as, vendor, category):
    response = browser_as(vendor.user).post(
        reverse("storefront:vendor_service_new"), service_form(category, price="0", pricing_model="hourly")
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"price": ["Fixed and hourly services need a price above zero."]}
    assert not Service.objects.exists()


def test_organizer_edits_and_hides_a_service(browser_as, vendor, service, category):
    response = browser_as(vendor.user).post(
        reverse("storefront:vendor_service_edit", args=[service.pk]),
        service_form(category, title="Whole-home reset", price="320.50", is_active=""),
    )

    service.refresh_from_db()
    assert response.status_code == 302
    assert (service.title, service.base_price_minor, service.is_active) == ("Whole-home reset", 32050, False)


def test_organizer_cannot_edit_another_organizers_service(browser_as, other_vendor, service, category):
    response = browser_as(other_vendor.user).post(
        reverse("storefront:vendor_service_edit", args=[service.pk]), service_form(category, title="Mine now")
    )

    assert response.status_code == 404
    service.refresh_from_db()
    assert service.title == "Whole-home declutter"


def test_organizer_sets_weekly_hours(browser_as, vendor):
    form = {"d0_0_start": "09:00", "d0_0_end": "12:00", "d0_1_start": "13:00", "d0_1_end": "17:00"}
    form |= {"d5_0_start": "10:00", "d5_0_end": "14:00"}

    response = browser_as(vendor.user).post(reverse("storefront:vendor_hours"), form, follow=True)

    rules = [(r.weekday, r.start_time, r.end_time) for r in AvailabilityRule.objects.filter(vendor=vendor)]
    assert rules == [(0, time(9), time(12)), (0, time(13), time(17)), (5, time(10), time(14))]
    assert messages_of(response) == ["Weekly hours saved. Customers see the new times right away."]
    assert 'value="13:00"' in response.content.decode()


def test_weekly_hours_with_an_end_before_the_start_change_nothing(browser_as, vendor):
    before = list(AvailabilityRule.objects.filter(vendor=vendor).values_list("weekday", "start_time", "end_time"))

    response = browser_as(vendor.user).post(
        reverse("storefront:vendor_hours"), {"d1_0_start": "17:00", "d1_0_end": "09:00", "d2_0_start": "09:00"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "d1_0_end": ["Tuesday: the end must be after the start."],
        "d2_0_end": ["Wednesday: give both times."],
    }
    after = list(AvailabilityRule.objects.filter(vendor=vendor).values_list("weekday", "start_time", "end_time"))
    assert after == before


def test_organizer_accepts_a_paid_request(browser_as, customer, vendor, request_only_service):
    booking = paid(customer=customer, service=request_only_service, starts_at=local_slot(days_ahead=3))
    assert booking.status == "requested"
    browser = browser_as(vendor.user)

    dashboard = browser.get(reverse("storefront:vendor_dashboard"))
    assert [b.pk for b, state in dashboard.context["to_answer"]] == [booking.pk]
    assert "Paid, needs your answer" in dashboard.content.decode()

    response = browser.post(
        reverse("storefront:vendor_booking_accept", args=[booking.pk]),
        {"next": reverse("storefront:vendor_dashboard")},
        follow=True,
    )

    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert response.redirect_chain == [(reverse("storefront:vendor_dashboard"), 302)]
    assert messages_of(response) == [f"Booking {booking.reference} accepted. Casey Customer has been told."]
    assert [b.pk for b in response.context["upcoming"]] == [booking.pk]
    assert str(response.context["in_escrow"]) == "$552.50"  # $650.00 less 15% commission


def test_organizer_declines_a_paid_request_with_a_reason_and_the_card_hold_is_released(
    browser_as, customer, vendor, request_only_service
):
    booking = paid(customer=customer, service=request_only_service, starts_at=local_slot(days_ahead=3))

    response = browser_as(vendor.user).post(
        reverse("storefront:vendor_booking_decline", args=[booking.pk]), {"reason": "Fully booked that week."}
    )

    booking.refresh_from_db()
    assert response.status_code == 302
    assert (booking.status, booking.close_reason) == ("declined", "Fully booked that week.")
    assert Transaction.objects.get(booking=booking).status == "voided"  # authorised only: released, nothing taken


def test_declining_without_a_reason_changes_nothing(browser_as, customer, vendor, request_only_service):
    booking = paid(customer=customer, service=request_only_service, starts_at=local_slot(days_ahead=3))
    audit_before = AuditLogEntry.objects.count()

    response = browser_as(vendor.user).post(
        reverse("storefront:vendor_booking_decline", args=[booking.pk]), {"reason": "  "}, follow=True
    )

    booking.refresh_from_db()
    assert booking.status == "requested"
    assert Transaction.objects.get(booking=booking).status == "authorized"
    assert messages_of(response) == ["Tell the customer why you decline."]
    assert AuditLogEntry.objects.count() == audit_before


def test_accepting_an_unpaid_request_is_refused_with_the_reason(browser_as, customer, vendor, request_only_service):
    booking = requested(customer=customer, service=request_only_service, starts_at=local_slot(days_ahead=3))

    response = browser_as(vendor.user).post(reverse("storefront:vendor_booking_accept", args=[booking.pk]), follow=True)

    booking.refresh_from_db()
    assert booking.status == "requested"
    assert messages_of(response) == ["The customer has not paid yet; you can accept once payment is held."]


def test_organizer_cannot_see_or_answer_another_organizers_booking(
    browser_as, customer, other_vendor, request_only_service
):
    booking = paid(customer=customer, service=request_only_service, starts_at=local_slot(days_ahead=3))
    browser = browser_as(other_vendor.user)

    assert browser.get(reverse("storefront:vendor_booking", args=[booking.pk])).status_code == 404
    assert browser.post(reverse("storefront:vendor_booking_accept", args=[booking.pk])).status_code == 404
    booking.refresh_from_db()
    assert booking.status == "requested"


def test_customers_cannot_enter_the_organizer_area(browser_as, customer):
    response = browser_as(customer).get(reverse("storefront:vendor_dashboard"))

    assert response.status_code == 403
    assert "The organizer area is for organizers" in response.content.decode()


def test_anonymous_visitors_are_asked_to_log_in(client):
    response = client.get(reverse("storefront:vendor_dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_dashboard_times_are_in_the_organizers_time_zone(browser_as, customer, vendor, request_only_service):
    Vendor.objects.filter(pk=vendor.pk).update(time_zone="America/Los_Angeles")
    starts_at = local_slot(days_ahead=3, at=time(12, 0))  # noon in New York is 9 AM in Los Angeles
    paid(customer=customer, service=request_only_service, starts_at=starts_at)

    content = browser_as(vendor.user).get(reverse("storefront:vendor_dashboard")).content.decode()

    assert "9:00 AM" in content
    assert "America/Los_Angeles" in content
    assert Booking.objects.count() == 1


def test_the_dashboard_shows_the_organizer_their_own_cancellations(browser_as, customer, vendor, service):
    booking = paid(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    booking_cancel(user=vendor.user, booking_id=booking.pk, reason="Sick")

    response = browser_as(vendor.user).get(reverse("storefront:vendor_dashboard"))

    assert (response.context["cancellations"].recent, response.context["cancellations"].total) == (1, 1)
    html = response.content.decode()
    assert "Cancelled by you: 1 booking in the last 12 months (1 in total)." in html
