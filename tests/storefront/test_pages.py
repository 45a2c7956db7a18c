"""Every page type renders, with the content a visitor comes for."""

import re

import pytest
from django.urls import reverse

from storefront.models import CategoryIndexPage, HomePage, VendorIndexPage

from .conftest import service_url

pytestmark = pytest.mark.django_db


def test_home_page_shows_categories_and_featured_services(client, service, category_page):
    response = client.get("/")

    assert response.status_code == 200
    assert isinstance(response.context["page"], HomePage)
    content = response.content.decode()
    assert "Find a professional organizer you can trust" in content
    assert category_page.title in content
    assert service.title in content
    assert "$300.00" in content
    assert 'href="/search/"' in content or "/search/" in content


def test_header_menu_lists_categories_and_login_links(client, category_page):
    response = client.get("/")

    content = response.content.decode()
    assert f'href="{category_page.url}"' in content
    assert reverse("account_login") in content
    assert reverse("account_signup") in content
    assert "My bookings" not in content


def test_header_shows_account_menu_for_customers_and_organizer_area_for_vendors(browser_as, customer, vendor):
    customer_page = browser_as(customer).get("/").content.decode()
    vendor_page = browser_as(vendor.user).get("/").content.decode()

    assert "My bookings" in customer_page
    assert "Organizer area" not in customer_page.split("<footer")[0]
    assert "Organizer area" in vendor_page
    assert "Sign out" in customer_page


def test_categories_index_lists_categories(client, category_page):
    index = CategoryIndexPage.objects.get()

    response = client.get(index.url)

    assert response.status_code == 200
    assert category_page.title in response.content.decode()


def test_category_page_lists_its_services(client, service, category_page):
    response = client.get(category_page.url)

    assert response.status_code == 200
    assert [s.pk for s in response.context["page_obj"].object_list] == [service.pk]
    assert service_url(service) in response.content.decode()


def test_category_page_paginates(client, vendor, category, category_page):
    from tests.factories import ServiceFactory

    ServiceFactory.create_batch(13, vendor=vendor, category=category)

    first = client.get(category_page.url)
    second = client.get(category_page.url, {"page": 2})

    assert len(first.context["page_obj"].object_list) == 12
    assert len(second.context["page_obj"].object_list) == 1
    assert "?page=2" in first.content.decode()


def test_landing_page_shows_featured_category_services(client, landing_page, service):
    response = client.get(landing_page.url)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Spring into a calmer home" in content
    assert service.title in content


def test_organizers_index_lists_verified_organizers(client, vendor, portfolio_page, unverified_vendor_user):
    response = client.get(VendorIndexPage.objects.get().url)

    assert response.status_code == 200
    content = response.content.decode()
    assert vendor.business_name in content
    assert portfolio_page.url in content


def test_portfolio_page_shows_services_rating_and_reviews(client, portfolio_page, service):
    response = client.get(portfolio_page.url)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Calm homes, kind help" in content
    assert service.title in content
    assert response.context["rating"] == {"average": None, "count": 0}
    assert "No reviews yet" in content


def test_service_page_shows_description_vendor_price_and_slots(client, service, portfolio_page):
    response = client.get(service_url(service))

    assert response.status_code == 200
    content = response.content.decode()
    assert service.title in content
    assert "$300.00" in content
    assert "3 hours" in content
    assert f'href="{portfolio_page.url}"' in content  # the vendor card links to the portfolio
    assert response.context["time_zone"] == "America/New_York"
    assert response.context["slot_count"] > 0
    assert len(response.context["slot_days"]) == 14
    assert "Log in to book" in content  # anonymous visitors see times but are asked to log in


def test_service_page_with_a_wrong_slug_redirects_to_the_right_one(client, service):
    response = client.get(reverse("storefront:service_detail", args=[service.pk, "old-name"]))

    assert response.status_code == 301
    assert response["Location"] == service_url(service)


def test_service_of_an_unverified_vendor_is_not_found(client, service):
    service.vendor.verification_status = "suspended"
    service.vendor.save()

    response = client.get(service_url(service))

    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()


def test_vendor_without_portfolio_has_a_public_page(client, service, vendor):
    response = client.get(reverse("storefront:vendor_detail", args=[vendor.slug]))

    assert response.status_code == 200
    content = response.content.decode()
    assert vendor.business_name in content
    assert service.title in content


def test_vendor_public_page_redirects_to_the_portfolio_when_there_is_one(client, vendor, portfolio_page):
    response = client.get(reverse("storefront:vendor_detail", args=[vendor.slug]))

    assert response.status_code == 302
    assert response["Location"] == portfolio_page.url


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()


def test_login_and_signup_pages_render_in_the_storefront_frame(client):
    login = client.get(reverse("account_login"))
    signup = client.get(reverse("account_signup"), {"role": "vendor"})
    reset = client.get(reverse("account_reset_password"))

    assert login.status_code == signup.status_code == reset.status_code == 200
    assert "Welcome back" in login.content.decode()
    signup_content = signup.content.decode()
    assert 'name="full_name"' in signup_content
    assert 'value="vendor" id="id_role_1" required checked' in signup_content
    assert "Reset your password" in reset.content.decode()


def test_pages_load_no_third_party_assets_or_inline_scripts(client, service):
    content = client.get(service_url(service)).content.decode()

    head = content.split("<body")[0]
    # No asset from another host; the only absolute address is the page's canonical link (and
    # schema.org's name inside the JSON-LD data block, which loads nothing).
    assert not re.search(r'src="https?://', head)
    assert not re.search(r'<link (?![^>]*rel="canonical")[^>]*href="https?://', head)
    assert "<script>" not in content
    assert " onclick=" not in content
    assert 'style="' not in content


def test_server_error_page_renders_without_a_request():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")

    assert "Something went wrong on our side" in html
    assert "/static/css/tokens.css" in html


def test_organizer_sign_up_leads_to_the_profile_form(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "nora@example.com",
            "full_name": "Nora Neat",
            "role": "vendor",
            "password1": "tidy-nest-2026!",
            "password2": "tidy-nest-2026!",
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("storefront:vendor_profile")
    assert "Create your organizer profile" in response.content.decode()


def test_sign_up_cannot_make_an_admin(client):
    from marketplace.accounts.models import User

    client.post(
        reverse("account_signup"),
        {
            "email": "eve@example.com",
            "full_name": "Eve",
            "role": "admin",
            "password1": "tidy-nest-2026!",
            "password2": "tidy-nest-2026!",
        },
    )

    assert not User.objects.filter(email="eve@example.com", role="admin").exists()


def test_sign_out_from_the_account_menu(browser_as, customer):
    browser = browser_as(customer)

    confirm = browser.get(reverse("account_logout"))
    response = browser.post(reverse("account_logout"), follow=True)

    assert "Sign out?" in confirm.content.decode()
    assert response.status_code == 200
    assert "Log in" in response.content.decode()
    assert "_auth_user_id" not in browser.session
