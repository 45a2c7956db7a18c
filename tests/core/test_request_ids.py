"""Every request has an id, answered in X-Request-ID and carried by its log lines and by the jobs it queues."""

import json
import logging
import os
import queue
import sys
from multiprocessing import Value

import pytest
from django_q.signing import SignedPackage
from django_q.worker import worker

from marketplace.core.jobs import REQUEST_ID_KWARG, enqueue
from marketplace.core.logs import (
    JSONFormatter,
    UTCFormatter,
    current_request_id,
    log_format,
    log_formatter,
    request_id_bound,
)

JOB_LOGGER = "marketplace.tests.job"


def log_a_job_line(word: str, *, times: int) -> str:
    """A task for the worker below: logs one line and answers what it was given."""
    logging.getLogger(JOB_LOGGER).warning("job saw %s", word)
    return word * times


@pytest.mark.django_db
def test_a_sane_request_id_from_the_client_is_answered_and_logged(client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/no-such-page/", headers={"X-Request-ID": "edge-4f2a9c0e"})

    assert response.status_code == 404
    assert response["X-Request-ID"] == "edge-4f2a9c0e"
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.request_id == "edge-4f2a9c0e"
    # and once the response is finished, lines belong to no request
    assert current_request_id() == ""


@pytest.mark.parametrize("sent", [None, "", "a" * 65, "two words", "line\nbreak", '"quoted"', "-leading-dash"])
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_one(client, sent):
    headers = {} if sent is None else {"X-Request-ID": sent}

    response = client.get("/health", headers=headers)

    answered = response["X-Request-ID"]
    assert answered != sent
    assert len(answered) == 32 and int(answered, 16) >= 0  # a uuid4 in hex


def test_two_requests_get_two_ids(client):
    assert client.get("/health")["X-Request-ID"] != client.get("/health")["X-Request-ID"]


class RecordingBroker:
    """Keeps what async_task pushes, the signed package a real broker would carry to a worker."""

    list_key = "test"

    def __init__(self):
        self.packages = []

    def enqueue(self, package):
        self.packages.append(package)
        return str(len(self.packages))


def test_a_job_queued_during_a_request_logs_with_that_requests_id_in_the_worker(caplog):
    # given a job queued while request "req-7f3e" was handled, through the broker (not run inline)
    broker = RecordingBroker()
    with request_id_bound(request_id="req-7f3e"):
        enqueue(f"{__name__}.log_a_job_line", "ok", times=2, sync=False, broker=broker)
    (package,) = broker.packages
    task = SignedPackage.loads(package)
    assert task["kwargs"] == {"times": 2, REQUEST_ID_KWARG: "req-7f3e"}

    # when a worker, in another context with no request, runs it
    tasks, results = queue.Queue(), queue.Queue()
    tasks.put(task)
    tasks.put("STOP")
    with caplog.at_level(logging.WARNING, logger=JOB_LOGGER):
        worker(tasks, results, Value("f", -1))

    # then the task ran with its own arguments only, and its line carries the queuing request's id
    done = results.get_nowait()
    assert (done["success"], done["result"]) == (True, "okok")
    (record,) = [r for r in caplog.records if r.name == JOB_LOGGER]
    assert (record.getMessage(), record.request_id) == ("job saw ok", "req-7f3e")
    # and the worker's next lines belong to no request again
    assert current_request_id() == ""


def test_a_job_queued_outside_a_request_carries_no_id():
    broker = RecordingBroker()

    enqueue(f"{__name__}.log_a_job_line", "ok", times=1, sync=False, broker=broker)

    assert SignedPackage.loads(broker.packages[0])["kwargs"] == {"times": 1}


def _record(message: str) -> logging.LogRecord:
    """A record made as a logger makes it (through the record factory the core app installs)."""
    return logging.getLogRecordFactory()("django.request", logging.WARNING, __file__, 1, message, (), None)


def test_the_text_line_names_the_request_after_the_process():
    with request_id_bound(request_id="req-1"):
        record = _record("Not Found: /x/")

    line = UTCFormatter().format(record)

    assert line.endswith(f" WARNING django.request[{os.getpid()}] req-1: Not Found: /x/")


def test_a_json_line_is_one_object_with_the_request_id_and_the_exception():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("marketplace", logging.ERROR, __file__, 1, "failed: %s", ("it",), sys.exc_info())
    record.request_id = "req-2"

    entry = json.loads(JSONFormatter().format(record))

    assert {key: entry[key] for key in ("level", "logger", "process", "request_id", "message")} == {
        "level": "ERROR",
        "logger": "marketplace",
        "process": os.getpid(),
        "request_id": "req-2",
        "message": "failed: it",
    }
    assert entry["time"].endswith("Z")
    assert "ValueError: boom" in entry["exception"]


@pytest.mark.parametrize(
    ("settings_module", "log_format_variable", "expected"),
    [
        ("marketplace.settings.production", None, "json"),
        ("marketplace.settings.production", "text", "text"),
        ("marketplace.settings.dev", None, "text"),
        ("marketplace.settings.dev", "JSON", "json"),
    ],
)
def test_production_logs_json_unless_told_otherwise(monkeypatch, settings_module, log_format_variable, expected):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", settings_module)
    if log_format_variable is None:
        monkeypatch.delenv("LOG_FORMAT", raising=False)
    else:
        monkeypatch.setenv("LOG_FORMAT", log_format_variable)

    assert log_format() == expected
    assert isinstance(log_formatter(), JSONFormatter if expected == "json" else UTCFormatter)


def test_jobs_running_at_once_in_threads_each_restore_their_own_request_id():
    """Each thread binds and resets its own job's id (a token only resets in the context that made it)."""
    import threading

    from marketplace.core.jobs import job_finished, job_started
    from marketplace.core.logs import current_request_id

    started = threading.Barrier(3)
    seen, errors = {}, []

    def run(name):
        try:
            job_started(task={"kwargs": {"_request_id": name}})
            started.wait(timeout=5)  # all three bound before any finishes
            seen[name] = current_request_id()
            job_finished()
            seen[name + " after"] = current_request_id()
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(f"job-{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert errors == []
    assert seen == {**{f"job-{n}": f"job-{n}" for n in range(3)}, **{f"job-{n} after": "" for n in range(3)}}
