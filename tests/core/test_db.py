"""core.db: calls queued with after_commit run once the outermost unit commits, never on rollback; update_rows."""

from datetime import UTC, datetime

import pytest
from django.db import transaction

from marketplace.accounts.models import User
from marketplace.core.db import after_commit, in_transaction, unit_of_work, update_rows
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
