"""Gunicorn, as production runs it: sync workers, loopback by default.

Sync workers measured ~2.5x faster than ASGI for this stack on 2-core machines
(DESIGN.md); database connections persist across requests (CONN_MAX_AGE).
"""

import os
import time

from gunicorn.glogging import Logger

# gunicorn runs this file from the repository (its working directory is on sys.path).
from marketplace.core.logs import log_formatter, utc_timestamp

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle a worker after this many requests, a guard against slow memory leaks. Keep it
# rare: each restart imports Django and Wagtail again (about a second of CPU, workers are
# not preloaded), and at 2,000 each worker restarted every second or two at full load.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The combined log format without its %(t)s: every line starts with its UTC timestamp.
access_log_format = '%(h)s %(l)s %(u)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'


class UTCLogger(Logger):
    """gunicorn's error and access logs in the project's one line format, in UTC (marketplace/core/logs.py).

    gunicorn's own formats use local time: the machine's zone in the master, and the
    workers' zone changes to TIME_ZONE once Django's settings load.
    """

    def _set_handler(self, log, output, fmt, stream=None):
        super()._set_handler(log, output, log_formatter(), stream=stream)

    def now(self):
        """%(t)s, for an access_log_format that asks for it."""
        return f"[{utc_timestamp(time.time())}]"


logger_class = UTCLogger


def child_exit(server, worker):
    """Prometheus multiprocess mode (marketplace/core/metrics.py): a dead worker's live gauges stop counting."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
