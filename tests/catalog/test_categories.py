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

MINIMUM_FEE_MESSAGE = (
    "The minimum fee must be a whole number of minor units of USD from 0 to 10000000 ($100,000.00), or empty."
)


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
        {"name": "Attic clearing", "commission_bps": 1200, "minimum_fee_minor": None},
    )


def test_a_commission_change_is_audited_with_the_old_and_new_rate(admin_user, category):
    category_update(
        admin=admin_user,
        category_id=category.pk,
        name=category.name,
        commission_bps=900,
        minimum_fee_minor=None,
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
        admin=admin_user,
        category_id=category.pk,
        name=category.name,
        commission_bps=1000,
        minimum_fee_minor=None,
        position=0,
        is_active=True,
    )

    service.refresh_from_db()
    assert commission_bps_for(service) == 1000


def test_other_changes_are_audited_by_field_name_and_no_change_writes_nothing(admin_user, category):
    category_update(
        admin=admin_user,
        category_id=category.pk,
        name="Decluttering",
        commission_bps=None,
        minimum_fee_minor=None,
        position=3,
        is_active=True,
    )
    before = data_snapshot()
    category_update(
        admin=admin_user,
        category_id=category.pk,
        name="Decluttering",
        commission_bps=None,
        minimum_fee_minor=None,
        position=3,
        is_active=True,
    )

    assert changed_tables(before, data_snapshot()) == []
    entry = audit_log_for(category).get()
    assert (entry.action, entry.data) == (
        "category.updated",
        {
            "fields": ["name", "position"],
            "from": {"name": "Home decluttering", "position": 0},
            "to": {"name": "Decluttering", "position": 3},
        },
    )


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
        ({"minimum_fee_minor": -1}, "minimum_fee_minor", MINIMUM_FEE_MESSAGE),
        ({"minimum_fee_minor": 10_000_001}, "minimum_fee_minor", MINIMUM_FEE_MESSAGE),
        ({"minimum_fee_minor": "500"}, "minimum_fee_minor", MINIMUM_FEE_MESSAGE),
        ({"minimum_fee_minor": 5.5}, "minimum_fee_minor", MINIMUM_FEE_MESSAGE),
        ({"minimum_fee_minor": True}, "minimum_fee_minor", MINIMUM_FEE_MESSAGE),
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
        assert error.value.code == "not_permitted"
        with pytest.raises(PermissionDenied):
            category_update(
                admin=user,
                category_id=category.pk,
                name="X",
                commission_bps=0,
                minimum_fee_minor=0,
                position=0,
                is_active=True,
            )

    assert changed_tables(before, data_snapshot()) == []


def test_an_inactive_category_takes_no_new_services_but_keeps_its_own(admin_user, vendor, category):
    existing = ServiceFactory(vendor=vendor, category=category)
    category_update(
        admin=admin_user,
        category_id=category.pk,
        name=category.name,
        commission_bps=None,
        minimum_fee_minor=None,
        position=0,
        is_active=False,
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


def test_an_admin_sets_a_minimum_fee_on_a_new_category(admin_user):
    category = category_create(admin=admin_user, name="Attic clearing", minimum_fee_minor=2500, reason="Small jobs")

    assert Category.objects.get(pk=category.pk).minimum_fee_minor == 2500
    assert audit_log_for(category).get().data == {
        "name": "Attic clearing",
        "commission_bps": None,
        "minimum_fee_minor": 2500,
    }


def test_a_minimum_fee_change_is_audited_with_the_old_and_new_fee(admin_user, category):
    def update(minimum_fee_minor, reason):
        category_update(
            admin=admin_user,
            category_id=category.pk,
            name=category.name,
            commission_bps=None,
            minimum_fee_minor=minimum_fee_minor,
            position=category.position,
            is_active=True,
            reason=reason,
        )

    update(500, "Small jobs cost us too")
    update(0, "No minimum in this category")
    update(None, "Back to the platform's")

    category.refresh_from_db()
    assert category.minimum_fee_minor is None
    entries = audit_log_for(category).order_by("pk")
    assert [(entry.action, entry.reason, entry.data) for entry in entries] == [
        ("category.minimum_fee_changed", "Small jobs cost us too", {"from": None, "to": 500}),
        ("category.minimum_fee_changed", "No minimum in this category", {"from": 500, "to": 0}),
        ("category.minimum_fee_changed", "Back to the platform's", {"from": 0, "to": None}),
    ]


def test_changing_the_commission_and_the_minimum_fee_together_audits_each(admin_user, category):
    category_update(
        admin=admin_user,
        category_id=category.pk,
        name=category.name,
        commission_bps=1200,
        minimum_fee_minor=750,
        position=5,
        is_active=True,
        reason="New terms",
    )

    entries = audit_log_for(category).order_by("pk")
    assert [(entry.action, entry.data) for entry in entries] == [
        ("category.commission_changed", {"from": None, "to": 1200}),
        ("category.minimum_fee_changed", {"from": None, "to": 750}),
        ("category.updated", {"fields": ["position"], "from": {"position": 0}, "to": {"position": 5}}),
    ]


@pytest.mark.parametrize("minimum_fee_minor", [-1, 10_000_001, "500", 5.5])
def test_a_bad_minimum_fee_on_an_update_is_refused_and_writes_nothing(admin_user, category, minimum_fee_minor):
    before = data_snapshot()

    with pytest.raises(ValidationFailed) as error:
        category_update(
            admin=admin_user,
            category_id=category.pk,
            name="Renamed",
            commission_bps=900,
            minimum_fee_minor=minimum_fee_minor,
            position=0,
            is_active=True,
        )

    assert (error.value.field, error.value.message) == ("minimum_fee_minor", MINIMUM_FEE_MESSAGE)
    assert changed_tables(before, data_snapshot()) == []


def test_the_minimum_fee_message_names_the_marketplace_currency(admin_user, settings):
    settings.MARKETPLACE_CURRENCY = "JPY"

    with pytest.raises(ValidationFailed) as error:
        category_create(admin=admin_user, name="Attic clearing", minimum_fee_minor=-1)

    assert error.value.message == (
        "The minimum fee must be a whole number of minor units of JPY from 0 to 10000000 (¥10,000,000), or empty."
    )
