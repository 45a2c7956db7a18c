"""Who may open the back office: staff with a named permission (admins hold all), and every screen says so."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from wagtail.permissions import policy_registry

from backoffice.permissions import StaffPermissionPolicy
from marketplace.bookings.models import Booking
from marketplace.core.models import AuditLogEntry
from marketplace.payments.models import LedgerEntry, LedgerLine, Transaction, TransactionStatus
from marketplace.vendors.models import Vendor, VerificationStatus
from tests.factories import AdminFactory, CustomerFactory

from .conftest import client_for, messages_of

pytestmark = pytest.mark.django_db

PERMISSION_MESSAGE = "Sorry, you do not have permission to access this area."


@pytest.fixture
def back_office_urls(pending_vendor, awaiting_payout):
    """Every back-office page, with an object of each kind to show."""
    payment = awaiting_payout.transaction
    entry = LedgerEntry.objects.filter(transaction=payment).first()
    audit = AuditLogEntry.objects.first()
    return {
        "vendor list": reverse("backoffice_vendors:index"),
        "vendor list results": reverse("backoffice_vendors:index_results"),
        "vendor detail": reverse("backoffice_vendors:inspect", args=[pending_vendor.pk]),
        "verify form": reverse("backoffice_vendors:verify", args=[pending_vendor.pk]),
        "reject form": reverse("backoffice_vendors:reject", args=[pending_vendor.pk]),
        "suspend form": reverse("backoffice_vendors:suspend", args=[pending_vendor.pk]),
        "booking list": reverse("backoffice_bookings:index"),
        "booking detail": reverse("backoffice_bookings:inspect", args=[awaiting_payout.pk]),
        "payout list": reverse("backoffice_payouts:index"),
        "approve form": reverse("backoffice_payouts:approve", args=[payment.pk]),
        "ledger list": reverse("backoffice_ledger:index"),
        "ledger entry": reverse("backoffice_ledger:inspect", args=[entry.pk]),
        "balances": reverse("backoffice_balances:index"),
        "audit log": reverse("backoffice_audit_log:index"),
        "audit entry": reverse("backoffice_audit_log:inspect", args=[audit.pk]),
    }


ACTION_URLS = ("verify form", "reject form", "suspend form", "approve form")


def test_admin_opens_every_list_detail_and_form(admin_user, back_office_urls):
    client = client_for(admin_user)
    for name, url in back_office_urls.items():
        response = client.get(url)
        assert response.status_code == 200, f"{name}: {response.status_code}"


def test_a_platform_admin_who_is_not_a_superuser_gets_in_by_role(role_admin, back_office_urls):
    client = client_for(role_admin)
    for name, url in back_office_urls.items():
        response = client.get(url)
        assert response.status_code == 200, f"{name}: {response.status_code}"
    # The role opens the back office only, not the editors' side of the admin.
    assert client.get(reverse("wagtailimages:index")).status_code == 302


def test_editor_is_refused_every_back_office_url(editor, back_office_urls, pending_vendor, awaiting_payout):
    client = client_for(editor)
    for name, url in back_office_urls.items():
        response = client.get(url)
        assert response.status_code == 302, f"{name}: {response.status_code}"
        assert response.url == reverse("wagtailadmin_home"), name
        assert PERMISSION_MESSAGE in messages_of(response), name
    for name in ACTION_URLS:
        response = client.post(back_office_urls[name], {"reason": "Trying my luck"})
        assert response.status_code == 302, name
        assert PERMISSION_MESSAGE in messages_of(response), name

    # nothing changed
    pending_vendor.refresh_from_db()
    assert pending_vendor.verification_status == VerificationStatus.PENDING
    awaiting_payout.transaction.refresh_from_db()
    assert awaiting_payout.transaction.status == TransactionStatus.HELD
    assert not AuditLogEntry.objects.filter(actor=editor).exists()


def test_editor_gets_403_from_background_requests(editor, back_office_urls):
    client = client_for(editor)
    response = client.get(back_office_urls["vendor list results"], headers={"x-requested-with": "XMLHttpRequest"})
    assert response.status_code == 403


def test_editor_id_probing_learns_nothing(editor):
    # A missing id is refused exactly like an existing one: no 404 tells what exists.
    response = client_for(editor).get(reverse("backoffice_vendors:inspect", args=[987654]))
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")


def test_editor_sees_no_back_office_menu_or_panel(editor, pending_vendor):
    response = client_for(editor).get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "/admin/backoffice/" not in html
    assert "waiting for verification" not in html


def test_admin_sees_the_back_office_menu_and_panel(admin_user, pending_vendor):
    response = client_for(admin_user).get(reverse("wagtailadmin_home"))
    html = response.content.decode()
    for url_name in (
        "backoffice_vendors:index",
        "backoffice_bookings:index",
        "backoffice_payouts:index",
        "backoffice_ledger:index",
        "backoffice_balances:index",
        "backoffice_audit_log:index",
    ):
        assert reverse(url_name) in html, url_name
    assert "1 vendor waiting for verification" in html


@pytest.mark.parametrize("who", ["anonymous", "customer", "vendor"])
def test_customers_vendors_and_anonymous_users_cannot_reach_the_back_office(who, back_office_urls, pending_vendor):
    user = {"anonymous": None, "customer": CustomerFactory(), "vendor": pending_vendor.user}[who]
    client = client_for(user)
    for name, url in back_office_urls.items():
        response = client.get(url)
        assert response.status_code == 302, f"{name}: {response.status_code}"
        assert response.url.startswith(reverse("wagtailadmin_login")), name
    response = client.post(back_office_urls["reject form"], {"reason": "No"})
    assert response.status_code == 302
    pending_vendor.refresh_from_db()
    assert pending_vendor.verification_status == VerificationStatus.PENDING


def test_a_superuser_without_the_admin_role_holds_every_permission(back_office_urls, pending_vendor):
    superuser = AdminFactory(email="root@example.com", role="customer")
    client = client_for(superuser)
    assert client.get(back_office_urls["vendor detail"]).status_code == 200
    response = client.post(back_office_urls["verify form"], {"reason": ""})
    assert response.status_code == 302
    pending_vendor.refresh_from_db()
    assert pending_vendor.verification_status == VerificationStatus.VERIFIED


def test_an_inactive_admin_is_kept_out(back_office_urls):
    client = client_for(AdminFactory(email="gone@example.com", is_active=False, is_superuser=False))
    response = client.get(back_office_urls["vendor list"])
    assert response.status_code == 302
    assert response.url.startswith(reverse("wagtailadmin_login"))


def test_no_ledger_line_was_written_by_looking(admin_user, back_office_urls):
    lines_before = LedgerLine.objects.count()
    client = client_for(admin_user)
    for url in back_office_urls.values():
        client.get(url)
    assert LedgerLine.objects.count() == lines_before


def test_django_model_permissions_do_not_open_the_back_office(editor, back_office_urls):
    # Ticking every vendor, booking and payment permission for the editors' group changes nothing:
    # the back-office policy looks at the named staff permissions, not at model permissions.
    editor.groups.first().permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["vendors", "bookings", "payments", "core"])
    )
    client = client_for(editor)
    for name, url in back_office_urls.items():
        response = client.get(url)
        assert response.status_code == 302, name
        assert response.url == reverse("wagtailadmin_home"), name


def test_the_back_office_models_use_the_staff_permission_policy():
    for model in (Vendor, Booking, Transaction, LedgerEntry, AuditLogEntry):
        assert isinstance(policy_registry.get_by_type(model), StaffPermissionPolicy), model
