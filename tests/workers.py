"""Real Celery worker processes that tests can start, kill and start again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from tests.paths import ROOT


class WorkerProcess:
    """`celery -A config worker` as a child process, with the test run's settings."""

    def __init__(self, name: str, **env: str):
        """One pool process on every core unless `env` says otherwise (WORKER_CONCURRENCY)."""
        self.name, self.env = name, {"WORKER_CONCURRENCY": "1", **env}
        self.log = Path(tempfile.mkstemp(prefix=f"worker-{name}-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> WorkerProcess:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            "-Q",
            "jobs,renders,bulk",  # as the Procfile's worker line
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"{self.name}@%h",
        ]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self.wait_for_log("ready.", timeout)
        return self

    def wait_for_log(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log.read_text():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"worker {self.name}: no {text!r} in its log:\n{self.log.read_text()}")

    def pool_processes(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children()

    def kill(self) -> None:
        """SIGKILL the whole worker, pool included: no chance to hand the job back."""
        for child in self.pool_processes():
            child.send_signal(signal.SIGKILL)
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
