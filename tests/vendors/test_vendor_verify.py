"""vendor_verify: the verification decisions an admin may take from each status, their reasons and emails."""

import pytest
from django.core import mail

from marketplace.catalog.selectors import service_list_public
from marketplace.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from marketplace.core.models import AuditLogEntry
from marketplace.vendors.services import vendor_verify
from tests.backoffice.conftest import staff_member
from tests.factories import ServiceFactory
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db

ALLOWED = {
    ("pending", "verified"),
    ("pending", "rejected"),
    ("verified", "suspended"),
    ("suspended", "reinstated"),
    ("suspended", "rejected"),
}
STATUS_AFTER = {"verified": "verified", "rejected": "rejected", "suspended": "suspended", "reinstated": "verified"}


@pytest.mark.parametrize("current", ["pending", "verified", "suspended", "rejected"])
@pytest.mark.parametrize("decision", ["verified", "rejected", "suspended", "reinstated"])
def test_only_the_listed_decisions_are_allowed(make_vendor, admin_user, current, decision):
    vendor = make_vendor(current)

    if (current, decision) in ALLOWED:
        vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision=decision, reason="Checked")
        vendor.refresh_from_db()
        assert vendor.verification_status == STATUS_AFTER[decision]
        entry = AuditLogEntry.objects.get(target_id=str(vendor.pk), reason="Checked")
        assert (entry.action, entry.data) == (f"vendor.{decision}", {"from": current, "to": STATUS_AFTER[decision]})
    else:
        with pytest.raises(InvalidTransition):
            vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision=decision, reason="Checked")
        vendor.refresh_from_db()
        assert vendor.verification_status == current
        assert not AuditLogEntry.objects.exists()


def test_a_deactivated_admin_cannot_verify(make_vendor, admin_user):
    vendor = make_vendor("pending")
    admin_user.is_active = False
    admin_user.save()

    with pytest.raises(PermissionDenied):
        vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision="verified")


def test_staff_without_the_admin_role_cannot_verify(make_vendor, customer):
    vendor = make_vendor("pending")
    customer.is_staff = True  # a marketing editor
    customer.save()

    with pytest.raises(PermissionDenied):
        vendor_verify(admin=customer, vendor_id=vendor.pk, decision="verified")


def test_reinstating_needs_a_reason_and_changes_nothing_without_one(make_vendor, admin_user):
    vendor = make_vendor("suspended", verification_reason="Late twice")
    mail.outbox.clear()
    before = data_snapshot()

    with pytest.raises(ValidationFailed) as refusal:
        vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision="reinstated", reason=" \n ")

    assert (refusal.value.message, refusal.value.field) == (
        "A reason is required to reinstate an organizer: it is emailed to them.",
        "reason",
    )
    assert changed_tables(before, data_snapshot()) == []
    assert mail.outbox == []


def test_reinstating_lists_the_services_again_and_tells_the_organizer_why(make_vendor, admin_user, category):
    vendor = make_vendor("verified")
    service = ServiceFactory(vendor=vendor, category=category, title="Garage rescue")
    first_verified_at = vendor.verified_at
    vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision="suspended", reason="Complaints")
    assert service not in service_list_public()
    mail.outbox.clear()

    vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision="reinstated", reason="Complaints were resolved.")

    vendor.refresh_from_db()
    assert (vendor.verification_status, vendor.verification_reason) == ("verified", "Complaints were resolved.")
    assert vendor.verified_at == first_verified_at  # how long they have been with us is kept
    assert service in service_list_public()
    entry = AuditLogEntry.objects.get(action="vendor.reinstated")
    assert (entry.actor, entry.reason, entry.data) == (
        admin_user,
        "Complaints were resolved.",
        {"from": "suspended", "to": "verified"},
    )
    [message] = mail.outbox
    assert (message.to, message.subject) == ([vendor.user.email], "Your organizer account is active again")
    assert "is active again" in message.body
    assert "Why: Complaints were resolved." in message.body


def test_a_suspended_organizer_is_reinstated_not_verified(make_vendor, admin_user):
    vendor = make_vendor("suspended")

    with pytest.raises(InvalidTransition) as refusal:
        vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision="verified", reason="Fine now")

    assert refusal.value.message == (
        "An organizer who is suspended cannot be verified. Reinstate them instead, with a reason."
    )


def test_a_rejected_organizer_cannot_be_reinstated(make_vendor, admin_user):
    vendor = make_vendor("rejected")
    before = data_snapshot()

    with pytest.raises(InvalidTransition) as refusal:
        vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision="reinstated", reason="Looks fine")

    assert refusal.value.message == "An organizer who is rejected cannot be reinstated."
    assert changed_tables(before, data_snapshot()) == []


@pytest.mark.parametrize(
    ("note", "line"), [("", None), ("Insurance <b>checked</b>.", "A note from our team: Insurance <b>checked</b>.")]
)
def test_approving_emails_the_organizer_with_the_optional_note(make_vendor, admin_user, note, line):
    vendor = make_vendor("pending")
    mail.outbox.clear()

    vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision="verified", reason=note)

    [message] = mail.outbox
    assert message.subject == "You are verified: your services can be booked"
    assert ("A note from our team" in message.body) == bool(line)
    if line:
        assert line in message.body  # plain text: shown as typed


@pytest.mark.parametrize(
    ("current", "decision", "subject"),
    [
        ("pending", "rejected", "Your organizer profile was not accepted"),
        ("verified", "suspended", "Your organizer account is suspended"),
        ("suspended", "reinstated", "Your organizer account is active again"),
        ("suspended", "rejected", "Your organizer profile was not accepted"),
    ],
)
def test_every_decision_with_a_reason_emails_it_to_the_organizer(make_vendor, admin_user, current, decision, subject):
    vendor = make_vendor(current)
    mail.outbox.clear()

    vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision=decision, reason="Reason <i>as typed</i>")

    [message] = mail.outbox
    assert (message.to, message.subject) == ([vendor.user.email], subject)
    assert "Why: Reason <i>as typed</i>" in message.body


def test_support_staff_may_decide_and_finance_staff_may_not(make_vendor):
    vendor = make_vendor("suspended")
    finance = staff_member("finance@example.com", "Finance")
    support = staff_member("support@example.com", "Support")

    with pytest.raises(PermissionDenied):
        vendor_verify(admin=finance, vendor_id=vendor.pk, decision="reinstated", reason="Fine")
    vendor_verify(admin=support, vendor_id=vendor.pk, decision="reinstated", reason="Fine")

    vendor.refresh_from_db()
    assert vendor.verification_status == "verified"
