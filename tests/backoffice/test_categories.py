"""The back office's categories: a list, and Add / Edit forms that go through the catalog services."""

import pytest
from django.urls import reverse

from marketplace.catalog.models import Category
from marketplace.core.audit import audit_log_for
from tests.snapshots import changed_tables, data_snapshot

from .conftest import messages_of

pytestmark = pytest.mark.django_db


def test_the_list_shows_each_category_with_its_commission_services_and_page(admin_client, service, category):
    response = admin_client.get(reverse("backoffice_categories:index"))

    assert response.status_code == 200
    assert [c.pk for c in response.context["object_list"]] == [category.pk]
    html = response.content.decode()
    assert "Home decluttering" in html
    assert "Platform default (15%)" in html
    assert reverse("backoffice_categories:edit", args=[category.pk]) in html
    assert reverse("backoffice_categories:add") in html
    assert response.context["object_list"][0].service_count == 1


def test_adding_a_category_through_the_form(admin_client, admin_user):
    response = admin_client.post(
        reverse("backoffice_categories:add"),
        {"name": "Attic clearing", "commission_percent": "12.5", "position": "4", "reason": "New line of work"},
    )

    assert response.status_code == 302
    category = Category.objects.get(name="Attic clearing")
    assert (category.commission_bps, category.position, category.is_active) == (1250, 4, True)
    assert messages_of(response) == [
        "Category “Attic clearing” added. An editor can now publish a page that presents it."
    ]
    assert audit_log_for(category).get().actor == admin_user


def test_editing_the_commission_through_the_form_is_audited(admin_client, category):
    response = admin_client.post(
        reverse("backoffice_categories:edit", args=[category.pk]),
        {"name": category.name, "commission_percent": "10", "position": "0", "is_active": "on", "reason": "Promo"},
    )

    assert response.status_code == 302
    assert messages_of(response) == ["Category “Home decluttering” saved."]
    category.refresh_from_db()
    assert category.commission_bps == 1000
    assert audit_log_for(category).get().action == "category.commission_changed"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "", "position": "0", "reason": "r"}, "This field is required."),
        ({"name": "Attic", "position": "0", "reason": ""}, "Reason is required."),
        ({"name": "Attic", "commission_percent": "101", "position": "0", "reason": "r"}, "less than or equal to 100"),
        ({"name": "Home decluttering", "position": "0", "reason": "r"}, "A category named"),
        ({"name": "Attic\u0007", "position": "0", "reason": "r"}, "cannot contain line breaks or control characters"),
    ],
)
def test_bad_form_input_is_shown_on_the_form_and_writes_nothing(admin_client, category, data, error):
    before = data_snapshot()

    response = admin_client.post(reverse("backoffice_categories:add"), data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert changed_tables(before, data_snapshot()) == []


def test_editors_and_organizers_cannot_open_or_change_categories(client, editor, vendor, category):
    for user in (editor, vendor.user):
        client.force_login(user)
        before = data_snapshot()
        for url in (
            reverse("backoffice_categories:index"),
            reverse("backoffice_categories:add"),
            reverse("backoffice_categories:edit", args=[category.pk]),
        ):
            assert client.get(url).status_code in (302, 403), url
        client.post(reverse("backoffice_categories:add"), {"name": "Sneaky", "position": "0", "reason": "r"})
        assert changed_tables(before, data_snapshot()) == []
