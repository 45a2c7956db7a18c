"""Disputes on the booking pages: report a problem or a no-show, answer, add evidence, withdraw, download."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from marketplace.core.money import Money
from marketplace.disputes.models import Dispute, Evidence
from marketplace.disputes.services import dispute_open, dispute_resolve, dispute_respond
from tests.conftest import local_slot
from tests.factories.bookings import paid_booking, past_paid_booking
from tests.snapshots import changed_tables, data_snapshot

from .conftest import messages_of

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MB = 1024 * 1024
HOSTILE = '<script>alert("x")</script>'


def png(name="kitchen.png", content=PNG):
    return SimpleUploadedFile(name, content, content_type="image/png")


@pytest.fixture
def worked(customer, service):
    """A $300 booking whose appointment was yesterday: paid, confirmed, money held."""
    return past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-1))


def account_page(booking) -> str:
    return reverse("storefront:booking_detail", args=[booking.pk])


def vendor_page(booking) -> str:
    return reverse("storefront:vendor_booking", args=[booking.pk])


def opened(booking, user=None, reason="poor_quality", description="Half the closets were left as they were."):
    return dispute_open(
        user=user or booking.customer, booking_id=booking.pk, reason=reason, description=description, files=[]
    )


# --- Opening -------------------------------------------------------------------------------------


def test_the_customer_reports_a_problem_from_the_booking_page(browser_as, worked, customer):
    browser = browser_as(customer)
    page = browser.get(account_page(worked)).content.decode()
    assert "Report a problem" in page
    assert '<a href="#dispute">report a problem</a>' in page
    assert 'value="customer_no_show"' not in page  # only the customer's reasons

    response = browser.post(
        reverse("storefront:account_dispute_open", args=[worked.pk]),
        {"reason": "poor_quality", "description": "Half the closets.", "files": [png(), png("after.png")]},
    )

    assert response.status_code == 302
    assert response.url == account_page(worked) + "#dispute"
    assert messages_of(browser.get(response.url))[0].startswith("Thank you: we have your report.")
    dispute = Dispute.objects.get()
    assert (dispute.opened_by_side, dispute.reason, dispute.evidence.count()) == ("customer", "poor_quality", 2)
    page = browser.get(account_page(worked)).content.decode()
    assert "Report a problem" not in page
    assert "Waiting for the other side&#x27;s answer" in page
    assert "Withdraw the dispute" in page
    assert "On hold (a dispute is open): nothing is paid out until it is resolved." in page
    assert "A problem was reported: the payment is on hold until our support team decides." in page
    listing = browser.get(reverse("storefront:booking_list")).content.decode()
    assert "A problem was reported: the payment is on hold until our support team decides." in listing


def test_the_organizer_reports_a_no_show_with_organizer_reasons(browser_as, worked, vendor):
    browser = browser_as(vendor.user)
    page = browser.get(vendor_page(worked)).content.decode()
    assert "Report a no-show" in page
    assert 'value="customer_no_show"' in page
    assert 'value="poor_quality"' not in page

    response = browser.post(
        reverse("storefront:vendor_dispute_open", args=[worked.pk]),
        {"reason": "customer_no_show", "description": "Nobody opened the door."},
    )

    assert response.url == vendor_page(worked) + "#dispute"
    assert Dispute.objects.get().opened_by_side == "organizer"


def test_no_report_before_the_appointment(browser_as, customer, service):
    booking = paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=3))
    browser = browser_as(customer)

    assert "Report a problem" not in browser.get(account_page(booking)).content.decode()
    before = data_snapshot()
    response = browser.post(
        reverse("storefront:account_dispute_open", args=[booking.pk]),
        {"reason": "poor_quality", "description": "Too early"},
        follow=True,
    )
    assert "The appointment has not started yet." in messages_of(response)[0]
    assert changed_tables(before, data_snapshot()) == []
    assert not Dispute.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "", "description": "x"}, "This field is required."),
        ({"reason": "customer_no_show", "description": "x"}, "Select a valid choice."),
        ({"reason": "poor_quality", "description": "x", "files": [png("a.png", b"GIF89a")]}, "is not a file we accept"),
    ],
    ids=["no reason", "the other side's reason", "a wrong file"],
)
def test_bad_reports_are_refused_with_a_message_and_nothing_is_written(browser_as, worked, customer, data, message):
    browser = browser_as(customer)
    before = data_snapshot()

    response = browser.post(reverse("storefront:account_dispute_open", args=[worked.pk]), data, follow=True)

    assert any(message in text for text in messages_of(response))
    assert changed_tables(before, data_snapshot()) == []
    assert not Dispute.objects.exists()


def test_a_stranger_cannot_report_or_see_and_an_organizer_cannot_use_the_customer_area(
    browser_as, worked, other_customer, vendor
):
    url = reverse("storefront:account_dispute_open", args=[worked.pk])
    assert browser_as(other_customer).post(url, {"reason": "poor_quality", "description": "x"}).status_code == 404
    response = browser_as(vendor.user).post(url, {"reason": "other", "description": "x"})
    assert response.status_code == 302 and response.url == reverse("storefront:vendor_dashboard")
    assert not Dispute.objects.exists()


# --- Both sides see it -----------------------------------------------------------------------------


def test_the_organizer_answers_with_a_file_before_the_deadline(browser_as, worked, vendor):
    dispute = opened(worked)
    browser = browser_as(vendor.user)
    page = browser.get(vendor_page(worked)).content.decode()
    assert "Please answer by" in page
    assert "Half the closets were left as they were." in page
    assert "Withdraw the dispute" not in page

    response = browser.post(
        reverse("storefront:vendor_dispute_response", args=[dispute.pk]),
        {"statement": "Everything agreed was done.", "files": [png("done.png")]},
    )

    assert response.url == vendor_page(worked) + "#dispute"
    dispute.refresh_from_db()
    assert (dispute.status, dispute.response) == ("under_review", "Everything agreed was done.")
    page = browser_as(worked.customer).get(account_page(worked)).content.decode()
    assert "Everything agreed was done." in page
    assert "done.png" in page
    assert "from the organizer" in page


def test_the_deadline_is_shown_in_each_sides_time_zone(browser_as, worked, vendor, customer):
    dispute = opened(worked)
    customer.time_zone = "Asia/Tokyo"
    customer.save()
    vendor.time_zone = "America/New_York"
    vendor.save()

    customer_page = browser_as(customer).get(account_page(worked)).content.decode()
    vendor_page_html = browser_as(vendor.user).get(vendor_page(worked)).content.decode()

    from zoneinfo import ZoneInfo

    tokyo = dispute.respond_by.astimezone(ZoneInfo("Asia/Tokyo"))
    new_york = dispute.respond_by.astimezone(ZoneInfo("America/New_York"))
    assert tokyo.strftime("%B %-d") in customer_page and "JST" in customer_page
    assert new_york.strftime("%B %-d") in vendor_page_html and ("EST" in vendor_page_html or "EDT" in vendor_page_html)


def test_user_text_and_file_names_are_escaped(browser_as, worked, vendor):
    dispute = dispute_open(
        user=worked.customer,
        booking_id=worked.pk,
        reason="other",
        description=HOSTILE,
        files=[(png(), "<img src=x onerror=alert(1)>.png")],
    )
    dispute_respond(user=vendor.user, dispute_id=dispute.pk, statement=HOSTILE)

    for browser, url in (
        (browser_as(worked.customer), account_page(worked)),
        (browser_as(vendor.user), vendor_page(worked)),
    ):
        page = browser.get(url).content.decode()
        assert HOSTILE not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
        assert "<img src=x" not in page
        assert "&lt;img src=x onerror=alert(1)&gt;.png" in page


def test_either_side_adds_evidence_and_the_opener_withdraws(browser_as, worked, vendor):
    dispute = opened(worked)

    browser_as(vendor.user).post(
        reverse("storefront:vendor_dispute_evidence", args=[dispute.pk]), {"files": [png("after.png")]}
    )
    assert [e.side for e in Evidence.objects.all()] == ["organizer"]
    refused = browser_as(vendor.user).post(
        reverse("storefront:vendor_dispute_withdraw", args=[dispute.pk]), follow=True
    )
    assert messages_of(refused) == ["Only the side that opened a dispute can withdraw it."]

    browser_as(worked.customer).post(reverse("storefront:account_dispute_withdraw", args=[dispute.pk]))

    dispute.refresh_from_db()
    assert dispute.status == "withdrawn"
    assert "Withdrawn" in browser_as(worked.customer).get(account_page(worked)).content.decode()


def test_a_large_photo_is_accepted_from_the_page(browser_as, worked, vendor, settings):
    dispute = opened(worked)

    browser_as(vendor.user).post(
        reverse("storefront:vendor_dispute_evidence", args=[dispute.pk]),
        {"files": [png("big.png", PNG + b"\x00" * 4 * MB)]},
    )

    assert Evidence.objects.get().size == len(PNG) + 4 * MB


def test_the_decision_and_its_money_sentence_are_shown(browser_as, worked, admin_user, vendor):
    dispute = opened(worked)
    dispute_resolve(
        staff=admin_user, dispute_id=dispute.pk, outcome="split", reason="Half was done.", refund=Money(10000, "USD")
    )

    customer_page = browser_as(worked.customer).get(account_page(worked)).content.decode()
    organizer_page = browser_as(vendor.user).get(vendor_page(worked)).content.decode()

    assert "Our decision: split between the customer and the organizer." in customer_page
    assert "$100.00 was refunded to you; the rest goes to the organizer." in customer_page
    assert "Half was done." in customer_page
    assert "under the cancellation policy" not in customer_page
    assert "$100.00 was refunded to the customer; the rest is paid out to you, less the commission." in organizer_page


# --- Evidence downloads ----------------------------------------------------------------------------


def test_evidence_downloads_for_the_two_sides_only(browser_as, client, worked, vendor, other_customer, admin_user):
    dispute = dispute_open(
        user=worked.customer, booking_id=worked.pk, reason="other", description="See", files=[(png(), "a.png")]
    )
    url = reverse("storefront:dispute_evidence_download", args=[dispute.pk, dispute.evidence.get().pk])

    for user in (worked.customer, vendor.user):
        response = browser_as(user).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PNG
        assert (response["Content-Type"], response["X-Content-Type-Options"], response["Content-Security-Policy"]) == (
            "image/png",
            "nosniff",
            "sandbox",
        )
    assert browser_as(other_customer).get(url).status_code == 404
    assert client.get(url).status_code == 302  # to sign in
