"""The systemd units in site/ pass ``systemd-analyze verify`` against a root tree holding what they name.

``--root`` points verify at a temporary tree instead of this machine: the units installed
in its /etc/systemd/system, the targets they hang on (copied from this machine's systemd),
and the programs and folders the units name (ExecStart, ExecReload, WorkingDirectory,
EnvironmentFile). verify then checks every directive's syntax and that each command is an
executable in the tree; any warning (an unknown key, a bad value) fails the test too.
Needs no systemd running (containers have none as PID 1).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from . import stack

pytestmark = stack.site_tests

UNITS = sorted((stack.ROOT / "site").glob("*.service"))
SYSTEM_UNITS = Path("/lib/systemd/system")


def named_paths(unit: str) -> tuple[set[str], set[str], set[str]]:
    """The executables, folders and files a unit names: (ExecStart/ExecReload..., WorkingDirectory, EnvironmentFile)."""
    text = unit.replace("\\\n", " ")
    executables = {m.lstrip("-@:+!") for m in re.findall(r"^Exec\w+=(\S+)", text, re.MULTILINE)}
    folders = set(re.findall(r"^WorkingDirectory=-?(\S+)", text, re.MULTILINE))
    files = set(re.findall(r"^EnvironmentFile=-?(\S+)", text, re.MULTILINE))
    return executables, folders, files


def root_tree(root: Path, *, leave_out: str = "") -> list[Path]:
    """A root tree with the units in /etc/systemd/system and everything they name; returns the installed units."""
    shutil.copytree(
        SYSTEM_UNITS,
        root / "usr/lib/systemd/system",
        ignore=lambda _, names: [n for n in names if not n.endswith(".target")],
    )
    installed = []
    for unit in UNITS:
        target = root / "etc/systemd/system" / unit.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(unit, target)
        installed.append(target)
        executables, folders, files = named_paths(unit.read_text())
        for folder in folders:
            (root / folder.lstrip("/")).mkdir(parents=True, exist_ok=True)
        for name in files | executables:
            path = root / name.lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            if name != leave_out:
                path.write_text("#!/bin/sh\n")
                path.chmod(0o755 if name in executables else 0o600)
    return installed


def verify(root: Path, units: list[Path]) -> subprocess.CompletedProcess:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("SITE_TESTS=1 but systemd-analyze is missing (apt-get install -y systemd)")
    return subprocess.run(
        [analyze, "verify", "--man=no", f"--root={root}", *map(str, units)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_units_name_their_programs_folders_and_environment():
    web = named_paths((stack.ROOT / "site" / "marketplace-web.service").read_text())
    worker = named_paths((stack.ROOT / "site" / "marketplace-worker.service").read_text())

    assert web == (
        {"/srv/marketplace/.venv/bin/gunicorn", "/bin/kill"},
        {"/srv/marketplace"},
        {"/srv/marketplace/.env"},
    )
    assert worker == ({"/srv/marketplace/.venv/bin/python"}, {"/srv/marketplace"}, {"/srv/marketplace/.env"})


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    result = verify(tmp_path, root_tree(tmp_path))

    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_verify_refuses_a_unit_whose_program_is_missing(tmp_path):
    # given a tree without gunicorn: proves verify looks in the tree, not at this machine
    result = verify(tmp_path, root_tree(tmp_path, leave_out="/srv/marketplace/.venv/bin/gunicorn"))

    assert result.returncode != 0
    assert "/srv/marketplace/.venv/bin/gunicorn is not executable" in result.stderr
