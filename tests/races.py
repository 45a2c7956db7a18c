"""Run one function in N real threads at the same moment (no mocks), for race tests.

Each thread has its own database connection (Django's are per thread) and closes
it when done, so the test database can be flushed or dropped afterwards. An
exception in a thread is returned in its slot of the result list, not lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def run_at_once(count: int, work: Callable[[int], Any], *, timeout: float = 60) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[index] = work(index)
        except BaseException as error:  # reported to the test, which asserts on it
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,), name=f"race-{index}") for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a racing thread did not finish in time"
    return results
