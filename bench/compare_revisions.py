"""Throughput of two revisions of studentperf, measured in turns on one machine.

Both revisions are unpacked from git (``--old``, default the main before the issue-12
restructure; ``--new``, default the working tree), each gets its own scratch SQLite
database with the same quickly trained model, and both gunicorn servers stay up while
the client measures them alternately for ``--rounds`` rounds per worker count:
``--requests`` API predictions from ``--threads`` client threads (keep-alive), throttle
off. Alternating in one script keeps a noisy shared machine's minute-to-minute swings
out of the ratio: each round's new/old ratio pairs measurements made back to back.

    .venv/bin/python bench/compare_revisions.py --workers 2 4 --rounds 3

Prints req/s per round for each side and the median of the paired ratios.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OLD_DEFAULT = "bb6122e"  # main before the issue-12 restructure
STUDENT = {
    "gender": "female",
    "race_ethnicity": "group B",
    "parental_level_of_education": "bachelor's degree",
    "lunch": "standard",
    "test_preparation_course": "none",
    "reading_score": 72,
    "writing_score": 74,
}


def unpack(revision: str, into: Path) -> Path:
    """The tree of ``revision`` (``"WORKTREE"``: the files as they are) under ``into``."""
    into.mkdir(parents=True)
    if revision == "WORKTREE":
        files = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        for name in files:
            source = ROOT / name
            if source.is_file():
                target = into / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source.read_bytes())
        return into
    archive = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, capture_output=True, check=True
    )
    with tempfile.TemporaryFile() as handle:
        handle.write(archive.stdout)
        handle.seek(0)
        with tarfile.open(fileobj=handle) as tar:
            tar.extractall(into, filter="data")
    return into


def environment(tree: Path, port: int, workers: int) -> dict:
    return {
        **os.environ,
        "PYTHONPATH": str(tree),
        "DATABASE_URL": f"sqlite:///{tree / 'bench.sqlite3'}",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(32),
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "THROTTLE_ANON": "100000000/min",
        "THROTTLE_USER": "100000000/min",
        "LOG_LEVEL": "WARNING",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }


def prepare(tree: Path) -> None:
    """Migrate (and the cache table, which older trees needed apart) and train."""
    env = environment(tree, 0, 1)
    python = sys.executable
    for args in (
        ["migrate", "--noinput"],
        ["createcachetable"],
        ["collectstatic", "--noinput", "--verbosity", "0"],
        ["train_model", "--quick", "--seed", "0"],
    ):
        subprocess.run(
            [python, "manage.py", *args], cwd=tree, env=env, check=True, capture_output=True
        )


def start(tree: Path, port: int, workers: int) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py", "studentperf.wsgi:application"],
        cwd=tree,
        env=environment(tree, port, workers),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    stop(server)
    raise RuntimeError(f"the server in {tree} did not become ready")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def measure(port: int, *, requests: int, threads: int) -> float:
    """Requests per second for ``requests`` predictions from ``threads`` threads; raises
    when any answer is not 201."""
    body = json.dumps(STUDENT).encode()
    per_thread = requests // threads
    failures = []

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(per_thread):
            connection.request(
                "POST", "/api/v1/predictions/", body, {"Content-Type": "application/json"}
            )
            answer = connection.getresponse()
            answer.read()
            if answer.status != 201:
                failures.append(answer.status)
        connection.close()

    workers = [threading.Thread(target=client) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} answers were not 201: {sorted(set(failures))}")
    return per_thread * threads / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", default=OLD_DEFAULT)
    parser.add_argument("--new", default="WORKTREE")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="compare-revisions-") as scratch:
        trees = {
            "old": unpack(args.old, Path(scratch) / "old"),
            "new": unpack(args.new, Path(scratch) / "new"),
        }
        for tree in trees.values():
            prepare(tree)
        print(
            f"old = {args.old}, new = {args.new}; {args.requests} predictions, "
            f"{args.threads} client threads, SQLite, rounds alternate old/new"
        )
        for workers in args.workers:
            servers = {}
            try:
                for offset, (name, tree) in enumerate(trees.items()):
                    servers[name] = (start(tree, 8790 + offset, workers), 8790 + offset)
                for _, port in servers.values():  # warm both: models loaded, pages cached
                    measure(port, requests=200, threads=args.threads)
                rates = {"old": [], "new": []}
                for number in range(args.rounds):
                    order = ("old", "new") if number % 2 == 0 else ("new", "old")
                    for name in order:
                        rates[name].append(
                            measure(servers[name][1], requests=args.requests, threads=args.threads)
                        )
                ratios = [n / o for n, o in zip(rates["new"], rates["old"], strict=True)]
                print(
                    f"{workers} workers: old "
                    + ", ".join(f"{r:.0f}" for r in rates["old"])
                    + " req/s; new "
                    + ", ".join(f"{r:.0f}" for r in rates["new"])
                    + " req/s; new/old per round "
                    + ", ".join(f"{r:.2f}" for r in ratios)
                    + f" (median {statistics.median(ratios):.2f})"
                )
            finally:
                for server, _ in servers.values():
                    stop(server)


if __name__ == "__main__":
    main()
