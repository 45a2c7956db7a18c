"""The back-office panel on the Wagtail dashboard."""

import pytest
from django.urls import reverse

from .conftest import client_for

pytestmark = pytest.mark.django_db


def test_admin_dashboard_counts_what_waits_and_the_money_held(admin_client, pending_vendor, awaiting_payout):
    response = admin_client.get(reverse("wagtailadmin_home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "1 vendor waiting for verification" in html
    assert "1 payout waiting for approval" in html
    assert "($255.00 to vendors)" in html
    assert "$300.00 held in escrow" in html
    assert reverse("backoffice_vendors:index") + "?verification_status=pending" in html
    assert reverse("backoffice_payouts:index") in html
    assert reverse("backoffice_balances:index") in html


def test_empty_dashboard(admin_client):
    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "0 vendors waiting for verification" in html
    assert "0 payouts waiting for approval" in html
    assert "Nothing held in escrow" in html


def test_the_role_alone_shows_the_panel(role_admin, pending_vendor):
    html = client_for(role_admin).get(reverse("wagtailadmin_home")).content.decode()
    assert "1 vendor waiting for verification" in html
