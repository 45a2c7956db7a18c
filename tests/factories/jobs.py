"""A background job that failed every attempt, as django-q2 keeps it (a Failure row)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone
from django_q.models import Failure


def failed_job(
    *,
    func: str = "marketplace.bookings.tasks.expire_stale_requests",
    args: tuple = (),
    kwargs: dict | None = None,
    result: str = "Connection refused : Traceback (most recent call last):\n  ...\nConnectionRefusedError",
    name: str = "alpha-bravo-charlie-delta",
    attempts: int = 5,
) -> Failure:
    stopped = timezone.now() - timedelta(minutes=3)
    return Failure.objects.create(
        id=uuid.uuid4().hex,
        name=name,
        func=func,
        args=args,
        kwargs=kwargs or {},
        result=result,
        started=stopped - timedelta(seconds=2),
        stopped=stopped,
        success=False,
        attempt_count=attempts,
    )
