"""Queueing background jobs (django-q2) so they never run ahead of the data they need.

With the ORM broker the queued task is a row written in the caller's transaction:
it commits with the business write or not at all (an outbox for free). With Redis
the broker is outside the database, so the task is queued after commit. In tests
(``sync``) the task runs inline: after the caller's unit of work commits when there
is one (``core.db.unit_of_work``, as a worker would only see it then), else at once.
Every task must be safe to run twice: brokers deliver at least once.
"""

from django.conf import settings
from django.db import transaction

from .db import after_commit, in_unit_of_work


def enqueue(func: str, *args, **kwargs) -> None:
    from django_q.tasks import async_task

    def send() -> None:
        async_task(func, *args, **kwargs)

    if settings.Q_CLUSTER.get("sync"):
        after_commit(send) if in_unit_of_work() else send()
    elif "orm" in settings.Q_CLUSTER:
        send()
    else:
        transaction.on_commit(send)
