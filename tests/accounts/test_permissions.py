"""Named staff permissions: the groups hold what the code says, admins hold all, the refund limit."""

import pytest
from django.contrib.auth.models import Group

from marketplace.accounts.errors import NotPermitted
from marketplace.accounts.permissions import ALL, EDITORS, GROUP_PERMISSIONS, Perm
from marketplace.accounts.policy import has_permission, refund_limit, require_permission, require_refund_permission
from marketplace.core.money import Money
from tests.factories import AdminFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def member(*groups: str):
    user = CustomerFactory(role="staff", is_staff=True)
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user


def held_by(user) -> set[str]:
    return {perm for perm in ALL if has_permission(user, perm)}


@pytest.mark.parametrize("group", sorted(GROUP_PERMISSIONS))
def test_each_group_holds_exactly_the_permissions_the_code_names(group):
    assert held_by(member(group)) == set(GROUP_PERMISSIONS[group])
    assert Group.objects.get(name=group).permissions.filter(codename="access_admin").exists()


def test_editors_hold_nothing_about_organizers_bookings_or_money():
    assert held_by(member(EDITORS, "Moderators")) == set()


def test_admins_hold_every_permission_by_role_and_superusers_by_flag():
    assert held_by(AdminFactory(is_superuser=False)) == set(ALL)
    assert held_by(AdminFactory(role="customer", is_superuser=True)) == set(ALL)


def test_no_one_else_holds_any_and_an_inactive_admin_holds_none():
    assert held_by(CustomerFactory()) == set()
    assert held_by(AdminFactory(is_active=False)) == set()
    assert held_by(None) == set()


def test_a_refusal_names_what_was_refused():
    with pytest.raises(NotPermitted, match="You do not have permission to resolve disputes"):
        require_permission(member("Finance"), Perm.RESOLVE_DISPUTES, to="resolve disputes")


def test_the_refund_limit(settings):
    settings.STAFF_REFUND_LIMIT_MINOR = 20000
    support, finance = member("Support"), member("Finance")

    assert (refund_limit(support), refund_limit(finance), refund_limit(member(EDITORS))) == (
        Money(20000, "USD"),
        None,
        Money(0, "USD"),
    )
    require_refund_permission(support, Money(20000, "USD"))
    with pytest.raises(NotPermitted, match=r"at most \$200.00 at once; ask finance to refund \$200.01"):
        require_refund_permission(support, Money(20001, "USD"))
    require_refund_permission(finance, Money(10_000_000, "USD"))
    with pytest.raises(NotPermitted, match="You do not have permission to refund payments"):
        require_refund_permission(member(EDITORS), Money(1, "USD"))
