"""Queueing background jobs (django-q2) so they never run ahead of the data they need.

With the ORM broker the queued task is a row written in the caller's transaction:
it commits with the business write or not at all (an outbox for free). With Redis
the broker is outside the database, so the task is queued after commit. In tests
(``sync``) the task runs inline: after the caller's unit of work commits when there
is one (``core.db.unit_of_work``, as a worker would only see it then), else at once.
Every task must be safe to run twice: brokers deliver at least once.

A failed task (django-q2 keeps it in its ``Failure`` table from its first failure, while the
broker delivers it again up to ``max_attempts``) is retried or deleted by staff from the
back office (``failed_job_retry``, ``failed_job_delete``), each audited with the reason.
Retrying queues the same function with the same arguments again, which is safe for the
reason above. The core sits below the accounts app, so the caller checks the staff
permission (the back office's policy: ``Perm.MANAGE_JOBS``).

A task queued while a request is handled carries that request's id (``core.logs``) in a
keyword argument of its own; the worker takes it out before the task runs and logs the
task's lines with it (``job_started``/``job_finished``, on django-q2's execution signals).
"""

from __future__ import annotations

import threading
from contextvars import Token
from typing import Any

from django.conf import settings
from django.db import transaction

from .audit import audit_log
from .db import after_commit, in_unit_of_work, unit_of_work
from .errors import FailedJobGone
from .logs import current_request_id, reset_request_id, set_request_id

# The keyword a queued task carries its request id in; never seen by the task function.
REQUEST_ID_KWARG = "_request_id"

# The ids bound by the jobs running in this thread, innermost last. Per thread: a job's start and
# end signals come in its own thread, and a token can only be reset in the context that made it
# (jobs run at once in threads in sync mode, and a job may run another inline).
_bound = threading.local()


def _bound_request_ids() -> list[Token[str]]:
    if not hasattr(_bound, "tokens"):
        _bound.tokens = []
    return _bound.tokens


def enqueue(func: str, *args, **kwargs) -> None:
    from django_q.tasks import async_task

    request_id = current_request_id()
    if request_id:
        kwargs[REQUEST_ID_KWARG] = request_id

    def send() -> None:
        async_task(func, *args, **kwargs)

    if settings.Q_CLUSTER.get("sync"):
        after_commit(send) if in_unit_of_work() else send()
    elif "orm" in settings.Q_CLUSTER:
        send()
    else:
        transaction.on_commit(send)


def _failure_locked(failure_id: str):
    from django_q.models import Failure

    failure = Failure.objects.select_for_update().filter(pk=failure_id).first()
    if failure is None:
        raise FailedJobGone()
    return failure


def _failure_audit_data(failure, *, to: str) -> dict[str, Any]:
    return {"from": "failed", "to": to, "func": failure.func, "name": failure.name, "attempts": failure.attempt_count}


def failed_job_retry(*, failure_id: str, actor: Any, reason: str) -> None:
    """Queue a failed task again (same function, same arguments) and forget the failure, audited as job.retried."""
    with unit_of_work():
        failure = _failure_locked(failure_id)
        audit_log(
            actor=actor,
            action="job.retried",
            target=failure,
            reason=reason,
            data=_failure_audit_data(failure, to="queued"),
        )
        func, args, kwargs = failure.func, tuple(failure.args or ()), dict(failure.kwargs or {})
        failure.delete()
        enqueue(func, *args, **kwargs)


def failed_job_delete(*, failure_id: str, actor: Any, reason: str) -> None:
    """Forget a failed task without running it again (its work was done another way), audited as job.deleted."""
    with unit_of_work():
        failure = _failure_locked(failure_id)
        audit_log(
            actor=actor,
            action="job.deleted",
            target=failure,
            reason=reason,
            data=_failure_audit_data(failure, to="deleted"),
        )
        failure.delete()


def failed_job_history(*, limit: int):
    """The latest retries and deletions of failed jobs, newest first (the jobs themselves are gone)."""
    from .models import AuditLogEntry

    return (
        AuditLogEntry.objects.filter(action__in=("job.retried", "job.deleted"))
        .select_related("actor")
        .order_by("-created_at", "-pk")[:limit]
    )


def job_started(*, task: dict[str, Any], **signal_kwargs) -> None:
    """Before a task runs (django-q2's pre_execute): its lines carry the id of the request that queued it."""
    request_id = task.get("kwargs", {}).pop(REQUEST_ID_KWARG, "")
    _bound_request_ids().append(set_request_id(request_id=request_id if isinstance(request_id, str) else ""))


def job_finished(**signal_kwargs) -> None:
    """After a task ran or failed (django-q2's post_execute_in_worker): the id from before it again."""
    tokens = _bound_request_ids()
    if tokens:
        reset_request_id(token=tokens.pop())


def connect_job_signals() -> None:
    from django_q.signals import post_execute_in_worker, pre_execute

    pre_execute.connect(job_started, dispatch_uid="marketplace.core.jobs.job_started")
    post_execute_in_worker.connect(job_finished, dispatch_uid="marketplace.core.jobs.job_finished")
