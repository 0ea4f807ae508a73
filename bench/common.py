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
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The gunicorn starter the load test uses too (bench scripts run from bench/, hence here).
from tests.servers import Gunicorn, base_environment  # noqa: E402

Server = Gunicorn

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
    """Environment for manage.py and gunicorn on the scratch database (throttling as
    deployed, see below); ``tests.servers.base_environment`` underneath."""
    deployed = {
        # Throttling on at its default rates, behind one proxy as in docker-compose.yml:
        # each request names one of CLIENT_ADDRESSES in X-Forwarded-For, so the counts are
        # read and written as for many real clients (a raised rate for one address instead
        # would grow its history to every request of the last minute, which no real
        # client has).
        "DJANGO_NUM_PROXIES": "1",
        # The request log on, as deployed (gunicorn's output goes to /dev/null).
        "LOG_LEVEL": "INFO",
    }
    return base_environment(database_url, **{**deployed, **extra})


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
    from predictor.registry import serving

    pipeline = serving.active_model().model.pipeline
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "preprocessor.pkl", "wb") as out:
        pickle.dump(pipeline.named_steps["preprocess"], out)
    with open(folder / "model.pkl", "wb") as out:
        pickle.dump(pipeline.named_steps["model"], out)
    return folder


def _timed(method: str, url: str, body: bytes | None = None, headers: dict | None = None):
    """One request on a new connection (gunicorn's sync workers close each one);
    ``(status, seconds)`` from connect to the last byte. Plain ``http.client``: urllib's
    opener machinery would add client time to every figure."""
    parts = urllib.parse.urlsplit(url)
    started = time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request(method, parts.path or "/", body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        status = response.status
    finally:
        connection.close()
    return status, time.perf_counter() - started


def get(url: str) -> tuple[int, float]:
    """GET ``url``; ``(status, seconds)``."""
    return _timed("GET", url)


def post_json(url: str, payload: dict) -> tuple[int, float]:
    """POST ``payload`` as JSON from the next of ``CLIENT_ADDRESSES``; ``(status,
    seconds)``, the body encoded before the clock starts."""
    headers = {"Content-Type": "application/json", "X-Forwarded-For": next(_addresses)}
    return _timed("POST", url, json.dumps(payload).encode(), headers)


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
