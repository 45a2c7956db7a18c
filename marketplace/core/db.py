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

from django.db import connection, models, transaction

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


def update_rows(model: type[models.Model], fields: list[str], rows: dict[object, tuple]) -> int:
    """Set each row's own values of ``fields`` in one UPDATE; ``rows`` maps a primary key to its values.

    ``QuerySet.bulk_update`` builds a ``CASE WHEN`` expression per field and row, which
    costs more Python than the writes; this is ``UPDATE ... FROM (VALUES ...)`` (PostgreSQL,
    and SQLite from 3.33), with each value prepared by its field as ``save()`` would.
    Returns how many rows were updated.
    """
    if not rows:
        return 0
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    postgres = connection.vendor == "postgresql"

    def placeholder(field) -> str:
        # PostgreSQL types a VALUES list from its first row, so a NULL there needs its column's type.
        return f"CAST(%s AS {field.db_type(connection)})" if postgres else "%s"

    row_sql = "(" + ", ".join(placeholder(field) for field in [meta.pk, *columns]) + ")"
    params: list = []
    for pk, values in rows.items():
        params.append(meta.pk.get_db_prep_save(pk, connection))
        params.extend(field.get_db_prep_save(value, connection) for field, value in zip(columns, values, strict=True))
    # Both databases name a VALUES list's columns column1, column2...: the key first, then the fields.
    sets = ", ".join(f"{quote(field.column)} = changes.column{index}" for index, field in enumerate(columns, start=2))
    # bandit B608 (SQL built from strings): every name formatted into this statement comes from
    # the model's _meta, quoted by the backend; every value is a bound parameter.
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {sets} "  # nosec B608  # names: _meta, quoted; values: bound
        f"FROM (VALUES {', '.join([row_sql] * len(rows))}) AS changes "
        f"WHERE {quote(meta.db_table)}.{quote(meta.pk.column)} = changes.column1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def value_rows(queryset: models.QuerySet) -> list[tuple]:
    """The rows of a ``values_list()`` queryset (tuples), the same as ``list(queryset)``, read faster on PostgreSQL.

    Django reads every ``timestamptz`` through its own subclass of psycopg's loader, in Python
    (about 2.5 µs a value); for the slot engine's reads of hundreds of bookings and busy times
    that was most of the time of a 60-day ``service_slots`` (bench/slots.py). Here the query's
    cursor uses psycopg's own loader (its C version), which gives the same aware datetimes
    when the session's time zone is the one Django reads them in: UTC, as it is with USE_TZ.
    Anywhere else (SQLite, another zone, a column with a converter, ``flat``/``named``) this is
    ``list(queryset)``.
    """
    from django.core.exceptions import EmptyResultSet
    from django.db import connections
    from django.db.models.query import ValuesListIterable

    db = connections[queryset.db]
    if (
        db.vendor != "postgresql"
        or queryset._iterable_class is not ValuesListIterable
        or db.timezone_name != "UTC"
        or queryset._result_cache is not None
    ):
        return list(queryset)
    from psycopg.types.datetime import TimestamptzLoader

    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return []
    if compiler.get_converters([column for column, _, _ in compiler.select[: compiler.col_count]]):
        return list(queryset)
    with db.cursor() as cursor:
        if cursor.connection.info.parameter_status("TimeZone") != "UTC":
            return list(queryset)
        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if compiler.has_extra_select:  # columns added for the ordering, which Django drops too
        return [tuple(row[: compiler.col_count]) for row in rows]
    return [tuple(row) for row in rows]
