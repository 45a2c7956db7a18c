"""One format for every log line, with UTC timestamps in ISO 8601.

Django sets the process's local time to TIME_ZONE (America/New_York) when its settings
load, gunicorn's master logs before that in the machine's own zone, and django-q2 brings
a formatter of its own: three clocks in one journal. Every line, from Django, django-q2
and gunicorn's error and access logs, is written by this formatter instead:

    2026-11-30T16:51:23.754Z INFO django.request[23223]: Not Found: /no-such-page/

A line logged while a request (or a job it queued) is handled carries that request's id
(``RequestIdMiddleware``, ``core.jobs``) after the process id:

    2026-11-30T16:51:23.754Z WARNING django.request[23223] 4f2a9c0e...: Not Found: /no-such-page/

In production (``LOG_FORMAT=json``, the default with the production settings) each line is
one JSON object instead, for a log shipper:

    {"time": "2026-11-30T16:51:23.754Z", "level": "WARNING", "logger": "django.request",
     "process": 23223, "request_id": "4f2a9c0e...", "message": "Not Found: /no-such-page/"}

Used by settings.LOGGING and site/gunicorn.conf.py. It imports nothing from Django, since
gunicorn's master process loads it without Django.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s[%(process)d]%(request_id_part)s: %(message)s"

# The id of the request being handled, or of the request that queued the running job ("" outside both).
_request_id: ContextVar[str] = ContextVar("request_id", default="")


def current_request_id() -> str:
    return _request_id.get()


def set_request_id(*, request_id: str) -> Token[str]:
    """The id for every line logged from now on in this context; reset_request_id() puts the previous one back."""
    return _request_id.set(request_id)


def reset_request_id(*, token: Token[str]) -> None:
    _request_id.reset(token)


@contextmanager
def request_id_bound(*, request_id: str) -> Iterator[None]:
    """The id for the lines logged inside the block, then the one before it again (a job in a worker)."""
    token = set_request_id(request_id=request_id)
    try:
        yield
    finally:
        reset_request_id(token=token)


def log_format() -> str:
    """ "json" or "text": LOG_FORMAT when set, else JSON with the production settings and text elsewhere.

    gunicorn's master reads this before Django loads, so the rule is on the environment, not on settings.
    """
    chosen = os.environ.get("LOG_FORMAT", "").strip().lower()
    if chosen in ("json", "text"):
        return chosen
    return "json" if os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith(".production") else "text"


def log_formatter() -> logging.Formatter:
    return JSONFormatter() if log_format() == "json" else UTCFormatter()


def _with_request_id(record: logging.LogRecord) -> str:
    """The record's request id, stamped on it when it is made (install_request_id_on_records) or now."""
    request_id = getattr(record, "request_id", None)
    if request_id is None:
        request_id = current_request_id()
        record.request_id = request_id
    return request_id


def install_request_id_on_records() -> None:
    """Every log record made from now on carries ``request_id``, whichever handler (or test) reads it."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_request_id", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = current_request_id()
        return record

    factory.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


# Addresses whose path is itself a secret (an organizer's calendar feed, /calendar/<token>.ics):
# the token is never written to a log line, whoever logs the path (gunicorn's access log,
# Django's "Not Found", a traceback).
SECRET_PATH = re.compile(r"(/calendar/)[^/\s?\"]+(\.ics)")


def redact(text: str) -> str:
    return SECRET_PATH.sub(r"\1[secret]\2", text)


def utc_timestamp(seconds: float) -> str:
    """ISO 8601 in UTC with milliseconds and a Z: 2026-11-30T16:51:23.754Z."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class UTCFormatter(logging.Formatter):
    """LOG_FORMAT, with the time in UTC whatever the process's local time zone is."""

    def __init__(self, fmt: str = LOG_FORMAT, datefmt: str | None = None, style: str = "%", **kwargs) -> None:
        super().__init__(fmt, datefmt, style, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        request_id = _with_request_id(record)
        record.request_id_part = f" {request_id}" if request_id else ""
        return redact(super().format(record))

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return utc_timestamp(record.created)


class JSONFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, process, request_id when there is one, message, exception."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": utc_timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "process": record.process,
        }
        request_id = _with_request_id(record)
        if request_id:
            entry["request_id"] = request_id
        entry["message"] = record.getMessage()
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return redact(json.dumps(entry, ensure_ascii=False, default=str))
