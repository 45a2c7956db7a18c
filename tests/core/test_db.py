"""core.db: calls queued with after_commit run once the outermost unit commits, never on rollback; update_rows;
value_rows."""

from datetime import UTC, datetime

import pytest
from django.db import transaction

from marketplace.accounts.models import User
from marketplace.core.db import after_commit, in_transaction, unit_of_work, update_rows, value_rows
from marketplace.payments.gateways import GatewayCalledInTransaction, assert_outside_transaction

pytestmark = pytest.mark.django_db


def test_calls_run_after_the_outermost_unit_commits_in_order():
    ran = []
    with unit_of_work():
        after_commit(lambda: ran.append(("first", in_transaction())))
        with unit_of_work():
            after_commit(lambda: ran.append(("nested", in_transaction())))
        assert ran == []

    assert ran == [("first", False), ("nested", False)]


def test_a_rolled_back_unit_runs_nothing():
    ran = []
    with pytest.raises(RuntimeError), unit_of_work():
        after_commit(lambda: ran.append("never"))
        raise RuntimeError("boom")

    assert ran == []


def test_outside_any_transaction_a_call_runs_at_once():
    ran = []
    after_commit(lambda: ran.append("now"))
    assert ran == ["now"]


def test_the_gateway_guard_sees_our_transactions_but_not_the_test_cases():
    assert_outside_transaction()  # the test case's own wrapping transaction does not count
    with transaction.atomic(), pytest.raises(GatewayCalledInTransaction):
        assert_outside_transaction()


def test_update_rows_sets_each_rows_own_values_in_one_statement(
    customer, other_customer, admin_user, django_assert_num_queries
):
    when = datetime(2026, 11, 30, 21, 15, 7, 123456, tzinfo=UTC)
    admin_user.last_login = when
    admin_user.save()

    with django_assert_num_queries(1):
        updated = update_rows(
            User,
            ["full_name", "last_login"],
            {
                customer.pk: ["Ann O'Brien; DROP TABLE x", None],  # a NULL first: PostgreSQL needs the column's type
                other_customer.pk: ["", when],
            },
        )

    assert updated == 2
    rows = dict(User.objects.values_list("pk", "full_name"))
    assert (rows[customer.pk], rows[other_customer.pk]) == ("Ann O'Brien; DROP TABLE x", "")
    assert User.objects.get(pk=customer.pk).last_login is None
    assert User.objects.get(pk=other_customer.pk).last_login == when
    assert User.objects.get(pk=admin_user.pk).last_login == when  # not named: untouched
    assert update_rows(User, ["full_name"], {}) == 0


def test_value_rows_gives_what_the_queryset_gives_with_the_same_aware_datetimes():
    from datetime import timedelta

    from marketplace.availability.models import BusyTime
    from tests.factories import VendorFactory

    now = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    vendor = VendorFactory()
    calendar = vendor.external_calendars.create(
        name="Work", url="https://example.com/a.ics", url_digest="a" * 64, refresh_minutes=30, next_fetch_at=now
    )
    for hours in (5, 1, 3):
        BusyTime.objects.create(
            calendar=calendar,
            vendor=vendor,
            starts_at=now + timedelta(hours=hours),
            ends_at=now + timedelta(hours=hours + 1),
        )
    ordered = BusyTime.objects.filter(vendor=vendor).order_by("-starts_at").values_list("starts_at", "ends_at", "id")

    rows = value_rows(ordered)

    assert rows == list(ordered.all())
    assert [start.tzinfo for start, _, _ in rows] == [start.tzinfo for start, _, _ in ordered.all()]
    assert value_rows(BusyTime.objects.filter(pk__in=[]).values_list("starts_at")) == []
    # Not a values_list of tuples: the queryset itself decides.
    assert value_rows(BusyTime.objects.filter(vendor=vendor).order_by("id").values_list("id", flat=True)) == list(
        BusyTime.objects.filter(vendor=vendor).order_by("id").values_list("id", flat=True)
    )
