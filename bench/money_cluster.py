"""Counting a django-q2 cluster's jobs for the money benchmark (bench/money.py --jobs cluster).

An app of the benchmark's settings only (bench/money_settings.py, with BENCH_Q_CLUSTER=1).
Its receivers count in Redis, for the benchmark to read from outside the cluster: the jobs
a worker has run (django-q2's post_execute_in_worker) and when the last one ended, and the
results the cluster's monitor has saved (a Task row created). The probe job that tells the
cluster is up ("time.time") is not counted.
"""

from __future__ import annotations

import time

from django.apps import AppConfig

EXECUTED, LAST_EXECUTED, SAVED = "bench_money:executed", "bench_money:last_executed", "bench_money:saved"
PROBE = "time.time"


def _redis():
    import redis
    from django.conf import settings

    return redis.Redis.from_url(settings.REDIS_URL)


def job_ran(sender, func=None, task=None, **kwargs) -> None:
    if task and task.get("func") != PROBE:
        connection = _redis()
        connection.incr(EXECUTED)
        connection.set(LAST_EXECUTED, repr(time.time()))


def result_saved(sender, instance=None, created=False, **kwargs) -> None:
    if created and instance.func != PROBE:
        _redis().incr(SAVED)


class MoneyClusterConfig(AppConfig):
    name = "bench.money_cluster"
    label = "bench_money_cluster"

    def ready(self) -> None:
        from django.db.models.signals import post_save
        from django_q.models import Task
        from django_q.signals import post_execute_in_worker

        post_execute_in_worker.connect(job_ran, dispatch_uid="bench_money_job_ran")
        post_save.connect(result_saved, sender=Task, dispatch_uid="bench_money_result_saved")
