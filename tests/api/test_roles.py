"""Staff roles through the API: each is refused, with nothing written, where it does not belong."""

import pytest
from django.contrib.auth.models import Group

from marketplace.core.models import AuditLogEntry
from marketplace.payments.models import Movement, MovementKind, Transaction
from marketplace.vendors.models import VerificationStatus
from tests.conftest import local_slot
from tests.factories import CustomerFactory
from tests.factories.bookings import completed_booking, paid_booking
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db


def staff(email: str, group: str | None):
    user = CustomerFactory(email=email, role="staff", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def people(db):
    return {
        "support": staff("support@example.com", "Support"),
        "finance": staff("finance@example.com", "Finance"),
        "editor": staff("editor@example.com", "Editors"),
    }


@pytest.fixture
def held(customer, service, settings):
    """A completed $300.00 booking whose payout waits for approval (so it can be refunded, held or approved)."""
    settings.PAYOUT_APPROVAL_THRESHOLD_MINOR = 100
    return completed_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=-2))


def calls(held, pending_vendor):
    return {
        "verify": ("put", f"vendors/{pending_vendor.pk}/verify", {"decision": "verified"}),
        "approve payout": ("post", "payments/payout", {"booking_id": held.pk, "reason": "Checked"}),
        "hold": ("post", "payments/hold", {"booking_id": held.pk, "reason": "admin", "note": "Looking"}),
        "refund $50": (
            "post",
            "payments/refund",
            {"booking_id": held.pk, "amount_minor": 5000, "reason": "Goodwill"},
        ),
        "refund $250": (
            "post",
            "payments/refund",
            {"booking_id": held.pk, "amount_minor": 25000, "reason": "Goodwill"},
        ),
    }


# role -> the calls it may make; every other call is refused with 403 not_permitted
ALLOWED = {
    "support": {"verify", "refund $50"},
    "finance": {"approve payout", "hold", "refund $50", "refund $250"},
    "editor": set(),
}


@pytest.fixture
def pending_vendor(make_vendor):
    return make_vendor(status=VerificationStatus.PENDING)


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_each_role_is_refused_what_it_may_not_do(api, people, held, pending_vendor, role):
    api.as_user(people[role])
    for name, (method, path, body) in calls(held, pending_vendor).items():
        if name in ALLOWED[role]:
            continue
        before = data_snapshot()
        response = getattr(api, method)(path, body)
        assert response.status_code == 403, f"{role} {name}: {response.status_code} {response.content}"
        assert response.json()["code"] == "not_permitted", name
        assert changed_tables(before, data_snapshot()) == [], name


def test_support_refunds_up_to_the_limit_and_finance_beyond_it(api, people, held, settings):
    settings.STAFF_REFUND_LIMIT_MINOR = 20000
    body = {"booking_id": held.pk, "amount_minor": 25000, "reason": "Most rooms were left"}

    refused = api.as_user(people["support"]).post("payments/refund", body)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "You may refund at most $200.00 at once; ask finance to refund $250.00."

    assert api.as_user(people["support"]).post("payments/refund", {**body, "amount_minor": 5000}).status_code == 200
    assert api.as_user(people["finance"]).post("payments/refund", {**body, "amount_minor": 20000}).status_code == 200
    assert Transaction.objects.get(booking=held).refunded_minor == 25000
    assert list(Movement.objects.filter(kind=MovementKind.REFUND).values_list("actor__email", flat=True)) == [
        "support@example.com",
        "finance@example.com",
    ]


def test_support_cannot_refund_everything_left_when_it_is_above_the_limit(api, people, held):
    before = data_snapshot()
    response = api.as_user(people["support"]).post("payments/refund", {"booking_id": held.pk, "reason": "All of it"})

    assert response.status_code == 403
    assert "at most $200.00" in response.json()["detail"]
    assert changed_tables(before, data_snapshot()) == []


def test_support_sees_every_booking_and_finance_every_payout(api, people, customer, service, held):
    paid_booking(customer=customer, service=service, starts_at=local_slot(days_ahead=4))

    assert len(api.as_user(people["support"]).get("bookings").json()["results"]) == 2
    assert api.as_user(people["editor"]).get("bookings").json()["results"] == []  # an editor's own bookings: none
    finance_payouts = api.as_user(people["finance"]).get("payouts")
    assert finance_payouts.status_code == 200
    assert not AuditLogEntry.objects.filter(actor__in=people.values()).exists()
