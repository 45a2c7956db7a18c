"""Every log line carries a UTC timestamp in one ISO 8601 format: Django, django-q2 and gunicorn."""

import logging
import os
import runpy
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine
from gunicorn.config import Config

from marketplace.core.logs import UTCFormatter

ROOT = Path(__file__).resolve().parents[2]
# 12:05:09 in New York (EDT), the settings' TIME_ZONE, which Django made this process's local time.
MOMENT = datetime(2026, 7, 1, 16, 5, 9, 42000, tzinfo=UTC)


def test_a_log_line_starts_with_utc_in_iso_8601_whatever_the_local_time_zone():
    # given a process whose local time is New York's (Django sets it from TIME_ZONE)
    assert time.tzname == ("EST", "EDT")
    with time_machine.travel(MOMENT, tick=False):
        record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/x/",), None)

    # when it is formatted
    line = UTCFormatter().format(record)

    # then the time is UTC, to the millisecond, with a Z
    assert line == f"2026-07-01T16:05:09.042Z WARNING django.request[{os.getpid()}]: Not Found: /x/"


LOG_FROM_EVERY_LOGGER = """
import logging, os
from datetime import UTC, datetime

import django
import time_machine

django.setup()
import django_q.conf  # adds a handler of its own to "django-q" when it finds none

with time_machine.travel(datetime(2026, 7, 1, 16, 5, 9, 42000, tzinfo=UTC), tick=False):
    logging.getLogger("django.request").warning("Not Found: %s", "/x/")
    logging.getLogger("django").info("A line from Django itself")
    logging.getLogger("django.server").info('"GET / HTTP/1.1" 200 5')
    logging.getLogger("django-q").info("Q Cluster starting.")
    logging.getLogger("wagtail").warning("A line from Wagtail")
print(os.getpid())
"""


def test_django_and_django_q_write_one_line_each_in_the_utc_format_even_with_debug_on(tmp_path):
    # given the dev settings with DEBUG on, where Django's own handlers would also print
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="marketplace.settings.dev",
        DEBUG="true",
        LOG_LEVEL="INFO",
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    )

    # when Django, django-q2 and Wagtail log
    result = subprocess.run(
        [sys.executable, "-c", LOG_FROM_EVERY_LOGGER], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    # then each line is written once, with the UTC time in ISO 8601
    assert result.returncode == 0, result.stderr
    pid = result.stdout.strip()
    assert result.stderr.splitlines() == [
        f"2026-07-01T16:05:09.042Z WARNING django.request[{pid}]: Not Found: /x/",
        f"2026-07-01T16:05:09.042Z INFO django[{pid}]: A line from Django itself",
        f'2026-07-01T16:05:09.042Z INFO django.server[{pid}]: "GET / HTTP/1.1" 200 5',
        f"2026-07-01T16:05:09.042Z INFO django-q[{pid}]: Q Cluster starting.",
        f"2026-07-01T16:05:09.042Z WARNING wagtail[{pid}]: A line from Wagtail",
    ]


@pytest.fixture
def gunicorn_logger(tmp_path):
    """gunicorn's logger as site/gunicorn.conf.py sets it up, writing to files in tmp_path."""
    conf = runpy.run_path(str(ROOT / "site" / "gunicorn.conf.py"))
    config = Config()
    config.set("errorlog", str(tmp_path / "error.log"))
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("access_log_format", conf["access_log_format"])
    logger = conf["logger_class"](config)
    yield logger
    for log in (logger.error_log, logger.access_log):
        for handler in list(log.handlers):
            log.removeHandler(handler)
            handler.close()


def test_gunicorn_error_and_access_logs_have_the_same_utc_lines(gunicorn_logger, tmp_path):
    # given gunicorn's logger from site/gunicorn.conf.py, in a process on New York time
    response = SimpleNamespace(status="200 OK", sent=1234, headers=[])
    request = SimpleNamespace(headers=[("HOST", "127.0.0.1:8000")])
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/search/?q=closet",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": "curl/8.0",
    }

    # when the master boots a worker and a worker answers a request
    with time_machine.travel(MOMENT, tick=False):
        gunicorn_logger.info("Booting worker with pid: %s", 42)
        gunicorn_logger.access(response, request, environ, timedelta(milliseconds=12))

    # then both lines start with the same UTC timestamp, in the format of Django's lines
    pid = os.getpid()
    assert (tmp_path / "error.log").read_text().splitlines() == [
        f"2026-07-01T16:05:09.042Z INFO gunicorn.error[{pid}]: Booting worker with pid: 42"
    ]
    assert (tmp_path / "access.log").read_text().splitlines() == [
        f'2026-07-01T16:05:09.042Z INFO gunicorn.access[{pid}]: 127.0.0.1 - - "GET /search/?q=closet HTTP/1.1" '
        '200 1234 "-" "curl/8.0"'
    ]


@pytest.mark.parametrize("formatter", ["UTCFormatter", "JSONFormatter"])
def test_a_calendar_feed_s_secret_address_is_never_written_to_a_log_line(formatter):
    import marketplace.core.logs as logs

    token = "Zk3vQ9_secret-token-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, '"GET /calendar/%s.ics HTTP/1.1" 404', (token,), None
    )

    line = getattr(logs, formatter)().format(record)

    assert token not in line
    assert "/calendar/[secret].ics" in line
    assert (
        logs.redact("/calendar/abc.ics?x=1 and /vendor/calendar/") == "/calendar/[secret].ics?x=1 and /vendor/calendar/"
    )
