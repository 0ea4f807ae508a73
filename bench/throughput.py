"""Throughput with 1, 2 and 4 gunicorn workers: our API (with storage) against the
tutorial's path, in the same run; and resident memory per worker.

    python bench/throughput.py [--database-url URL] [--seconds 8] [--clients 8]

Each configuration gets a fresh gunicorn (gunicorn.conf.py: one OpenMP/BLAS thread per
worker), a short warm-up, then ``--clients`` threads POST students back to back for
``--seconds``. Requests per second counts 2xx answers only; every other answer is
reported. The client runs on the same 2 cores, so both sides pay for it alike.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import common


def hammer(url: str, students: list[dict], *, seconds: float, clients: int) -> dict:
    """Send requests from ``clients`` threads for ``seconds``; counts and latencies."""
    for x in students[:20]:
        common.post_json(url, x)
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    ok, failed, latencies = [0], [0], []

    def client(offset: int):
        i = offset
        while time.monotonic() < stop:
            status, elapsed = common.post_json(url, students[i % len(students)])
            i += clients
            with lock:
                if 200 <= status < 300:
                    ok[0] += 1
                    latencies.append(elapsed)
                else:
                    failed[0] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return {
        "rps": ok[0] / elapsed,
        "failed": failed[0],
        "p50": common.median(latencies),
        "p99": common.percentile(latencies, 99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: a scratch SQLite file")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()

    print(f"# throughput: {common.machine()}")
    database_url = common.scratch_database(args.database_url)
    print(f"# database {database_url.split(':', 1)[0]}, {common.throttle_cache()}")
    common.setup_django(database_url)
    artifacts = common.tutorial_artifacts(Path(tempfile.mkdtemp(prefix="studentperf-tutorial-")))
    students = common.students()
    env = common.environment(database_url, TUTORIAL_ARTIFACTS=str(artifacts))

    rows = []
    for workers in [int(w) for w in args.workers.split(",")]:
        with common.Server("studentperf.wsgi:application", workers=workers, env=env) as server:
            ours = hammer(
                f"{server.url}/api/v1/predictions/",
                students,
                seconds=args.seconds,
                clients=args.clients,
            )
            rss = server.worker_rss_mb()
        with common.Server("bench.tutorial_app:application", workers=workers, env=env) as server:
            theirs = hammer(f"{server.url}/", students, seconds=args.seconds, clients=args.clients)
        rows.append(
            [
                workers,
                f"{ours['rps']:.0f}",
                f"{ours['p50'] * 1e3:.1f} / {ours['p99'] * 1e3:.1f}",
                f"{theirs['rps']:.0f}",
                f"{theirs['p50'] * 1e3:.1f} / {theirs['p99'] * 1e3:.1f}",
                f"{ours['rps'] / theirs['rps']:.1f}×",
                f"{max(rss):.0f}",
                ours["failed"] + theirs["failed"],
            ]
        )
        print(f"  {workers} worker(s) done", flush=True)
    print(
        common.table(
            [
                "workers",
                "API req/s (stored)",
                "API p50/p99 ms",
                "tutorial req/s",
                "tutorial p50/p99 ms",
                "ratio",
                "RSS/worker MB",
                "non-2xx",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
