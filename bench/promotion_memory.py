"""Worker memory after repeated promotions, each followed by a 10,000-row batch.

Issue 13's sequence: a scratch SQLite database with seven quickly trained versions;
gunicorn with ``--workers`` workers; six times: promote the next version, wait for the
serving refresh, POST a 10,000-row CSV batch to the API (so the worker that takes it
loads the new model and scores the file). After each step the resident set size (RSS)
of every worker is read from /proc. The target is under 300 MiB per worker.

    .venv/bin/python bench/promotion_memory.py --workers 2
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--promotions", type=int, default=6)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()

    from ml import synth

    with tempfile.TemporaryDirectory(prefix="promotion-memory-") as scratch:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{scratch}/bench.sqlite3",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(32),
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "THROTTLE_ANON": "100000/min",
            "BATCH_MAX_ROWS": str(max(args.rows, 10_000)),
            "BATCH_SYNC_MAX_ROWS": str(max(args.rows, 10_000)),
            "BATCH_MAX_BYTES": str(50_000_000),
            "SERVING_REFRESH_SECONDS": "1",
            "LOG_LEVEL": "WARNING",
            "PORT": "8797",
            "WEB_CONCURRENCY": str(args.workers),
            "GUNICORN_TIMEOUT": "120",
        }

        def manage(*command: str) -> str:
            done = subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            return done.stdout

        manage("migrate", "--noinput")
        manage("collectstatic", "--noinput", "--verbosity", "0")
        for seed in range(args.promotions + 1):
            manage("train_model", "--quick", "--seed", str(seed), "--no-promote")
        manage("shell", "-c", _PROMOTE.format(version=1))

        frame = synth.generate(n_rows=args.rows, seed=7).drop(columns=["math_score"])
        body = frame.to_csv(index=False).encode()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        server = subprocess.Popen(
            [str(gunicorn), "-c", "gunicorn.conf.py", "studentperf.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_ready()
            print(f"{args.workers} workers; RSS MiB per worker after each step")
            print("start:", _rss_line(server.pid))
            for step in range(1, args.promotions + 1):
                manage("shell", "-c", _PROMOTE.format(version=step + 1))
                time.sleep(1.5)
                for _ in range(args.workers):  # each worker takes a batch in turn
                    request = urllib.request.Request(
                        "http://127.0.0.1:8797/api/v1/predictions/batch/",
                        data=body,
                        headers={"Content-Type": "text/csv"},
                    )
                    with urllib.request.urlopen(request, timeout=300) as answer:
                        assert answer.status == 201, answer.status
                        io.BytesIO(answer.read())
                print(f"promotion {step} (v{step + 1}) + batch:", _rss_line(server.pid))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


_PROMOTE = (
    "from predictor.models import ModelVersion\n"
    "from predictor.registry.services import model_version_promote\n"
    "model_version_promote(model_version=ModelVersion.objects.get(version={version}),"
    " actor_label='bench')"
)


def _wait_ready() -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen("http://127.0.0.1:8797/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not become ready")


def _rss_line(master: int) -> str:
    return ", ".join(f"{rss_mib(pid):.0f}" for pid in sorted(workers_of(master)))


if __name__ == "__main__":
    main()
