"""Transactions that say what must happen only once they have committed.

A payment gateway is never called while a database transaction or row lock is open
(the money service records its intent, commits, calls, then applies the answer in a
new transaction). ``unit_of_work()`` is ``transaction.atomic()`` plus a list of calls
to make after the outermost unit commits; code inside it queues them with
``after_commit()``. Unlike ``transaction.on_commit`` it also runs them under the test
runner's own wrapping transaction, so tests take the same path as production.

``in_transaction()`` ignores the transactions a test case wraps around each test, so
the gateway's guard (``payments.gateways.assert_outside_transaction``) holds in tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection, transaction

_pending: ContextVar[list[Callable[[], object]] | None] = ContextVar("after_commit_pending", default=None)
_replaying: ContextVar[bool] = ContextVar("replaying", default=False)


@contextmanager
def replaying() -> Iterator[None]:
    """One transaction for a whole replay of history (the demo load), committed or rolled back as one.

    Inside it, calls queued for after the commit run at once, and the payment gateway
    guard lets the local gateway be called: its books share the database, so a rollback
    forgets its side too. No other gateway may be called this way.
    """
    token = _replaying.set(True)
    try:
        with transaction.atomic():
            yield
    finally:
        _replaying.reset(token)


def is_replaying() -> bool:
    return _replaying.get()


def in_transaction() -> bool:
    """Whether a transaction opened by our code (not by a test case) is open on the default database."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def in_unit_of_work() -> bool:
    return _pending.get() is not None


@contextmanager
def unit_of_work() -> Iterator[None]:
    """An atomic block; calls queued with ``after_commit()`` inside it run once the outermost unit committed.

    If the block raises, the queued calls are dropped with the rollback. A call that
    raises after the commit does not undo it: everything queued this way must be safe
    to retry (a sweep job finishes what a crash or an error left undone).
    """
    if _pending.get() is not None:  # nested: the outermost unit runs the calls
        with transaction.atomic():
            yield
        return
    calls: list[Callable[[], object]] = []
    token = _pending.set(calls)
    try:
        with transaction.atomic():
            yield
    finally:
        _pending.reset(token)
    if in_transaction() and not is_replaying():
        for call in calls:
            transaction.on_commit(call)
        return
    for call in calls:
        call()


def after_commit(call: Callable[[], object]) -> None:
    """Run ``call`` after the current unit of work commits; now, outside any transaction."""
    calls = _pending.get()
    if calls is not None:
        calls.append(call)
    elif in_transaction() and not is_replaying():
        transaction.on_commit(call)
    else:
        call()
