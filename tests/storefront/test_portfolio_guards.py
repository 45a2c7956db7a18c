"""Only verified organizers have public portfolios; editors cannot point a portfolio at another
organizer or delete one (an admin can)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from marketplace.vendors.models import VerificationStatus
from storefront.models import VendorIndexPage, VendorPortfolioPage
from tests.factories import CustomerFactory, VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_browser() -> Client:
    editor = CustomerFactory(email="editor@example.com", role="staff", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    browser = Client()
    browser.force_login(editor)
    return browser


def new_portfolio(vendor) -> VendorPortfolioPage:
    return VendorPortfolioPage(title=vendor.business_name, slug=vendor.slug, vendor=vendor)


def test_a_portfolio_cannot_be_made_for_an_organizer_not_yet_verified(db):
    pending = VendorFactory(business_name="Pending Pat", verification_status=VerificationStatus.PENDING)
    page = new_portfolio(pending)
    with pytest.raises(ValidationError) as refused:
        VendorIndexPage.objects.get().add_child(instance=page)
    assert "Pending Pat is not verified yet" in str(refused.value.message_dict["vendor"])
    assert not VendorPortfolioPage.objects.filter(vendor=pending).exists()


def test_a_portfolio_stays_with_its_organizer(portfolio_page, other_vendor):
    page = VendorPortfolioPage.objects.get(pk=portfolio_page.pk)
    page.vendor = other_vendor
    with pytest.raises(ValidationError) as refused:
        page.save_revision()
    assert "stays with the organizer" in str(refused.value.message_dict["vendor"])
    assert VendorPortfolioPage.objects.get(pk=portfolio_page.pk).vendor_id == portfolio_page.vendor_id


def test_an_edit_of_a_suspended_organizer_s_page_is_still_saved(portfolio_page):
    vendor = portfolio_page.vendor
    vendor.verification_status = VerificationStatus.SUSPENDED
    vendor.save(update_fields=["verification_status"])
    page = VendorPortfolioPage.objects.get(pk=portfolio_page.pk)
    page.headline = "Back soon"
    page.save_revision()  # no refusal: the organizer is the same one


def test_a_suspended_organizer_s_portfolio_is_not_shown_or_listed(client, portfolio_page):
    assert client.get(portfolio_page.url).status_code == 200
    vendor = portfolio_page.vendor
    vendor.verification_status = VerificationStatus.SUSPENDED
    vendor.save(update_fields=["verification_status"])
    assert client.get(portfolio_page.url).status_code == 404
    cache.clear()
    assert portfolio_page.url not in client.get("/sitemap.xml").content.decode()


def test_editors_cannot_delete_a_portfolio(editor_browser, portfolio_page):
    for method in (editor_browser.get, editor_browser.post):
        response = method(reverse("wagtailadmin_pages:delete", args=[portfolio_page.pk]))
        assert response.status_code in (302, 403)
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "delete"])
    editor_browser.post(f"{url}?id={portfolio_page.pk}&next=/admin/pages/", {"confirm": "yes"})
    assert VendorPortfolioPage.objects.filter(pk=portfolio_page.pk).exists()


def test_an_admin_can_delete_a_portfolio(admin_user, portfolio_page):
    browser = Client()
    browser.force_login(admin_user)
    response = browser.post(reverse("wagtailadmin_pages:delete", args=[portfolio_page.pk]))
    assert response.status_code == 302
    assert not VendorPortfolioPage.objects.filter(pk=portfolio_page.pk).exists()
