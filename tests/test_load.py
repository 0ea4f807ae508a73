"""Nothing lost under load: gunicorn with 4 workers, 1,000 predictions from 32 threads,
a promotion half-way, on a SQLite file and on PostgreSQL. Marked ``load`` (run by .ci/run)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.factories import STUDENT
from tests.servers import ROOT, Gunicorn, base_environment, manage

pytestmark = pytest.mark.load

REQUESTS = 1_000
THREADS = 32
WORKERS = 4
PROMOTE_AFTER = 300
# Scored rows of this test, and how many distinct ones (the same on SQLite and PostgreSQL).
STORED_LOAD_ROWS = (
    "SELECT COUNT(*), COUNT(DISTINCT reference) FROM predictor_prediction "
    "WHERE status = 'ok' AND reference LIKE 'load-%'"
)
PROMOTE = """
import sys
from predictor.models import ModelVersion
from predictor.registry.services import model_version_promote
target = ModelVersion.objects.get(version=2)
print("ready", flush=True)
sys.stdin.readline()
model_version_promote(model_version=target, actor_label="load test")
print("promoted", flush=True)
"""


def _environment(database_url: str) -> dict:
    return base_environment(
        database_url,
        # Every request comes from one address here: a rate nobody reaches.
        THROTTLE_ANON="1000000/min",
        THROTTLE_USER="1000000/min",
        SERVING_REFRESH_SECONDS="0.5",
        LOG_LEVEL="WARNING",
    )


def _post(port: int, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/predictions/",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {"error": exc.read().decode(errors="replace")[:500]}


def _run_load(database_url: str, tmp_path: Path, count_rows) -> None:
    env = _environment(database_url)
    manage(env, "migrate", "--noinput")
    manage(env, "createcachetable")
    manage(env, "train_model", "--quick", "--candidates", "ridge", "--jobs", "1")
    manage(
        env, "train_model", "--quick", "--candidates", "ridge", "--jobs", "1", "--seed", "7",
        "--no-promote",
    )  # fmt: skip
    log = tmp_path / "gunicorn.log"
    server = Gunicorn("studentperf.wsgi:application", workers=WORKERS, env=env, log=log)
    with server:
        # The promoting process starts (imports Django and the models) before the load and
        # waits on stdin, so the promotion itself lands right after the 300th answer.
        promoter_process = subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", PROMOTE],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            seen = []
            while not seen or not (seen[-1].startswith("ready") or seen[-1] == ""):
                seen.append(promoter_process.stdout.readline())
            assert seen[-1].startswith("ready"), "".join(seen)[-3000:]
            done = threading.Semaphore(0)
            promotion: dict = {}

            def promote_half_way():
                for _ in range(PROMOTE_AFTER):
                    done.acquire()
                promotion["output"] = promoter_process.communicate("go\n", timeout=120)[0]

            def one(i: int):
                payload = {**STUDENT, "reading_score": i % 101, "reference": f"load-{i}"}
                result = _post(server.port, payload)
                done.release()
                return result

            promoter = threading.Thread(target=promote_half_way)
            promoter.start()
            started = time.perf_counter()
            with ThreadPoolExecutor(THREADS) as pool:
                results = list(pool.map(one, range(REQUESTS)))
            print(f"{REQUESTS} predictions in {time.perf_counter() - started:.1f} s")
            promoter.join(timeout=120)
        finally:
            if promoter_process.poll() is None:
                promoter_process.kill()

    statuses = [status for status, _ in results]
    failures = [body for status, body in results if status != 201][:3]
    assert statuses.count(201) == REQUESTS, f"not all 201: {failures}"
    assert "promoted" in promotion.get("output", ""), "the promotion did not run"
    versions = [body["model_version"] for _, body in results]
    assert set(versions) == {1, 2}, "the promotion did not reach the workers during the load"
    ids = [body["id"] for _, body in results]
    assert len(set(ids)) == REQUESTS
    total, distinct = count_rows()
    assert (total, distinct) == (REQUESTS, REQUESTS), "stored rows lost or duplicated"
    assert "database is locked" not in log.read_text()


def test_it_loses_no_prediction_under_load_on_sqlite(tmp_path):
    """1,000 concurrent predictions on a SQLite file: 1,000 201s, 1,000 rows, no lock errors."""
    path = tmp_path / "load.sqlite3"

    def count_rows():
        with sqlite3.connect(path) as db:
            return db.execute(STORED_LOAD_ROWS).fetchone()

    _run_load(f"sqlite:///{path}", tmp_path, count_rows)


def test_it_loses_no_prediction_under_load_on_postgresql(tmp_path, postgres_url):
    """The same load on PostgreSQL, in a fresh database dropped afterwards."""
    import psycopg

    name = f"studentperf_load_{os.getpid()}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"

    def count_rows():
        with psycopg.connect(url) as db:
            return db.execute(STORED_LOAD_ROWS).fetchone()

    try:
        _run_load(url, tmp_path, count_rows)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
