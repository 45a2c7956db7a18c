"""Text that people type is checked where it is stored: a title is one line."""

import pytest
from django.urls import reverse

from marketplace.catalog.models import Service
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db


def _body(category, **changes):
    return {
        "category_id": category.pk,
        "title": "Closet reset",
        "pricing_model": "fixed",
        "base_price_minor": 20000,
        "duration_minutes": 120,
        **changes,
    }


@pytest.mark.parametrize("title", ["Closet\nreset", "Closet\r\nreset", "Closet\treset", "Closet\u2028reset"])
def test_a_title_with_a_line_break_is_refused_by_the_api(api, vendor, category, title):
    api.as_user(vendor.user)
    before = data_snapshot()

    response = api.post("catalog/services", _body(category, title=title))

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Title cannot contain line breaks or control characters.",
        "code": "validation_failed",
        "field": "title",
    }
    assert changed_tables(before, data_snapshot()) == []


def test_editing_a_title_to_two_lines_is_refused(api, vendor, service):
    api.as_user(vendor.user)
    before = data_snapshot()

    response = api.patch(f"catalog/services/{service.pk}", {"title": "Whole-home\ndeclutter"})

    assert response.status_code == 400
    assert changed_tables(before, data_snapshot()) == []


def test_a_description_keeps_its_paragraphs(api, vendor, category):
    response = api.as_user(vendor.user).post(
        "catalog/services", _body(category, description="First room.\r\n\r\nThen the next.\n")
    )

    assert response.status_code == 201
    assert Service.objects.get(pk=response.json()["id"]).description == "First room.\n\nThen the next."


def test_the_storefront_form_shows_the_refusal_on_the_title(client, vendor, category):
    client.force_login(vendor.user)
    before = data_snapshot()

    response = client.post(
        reverse("storefront:vendor_service_new"),
        {
            "title": "Closet\rreset",
            "category": str(category.pk),
            "pricing_model": "fixed",
            "price": "200",
            "duration_minutes": "120",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["title"] == ["Title cannot contain line breaks or control characters."]
    assert changed_tables(before, data_snapshot()) == []
