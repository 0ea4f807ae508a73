"""gunicorn on a scratch database, for the load test and the benchmarks under bench/.

``base_environment`` is what every such server needs (database, production settings, a
throwaway secret key); ``Gunicorn`` starts ``gunicorn.conf.py`` on a free port in
8700–8799 (this project's range for servers it starts), waits for ``/readyz`` and every
worker, and stops it on exit.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def base_environment(database_url: str, **extra: str) -> dict:
    """This process's environment plus the settings a scratch server runs with:
    ``DATABASE_URL``, production settings (``DJANGO_DEBUG=0``), a fresh secret key and
    ``127.0.0.1`` as the allowed host; ``extra`` last."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "studentperf.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "scratch-server-only-" + uuid.uuid4().hex * 2,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        **extra,
    }


def manage(env: dict, *args: str) -> str:
    """``manage.py args`` in a subprocess with ``env`` (up to 300 s); its stdout. Fails the
    test, with the end of stderr, when it exits non-zero."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done.stdout


def free_port() -> int:
    """A free port in 8700–8799, starting at an offset by process id so that two runs at
    once rarely probe the same ports first."""
    offset = os.getpid() % 50
    for port in [*range(8700 + offset, 8800), *range(8700, 8700 + offset)]:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8700–8799")


class Gunicorn:
    """gunicorn serving ``app`` with ``workers`` workers on a free port; a context manager.

    Output goes to ``log`` (a path) when given, else is discarded. Raises
    ``RuntimeError`` (with the log's end) when gunicorn exits at start or is not ready,
    with all its workers up, within 90 s.
    """

    def __init__(self, app: str, *, workers: int, env: dict, log: Path | None = None):
        self.port = free_port()
        self.app, self.workers, self.env, self.log = app, workers, env, log
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        env = {**self.env, "PORT": str(self.port), "WEB_CONCURRENCY": str(self.workers)}
        out = self.log.open("w") if self.log else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", self.app],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        finally:
            if self.log:
                out.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn for {self.app} exited at start{self._log_end()}")
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=5) as response:
                    if response.status == 200 and len(self.worker_pids()) == self.workers:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        self.__exit__()
        raise RuntimeError(f"gunicorn for {self.app} not ready after 90 s{self._log_end()}")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def _log_end(self) -> str:
        return f":\n{self.log.read_text()[-3000:]}" if self.log and self.log.exists() else ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def worker_cpu_seconds(self) -> float:
        """CPU time (user + system) the workers have used so far, seconds (/proc stat)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.worker_pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (man 5 proc)
        return total / tick

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker, MB (VmRSS from /proc)."""
        sizes = []
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes
