"""Shared pieces of the benchmarks: a scratch database with a trained model, gunicorn
servers on ports 8700–8799, a timed HTTP client, percentiles and a plain-text table.

Not tests: these measure. Each benchmark builds its own scratch SQLite database (or uses
``--database-url``), so it never touches db.sqlite3.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import pickle
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ONE_THREAD = {
    name: "1"
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")
}


# Clients the benchmarks speak for. DRF's throttle keeps one timestamp per request of the
# last minute for each address: spread over these, a run of 30 s at 1,000 requests a second
# leaves each address ~120 (the anonymous rate) and histories as long as a busy real
# client's.
CLIENT_ADDRESSES = [f"10.1.{i // 250}.{i % 250 + 1}" for i in range(256)]
_addresses = itertools.cycle(CLIENT_ADDRESSES)


def students(n: int = 500) -> list[dict]:
    """``n`` clean feature dicts from the bundled data set (as the web layer hands them)."""
    from ml import schema
    from ml.data import load_dataset

    frame, _ = load_dataset(ROOT / "ml" / "data" / "students.csv")
    records = frame[list(schema.FEATURE_NAMES)].head(n).to_dict("records")
    for record in records:
        for name in schema.NUMERIC_FEATURES:
            record[name] = int(record[name])
    return records


def environment(database_url: str, **extra) -> dict:
    """Environment for manage.py and gunicorn on the scratch database, throttling off."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "studentperf.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "benchmark-only-" + uuid.uuid4().hex * 2,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # Throttling on at its default rates, behind one proxy as in docker-compose.yml:
        # each request names one of CLIENT_ADDRESSES in X-Forwarded-For, so the counts are
        # read and written as for many real clients (a raised rate for one address instead
        # would grow its history to every request of the last minute, which no real
        # client has).
        "DJANGO_NUM_PROXIES": "1",
        # The request log on, as deployed (gunicorn's output goes to /dev/null).
        "LOG_LEVEL": "INFO",
        **extra,
    }


def scratch_database(database_url: str | None = None) -> str:
    """Migrate a scratch database and train the default model into it (what `make run`
    does: ``train_model --quick`` on the bundled data). Returns its URL."""
    if database_url is None:
        folder = Path(tempfile.mkdtemp(prefix="studentperf-bench-"))
        database_url = f"sqlite:///{folder / 'bench.sqlite3'}"
    env = environment(database_url)
    for args in (
        ["migrate", "--noinput"],
        ["createcachetable"],
        ["train_model", "--quick", "--if-none", "--jobs", "1"],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    return database_url


def setup_django(database_url: str) -> None:
    """Configure Django in this process on ``database_url`` (request log off: in-process
    figures print tables, not log lines)."""
    os.environ.update(environment(database_url, LOG_LEVEL="WARNING"))
    import django

    django.setup()


def tutorial_artifacts(folder: Path) -> Path:
    """Write the production model the tutorial's way: preprocessor and model pickled to
    two files, which its serving path loads again on every request."""
    from predictor import serving

    pipeline = serving.active_model().model.pipeline
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "preprocessor.pkl", "wb") as out:
        pickle.dump(pipeline.named_steps["preprocess"], out)
    with open(folder / "model.pkl", "wb") as out:
        pickle.dump(pipeline.named_steps["model"], out)
    return folder


def free_port() -> int:
    """A free port in 8700–8799 (this project's range for servers it starts)."""
    for port in range(8700, 8800):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8700–8799")


class Server:
    """gunicorn on a free port with ``workers`` workers, serving ``app``; a context manager."""

    def __init__(self, app: str, *, workers: int, env: dict):
        self.port = free_port()
        self.app, self.workers, self.env = app, workers, env
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        env = {**self.env, "PORT": str(self.port), "WEB_CONCURRENCY": str(self.workers)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", self.app],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn for {self.app} exited at start")
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=5) as response:
                    if response.status == 200 and len(self.worker_pids()) == self.workers:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn for {self.app} not ready after 90 s")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

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


def get(url: str) -> tuple[int, float]:
    """GET on a new connection; ``(status, seconds)``, timed like ``post_json``."""
    parts = urllib.parse.urlsplit(url)
    started = time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request("GET", parts.path or "/")
        response = connection.getresponse()
        response.read()
        status = response.status
    finally:
        connection.close()
    return status, time.perf_counter() - started


def post_json(url: str, payload: dict) -> tuple[int, float]:
    """POST ``payload`` as JSON on a new connection (gunicorn's sync workers close each
    one), from the next of ``CLIENT_ADDRESSES``; ``(status, seconds)`` from connect to the
    last byte. Plain ``http.client``: urllib's opener machinery would add client time to
    every figure."""
    parts = urllib.parse.urlsplit(url)
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "X-Forwarded-For": next(_addresses)}
    started = time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request("POST", parts.path or "/", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        status = response.status
    finally:
        connection.close()
    return status, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0–100) of ``values``, nearest-rank."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered)) - 1))
    return ordered[rank]


def median(values: list[float]) -> float:
    return statistics.median(values)


def table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table (pastes into README as is)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    for row in cells:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    return "\n".join(lines)


def throttle_cache() -> str:
    """Where the API's throttle counts live for this run (REDIS_URL or the database)."""
    return (
        "throttle counts in Redis"
        if os.environ.get("REDIS_URL")
        else ("throttle counts in the database cache")
    )


def machine() -> str:
    """One line about where the numbers come from."""
    import platform

    return (
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start"
    )
