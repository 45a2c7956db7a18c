"""unit_of_work: what is queued with after_commit runs once the outermost unit commits, never on rollback."""

import pytest
from django.db import transaction

from marketplace.core.db import after_commit, in_transaction, unit_of_work
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
