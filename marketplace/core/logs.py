"""One format for every log line, with UTC timestamps in ISO 8601.

Django sets the process's local time to TIME_ZONE (America/New_York) when its settings
load, gunicorn's master logs before that in the machine's own zone, and django-q2 brings
a formatter of its own: three clocks in one journal. Every line, from Django, django-q2
and gunicorn's error and access logs, is written by this formatter instead:

    2026-11-30T16:51:23.754Z INFO django.request[23223]: Not Found: /no-such-page/

Used by settings.LOGGING and site/gunicorn.conf.py. It imports nothing from Django, since
gunicorn's master process loads it without Django.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s"


def utc_timestamp(seconds: float) -> str:
    """ISO 8601 in UTC with milliseconds and a Z: 2026-11-30T16:51:23.754Z."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class UTCFormatter(logging.Formatter):
    """LOG_FORMAT, with the time in UTC whatever the process's local time zone is."""

    def __init__(self, fmt: str = LOG_FORMAT, datefmt: str | None = None, style: str = "%", **kwargs) -> None:
        super().__init__(fmt, datefmt, style, **kwargs)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return utc_timestamp(record.created)
