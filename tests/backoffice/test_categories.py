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
    assert "Minimum fee" in html
    assert "Platform default (no minimum)" in html
    assert reverse("backoffice_categories:edit", args=[category.pk]) in html
    assert reverse("backoffice_categories:add") in html
    assert response.context["object_list"][0].service_count == 1


def test_adding_a_category_through_the_form(admin_client, admin_user):
    response = admin_client.post(
        reverse("backoffice_categories:add"),
        {
            "name": "Attic clearing",
            "commission_percent": "12.5",
            "minimum_fee": "2.50",
            "position": "4",
            "reason": "New line of work",
        },
    )

    assert response.status_code == 302
    category = Category.objects.get(name="Attic clearing")
    assert (category.commission_bps, category.minimum_fee_minor, category.position, category.is_active) == (
        1250,
        250,
        4,
        True,
    )
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
        (
            {"name": "Attic", "minimum_fee": "-1", "position": "0", "reason": "r"},
            "Ensure this value is greater than or equal to 0.",
        ),
        (
            {"name": "Attic", "minimum_fee": "100000.01", "position": "0", "reason": "r"},
            "Ensure this value is less than or equal to 100000.00.",
        ),
        ({"name": "Attic", "minimum_fee": "two dollars", "position": "0", "reason": "r"}, "Enter a number."),
        (
            {"name": "Attic", "minimum_fee": "2.505", "position": "0", "reason": "r"},
            "Ensure that there are no more than 2 decimal places.",
        ),
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


def test_the_minimum_fee_is_edited_in_the_currency_units_and_audited(admin_client, category):
    url = reverse("backoffice_categories:edit", args=[category.pk])
    form = {"name": category.name, "position": "0", "is_active": "on"}

    response = admin_client.post(url, {**form, "minimum_fee": "0.75", "reason": "Small jobs cost us too"})

    assert response.status_code == 302
    category.refresh_from_db()
    assert category.minimum_fee_minor == 75
    entry = audit_log_for(category).get()
    assert (entry.action, entry.reason, entry.data) == (
        "category.minimum_fee_changed",
        "Small jobs cost us too",
        {"from": None, "to": 75},
    )
    page = admin_client.get(url)
    assert 'name="minimum_fee" value="0.75"' in page.content.decode()
    assert "$0.75" in admin_client.get(reverse("backoffice_categories:index")).content.decode()

    # emptied, the platform's minimum applies again
    admin_client.post(url, {**form, "minimum_fee": "", "reason": "Back to the platform's"})
    category.refresh_from_db()
    assert category.minimum_fee_minor is None


def test_the_list_shows_the_platform_minimum_and_an_explicit_none(admin_client, admin_user, category, settings):
    settings.PLATFORM_MINIMUM_FEE_MINOR = 50
    admin_client.post(
        reverse("backoffice_categories:add"),
        {"name": "Attic clearing", "minimum_fee": "0", "position": "1", "reason": "r"},
    )

    html = admin_client.get(reverse("backoffice_categories:index")).content.decode()

    assert "Platform default ($0.50)" in html  # Home decluttering
    assert "No minimum" in html  # Attic clearing
    assert Category.objects.get(name="Attic clearing").minimum_fee_minor == 0


def test_in_a_yen_marketplace_the_minimum_fee_is_typed_in_whole_yen(admin_client, category, settings):
    settings.MARKETPLACE_CURRENCY = "JPY"
    url = reverse("backoffice_categories:edit", args=[category.pk])
    form = {"name": category.name, "position": "0", "is_active": "on", "reason": "r"}
    before = data_snapshot()

    response = admin_client.post(url, {**form, "minimum_fee": "300.5"})

    assert response.status_code == 200
    assert "Enter a whole amount: JPY has no decimal places." in response.content.decode()
    assert changed_tables(before, data_snapshot()) == []

    admin_client.post(url, {**form, "minimum_fee": "300"})
    category.refresh_from_db()
    assert category.minimum_fee_minor == 300
    assert "Minimum fee (JPY)" in admin_client.get(url).content.decode()
    assert "¥300" in admin_client.get(reverse("backoffice_categories:index")).content.decode()
