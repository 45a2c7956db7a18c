"""What the machine spends on a benchmark: CPU of processes and of the whole machine, memory (Linux /proc).

Shared by the benchmarks: a figure alone says little on a noisy 2-core machine, so each
one also reports who used the cores meanwhile (bench/scale.py, bench/money.py).
"""

from __future__ import annotations

import os
from pathlib import Path


def process_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of a process on this machine (a PostgreSQL backend, a worker), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent on anything but idle and I/O wait since boot (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")  # user..steal; guest is inside user


def cores(cpu_seconds: float, wall_seconds: float) -> float:
    """CPU seconds spent over a wall-clock interval, as a number of cores kept busy."""
    return cpu_seconds / wall_seconds if wall_seconds > 0 else 0.0


def cpu_of(pids: list[int]) -> dict[int, float]:
    """CPU seconds so far of each process that still exists."""
    found = {pid: process_cpu_seconds(pid) for pid in pids}
    return {pid: seconds for pid, seconds in found.items() if seconds is not None}


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the processes spent between two readings; one that started in between counts whole."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def child_pids(parent: int) -> list[int]:
    """The direct children of a process (gunicorn's workers are its master's)."""
    try:
        return [int(pid) for pid in Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]
    except OSError:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    children.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                continue
        return children


def descendant_pids(parent: int) -> list[int]:
    """Every process under ``parent`` (a qcluster's monitor, pusher and workers), not ``parent`` itself."""
    found, waiting = [], [parent]
    while waiting:
        children = child_pids(waiting.pop())
        found += children
        waiting += children
    return found


def memory_kib(pid: int) -> dict[str, int]:
    """RSS and PSS of a process, KiB (PSS shares out the pages forked workers still have in common)."""
    found = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("Rss", "Pss"):
                found[name.lower()] = int(rest.split()[0])
    except OSError:
        pass
    return found
