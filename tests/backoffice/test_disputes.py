"""The disputes queue, one dispute, evidence downloads and the Resolve form."""

from datetime import timedelta
from io import BytesIO

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from marketplace.core.models import AuditLogEntry
from marketplace.disputes.models import Dispute
from marketplace.disputes.services import dispute_open, dispute_respond
from marketplace.payments.models import Transaction
from tests.conftest import local_slot
from tests.factories import CustomerFactory
from tests.factories.bookings import past_paid_booking
from tests.snapshots import changed_tables, data_snapshot

from .conftest import client_for, messages_of

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def disputed(customer, service, *, days_ago=1, description="Half the closets were left as they were.", files=()):
    booking = past_paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-days_ago))
    return dispute_open(
        user=customer, booking_id=booking.pk, reason="poor_quality", description=description, files=list(files)
    )


@pytest.fixture
def dispute(customer, service):
    return disputed(customer, service, files=[(BytesIO(PNG), "<img src=x onerror=alert(1)>.png")])


def test_the_queue_puts_disputes_under_review_first_then_the_oldest_deadline(admin_client, customer, service, vendor):
    later = disputed(customer, service, days_ago=1)
    with time_machine.travel(timezone.now() - timedelta(hours=5)):  # maybe the day before: 2 or 3 days ago
        earlier = disputed(customer, service, days_ago=2)
    answered = disputed(customer, service, days_ago=4)
    dispute_respond(user=vendor.user, dispute_id=answered.pk, statement="Done as agreed.")

    response = admin_client.get(reverse("backoffice_disputes:index"))

    assert response.status_code == 200
    assert [d.pk for d in response.context["object_list"]] == [answered.pk, earlier.pk, later.pk]
    filtered = admin_client.get(reverse("backoffice_disputes:index"), {"status": "awaiting_response"})
    assert [d.pk for d in filtered.context["object_list"]] == [earlier.pk, later.pk]
    assert "$300.00" in response.content.decode()


def test_the_admin_menu_lists_disputes(admin_client):
    assert reverse("backoffice_disputes:index") in admin_client.get(reverse("wagtailadmin_home")).content.decode()


def test_a_dispute_page_shows_both_sides_the_evidence_the_money_and_the_audit_trail(admin_client, dispute, vendor):
    dispute_respond(user=vendor.user, dispute_id=dispute.pk, statement="<i>All</i> done.")

    response = admin_client.get(reverse("backoffice_disputes:inspect", args=[dispute.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Half the closets were left as they were." in html
    assert "&lt;i&gt;All&lt;/i&gt; done." in html
    assert "&lt;img src=x onerror=alert(1)&gt;.png" in html and "<img src=x" not in html
    evidence = dispute.evidence.get()
    assert reverse("backoffice_disputes:evidence", args=[dispute.pk, evidence.pk]) in html
    assert reverse("backoffice_disputes:resolve", args=[dispute.pk]) in html
    assert reverse("backoffice_bookings:inspect", args=[dispute.booking_id]) in html
    assert "$300.00" in html
    assert "dispute.opened" in html and "dispute.answered" in html


def test_evidence_downloads_with_the_safe_headers(admin_client, dispute):
    evidence = dispute.evidence.get()

    response = admin_client.get(reverse("backoffice_disputes:evidence", args=[dispute.pk, evidence.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert (response["X-Content-Type-Options"], response["Content-Security-Policy"]) == ("nosniff", "sandbox")
    assert admin_client.get(reverse("backoffice_disputes:evidence", args=[dispute.pk, 999999])).status_code == 404


def test_resolving_a_split_through_the_form(admin_client, admin_user, dispute):
    response = admin_client.post(
        reverse("backoffice_disputes:resolve", args=[dispute.pk]),
        {"outcome": "split", "refund": "100.00", "reason": "Half the work was done."},
    )

    assert response.status_code == 302
    assert response.url == reverse("backoffice_disputes:inspect", args=[dispute.pk])
    assert messages_of(response) == [
        f"Dispute over {dispute.booking.reference} resolved: split between the customer and the organizer."
    ]
    dispute.refresh_from_db()
    assert (dispute.status, dispute.outcome, dispute.refunded_minor, dispute.decided_by) == (
        "resolved",
        "split",
        10000,
        admin_user,
    )
    assert Transaction.objects.get(booking=dispute.booking).refunded_minor == 10000
    assert AuditLogEntry.objects.filter(action="dispute.resolved", actor=admin_user).count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"outcome": "split", "refund": "300.00", "reason": "All"}, "refund", "is held for this booking"),
        ({"outcome": "split", "refund": "", "reason": "No amount"}, "refund", "Say how much the customer gets back."),
        ({"outcome": "release", "reason": ""}, "reason", "Reason for the decision is required."),
        ({"reason": "No outcome"}, "outcome", "This field is required."),
    ],
    ids=["split of everything held", "split without an amount", "no reason", "no outcome"],
)
def test_bad_decisions_are_shown_on_the_form_and_change_nothing(admin_client, dispute, data, field, message):
    before = data_snapshot()

    response = admin_client.post(reverse("backoffice_disputes:resolve", args=[dispute.pk]), data)

    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert changed_tables(before, data_snapshot()) == []
    assert Dispute.objects.get().status == "awaiting_response"


def test_a_closed_dispute_cannot_be_resolved_again(admin_client, dispute):
    url = reverse("backoffice_disputes:resolve", args=[dispute.pk])
    admin_client.post(url, {"outcome": "release", "reason": "Done."})
    before = data_snapshot()

    response = admin_client.post(url, {"outcome": "refund", "reason": "Changed my mind"})

    assert messages_of(response)[-1] == "This dispute was already resolved."
    assert changed_tables(before, data_snapshot()) == []
    assert (
        "Resolve dispute</a>"
        not in admin_client.get(reverse("backoffice_disputes:inspect", args=[dispute.pk])).content.decode()
    )


@pytest.mark.parametrize("who", ["anonymous", "customer", "the dispute's customer", "vendor"])
def test_customers_vendors_and_anonymous_users_cannot_reach_disputes(who, dispute, vendor):
    user = {
        "anonymous": None,
        "customer": CustomerFactory(),
        "the dispute's customer": dispute.booking.customer,
        "vendor": vendor.user,
    }[who]
    client = client_for(user)
    evidence = dispute.evidence.get()
    before = data_snapshot()
    for url in (
        reverse("backoffice_disputes:index"),
        reverse("backoffice_disputes:inspect", args=[dispute.pk]),
        reverse("backoffice_disputes:resolve", args=[dispute.pk]),
        reverse("backoffice_disputes:evidence", args=[dispute.pk, evidence.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("wagtailadmin_login")), url
    client.post(reverse("backoffice_disputes:resolve", args=[dispute.pk]), {"outcome": "refund", "reason": "Me"})
    assert Dispute.objects.get().status == "awaiting_response"
    assert changed_tables(before, data_snapshot()) == []


def test_an_editor_and_finance_are_refused_and_support_resolves(editor, finance, support, dispute):
    for user in (editor, finance):
        response = client_for(user).get(reverse("backoffice_disputes:index"))
        assert (response.status_code, response.url) == (302, reverse("wagtailadmin_home"))
        client_for(user).post(reverse("backoffice_disputes:resolve", args=[dispute.pk]), {"outcome": "release"})
    assert Dispute.objects.get().status == "awaiting_response"

    client = client_for(support)
    page = client.get(reverse("backoffice_disputes:inspect", args=[dispute.pk]))
    assert page.status_code == 200
    assert reverse("backoffice_disputes:resolve", args=[dispute.pk]) in page.content.decode()
    client.post(
        reverse("backoffice_disputes:resolve", args=[dispute.pk]),
        {"outcome": "release", "reason": "The photos show the work."},
    )
    assert Dispute.objects.get().status == "resolved"


def test_the_queue_says_how_long_is_left_to_answer_or_how_long_ago_it_passed(admin_user, dispute):
    html = client_for(admin_user).get(reverse("backoffice_disputes:index")).content.decode()
    assert ">in 2\xa0days, 23\xa0hours</time>" in html or ">in 3\xa0days</time>" in html

    with time_machine.travel(dispute.respond_by + timedelta(days=2)):
        html = client_for(admin_user).get(reverse("backoffice_disputes:index")).content.decode()
    assert ">2\xa0days ago</time>" in html


def test_the_queue_says_who_must_act_next_and_filters_by_side_and_reason(admin_user, dispute):
    client = client_for(admin_user)
    html = client.get(reverse("backoffice_disputes:index")).content.decode()
    assert "The organizer, to answer" in html

    assert (
        dispute.booking.reference
        in client.get(
            reverse("backoffice_disputes:index"), {"opened_by_side": "customer", "reason": dispute.reason}
        ).content.decode()
    )
    assert (
        dispute.booking.reference
        not in client.get(reverse("backoffice_disputes:index"), {"opened_by_side": "organizer"}).content.decode()
    )

    dispute_respond(user=dispute.booking.vendor.user, dispute_id=dispute.pk, statement="Done as agreed.")
    page = client.get(reverse("backoffice_disputes:inspect", args=[dispute.pk])).content.decode()
    assert "Support, to decide" in page
    assert 'class="backoffice-sides"' in page
