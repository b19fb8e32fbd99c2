"""manage.py runs with glibc's allocator on huge pages (config/allocator.py)."""

import os
import subprocess
import sys

from config.allocator import HUGE_PAGES, TUNABLES
from tests.paths import ROOT

_PRINT = "import os; print('tunables=' + os.environ.get('GLIBC_TUNABLES', ''))"


def _tunables_seen(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != TUNABLES}
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", _PRINT],
        cwd=ROOT,
        env={**clean, "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split("tunables=")[-1].strip()


def test_manage_py_runs_itself_again_with_huge_pages():
    assert _tunables_seen() == HUGE_PAGES


def test_tunables_set_by_the_operator_are_kept():
    assert _tunables_seen(GLIBC_TUNABLES="glibc.malloc.arena_max=2") == "glibc.malloc.arena_max=2"


def test_the_procfile_worker_asks_for_huge_pages_too():
    worker = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("worker:")
    )
    assert f"{TUNABLES}={HUGE_PAGES} celery" in worker
