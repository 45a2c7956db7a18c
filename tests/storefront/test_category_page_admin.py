"""Editors may not delete a category page whose category still lists services: a clear refusal, not a 500."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from storefront.models import CategoryIndexPage, CategoryPage
from tests.factories import make_category

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(admin_user) -> Client:
    browser = Client()
    browser.force_login(admin_user)
    return browser


def _messages(response) -> list[str]:
    return [str(message).strip() for message in get_messages(response.wsgi_request)]


def test_deleting_a_category_page_with_services_is_refused_naming_them(admin_browser, service, category_page):
    # given a category page whose category lists a service
    delete_url = reverse("wagtailadmin_pages:delete", args=[category_page.pk])

    # when an admin asks to delete it, and when they confirm
    for method in (admin_browser.get, admin_browser.post):
        response = method(delete_url)

        # then both end in the explorer with a refusal that names the service and its organizer
        assert response.status_code == 302
        assert response.url == reverse("wagtailadmin_explore", args=[category_page.get_parent().pk])
        assert _messages(admin_browser.get(response.url)) == [
            "“Home decluttering” cannot be deleted: it presents the category “Home decluttering”, which still "
            "lists services: “Whole-home declutter” (Calm Spaces). Its organizers move them to another category "
            "first, or an admin retires the category in the back office; you can unpublish the page meanwhile."
        ]
    # and nothing was deleted
    assert CategoryPage.objects.filter(pk=category_page.pk).exists()


def test_deleting_the_page_above_category_pages_in_use_is_refused(admin_browser, service, category_page):
    index = CategoryIndexPage.objects.get()

    response = admin_browser.post(reverse("wagtailadmin_pages:delete", args=[index.pk]))

    assert response.status_code == 302
    assert "“Whole-home declutter” (Calm Spaces)" in _messages(response)[0]
    assert CategoryIndexPage.objects.filter(pk=index.pk).exists()
    assert CategoryPage.objects.filter(pk=category_page.pk).exists()


def test_bulk_deleting_category_pages_in_use_is_refused(admin_browser, service, category_page):
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "delete"])

    response = admin_browser.post(f"{url}?id={category_page.pk}&next=/admin/pages/", {"confirm": "yes"})

    assert response.status_code == 302
    assert response.url == "/admin/pages/"
    assert "“Whole-home declutter” (Calm Spaces)" in _messages(response)[0]
    assert CategoryPage.objects.filter(pk=category_page.pk).exists()


def test_a_category_page_without_services_can_be_deleted(admin_browser):
    empty = make_category("Attic clearing").page

    response = admin_browser.post(reverse("wagtailadmin_pages:delete", args=[empty.pk]))

    assert response.status_code == 302
    assert not CategoryPage.objects.filter(pk=empty.pk).exists()


def test_the_refusal_escapes_what_organizers_typed(admin_browser, vendor, category):
    from tests.factories import ServiceFactory

    ServiceFactory(vendor=vendor, category=category, title="<b>Closets</b> & more")

    response = admin_browser.post(reverse("wagtailadmin_pages:delete", args=[category.page.pk]))

    assert "“&lt;b&gt;Closets&lt;/b&gt; &amp; more” (Calm Spaces)" in _messages(response)[0]
