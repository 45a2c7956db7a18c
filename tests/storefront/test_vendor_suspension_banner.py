"""The organizer's dashboard after a suspension: the reason, and what happened to their bookings."""

import pytest
from django.urls import reverse

from marketplace.vendors.services import vendor_verify

pytestmark = pytest.mark.django_db


def test_a_suspended_organizer_sees_the_reason_and_what_happened_to_their_bookings(browser_as, vendor, admin_user):
    vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision="suspended", reason="Three <b>no-shows</b>.")

    page = browser_as(vendor.user).get(reverse("storefront:vendor_dashboard"))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Your account is suspended" in html
    assert "Reason: Three &lt;b&gt;no-shows&lt;/b&gt;." in html  # escaped on the page
    assert "Your confirmed bookings that had not started were cancelled and their customers refunded in full" in html


def test_a_reinstated_organizer_sees_no_banner(browser_as, vendor, admin_user):
    vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision="suspended", reason="No-shows")
    vendor_verify(admin=admin_user, vendor_id=vendor.pk, decision="reinstated", reason="Resolved")

    html = browser_as(vendor.user).get(reverse("storefront:vendor_dashboard")).content.decode()

    assert "Your account is suspended" not in html
    assert "Resolved" not in html
