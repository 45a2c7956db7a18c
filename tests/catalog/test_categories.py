"""Categories are the domain's: admins create and edit them through the catalog services, audited."""

import pytest

from marketplace.catalog.models import Category
from marketplace.catalog.selectors import category_list
from marketplace.catalog.services import category_create, category_update, service_create
from marketplace.core.audit import audit_log_for
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.payments.services import commission_bps_for
from tests.factories import ServiceFactory
from tests.snapshots import changed_tables, data_snapshot

pytestmark = pytest.mark.django_db


def test_an_admin_creates_a_category_with_a_slug_and_an_audit_entry(admin_user):
    category = category_create(admin=admin_user, name="  Attic clearing ", commission_bps=1200, reason="New line")

    assert (category.name, category.slug, category.commission_bps, category.is_active) == (
        "Attic clearing",
        "attic-clearing",
        1200,
        True,
    )
    entry = audit_log_for(category).get()
    assert (entry.actor, entry.action, entry.reason, entry.data) == (
        admin_user,
        "category.created",
        "New line",
        {"name": "Attic clearing", "commission_bps": 1200},
    )


def test_a_commission_change_is_audited_with_the_old_and_new_rate(admin_user, category):
    category_update(
        admin=admin_user,
        category_id=category.pk,
        name=category.name,
        commission_bps=900,
        position=category.position,
        is_active=True,
        reason="Launch offer",
    )

    category.refresh_from_db()
    assert category.commission_bps == 900
    entry = audit_log_for(category).get()
    assert (entry.action, entry.reason, entry.data) == (
        "category.commission_changed",
        "Launch offer",
        {"from": None, "to": 900},
    )


def test_the_category_commission_is_what_payments_use(admin_user, vendor, category):
    service = ServiceFactory(vendor=vendor, category=category)
    category_update(
        admin=admin_user, category_id=category.pk, name=category.name, commission_bps=1000, position=0, is_active=True
    )

    service.refresh_from_db()
    assert commission_bps_for(service) == 1000


def test_other_changes_are_audited_by_field_name_and_no_change_writes_nothing(admin_user, category):
    category_update(
        admin=admin_user, category_id=category.pk, name="Decluttering", commission_bps=None, position=3, is_active=True
    )
    before = data_snapshot()
    category_update(
        admin=admin_user, category_id=category.pk, name="Decluttering", commission_bps=None, position=3, is_active=True
    )

    assert changed_tables(before, data_snapshot()) == []
    entry = audit_log_for(category).get()
    assert (entry.action, entry.data) == ("category.updated", {"fields": ["name", "position"]})


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "Name is required."),
        ({"name": "Closets\nand more"}, "name", "Name cannot contain line breaks or control characters."),
        ({"name": "x" * 121}, "name", "Name must be at most 120 characters."),
        ({"name": "home DECLUTTERING"}, "name", "A category named 'home DECLUTTERING' already exists."),
        (
            {"commission_bps": 10001},
            "commission_bps",
            "The commission must be a whole number of basis points from 0 to 10000 (1500 = 15%), or empty.",
        ),
        (
            {"commission_bps": -1},
            "commission_bps",
            "The commission must be a whole number of basis points from 0 to 10000 (1500 = 15%), or empty.",
        ),
        ({"position": -1}, "position", "The position must be a whole number from 0 to 10000."),
    ],
)
def test_bad_category_input_is_refused_and_writes_nothing(admin_user, category, changes, field, message):
    before = data_snapshot()

    with pytest.raises(ValidationFailed) as error:
        category_create(admin=admin_user, **{"name": "Attic clearing", **changes})

    assert (error.value.field, error.value.message) == (field, message)
    assert changed_tables(before, data_snapshot()) == []


def test_only_admins_change_categories(vendor, customer, category):
    before = data_snapshot()

    for user in (vendor.user, customer):
        with pytest.raises(PermissionDenied) as error:
            category_create(admin=user, name="Attic clearing")
        assert error.value.code == "admin_only"
        with pytest.raises(PermissionDenied):
            category_update(admin=user, category_id=category.pk, name="X", commission_bps=0, position=0, is_active=True)

    assert changed_tables(before, data_snapshot()) == []


def test_an_inactive_category_takes_no_new_services_but_keeps_its_own(admin_user, vendor, category):
    existing = ServiceFactory(vendor=vendor, category=category)
    category_update(
        admin=admin_user, category_id=category.pk, name=category.name, commission_bps=None, position=0, is_active=False
    )

    assert list(category_list()) == []
    with pytest.raises(ValidationFailed) as error:
        service_create(
            user=vendor.user,
            category_id=category.pk,
            title="Pantry reset",
            pricing_model="fixed",
            base_price_minor=10000,
            duration_minutes=60,
        )
    assert (error.value.field, error.value.message) == ("category_id", f"Category {category.pk} does not exist.")
    existing.refresh_from_db()
    assert existing.category_id == category.pk
    assert Category.objects.get(pk=category.pk).services.count() == 1
