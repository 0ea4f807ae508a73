"""A real worker process killed with SIGKILL mid-job, and another finishing the job with
every row stored exactly once (SQLite file; PostgreSQL when TEST_POSTGRES_URL answers)."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid

import pytest

from tests.factories import make_students
from tests.predictor.predictions.test_batch import class_csv
from tests.servers import ROOT, base_environment

ROWS, CHUNK = 3000, 100
STATE_SQL = (
    "SELECT j.status, j.rows_done, j.rows_total, j.attempt, "
    "(SELECT COUNT(*) FROM predictor_prediction p WHERE p.batch_id = j.batch_id), "
    "(SELECT COUNT(DISTINCT p.batch_row) FROM predictor_prediction p "
    " WHERE p.batch_id = j.batch_id) FROM predictor_batchjob j"
)


def _manage(env, *args, timeout=300) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _worker(env, *extra) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-startup-delay",
            "--interval",
            "0.1",
            "--no-reload",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill_mid_job_then_finish(env, state, tmp_path):
    _manage(env, "migrate", "--noinput")
    students = tmp_path / "students.csv"
    make_students(300, seed=0).to_csv(students, index=False)
    _manage(
        env,
        "train_model",
        "--data",
        str(students),
        "--quick",
        "--candidates",
        "ridge",
        "--jobs",
        "1",
    )
    upload = tmp_path / "class.csv"
    upload.write_text(class_csv(ROWS))
    _manage(
        env,
        "shell",
        "-c",
        "from predictor.predictions import jobs\n"
        f"data = open({str(upload)!r}, 'rb').read()\n"
        f"jobs.batch_job_create(parts=[data], kind='csv', rows_total={ROWS}, "
        "size_bytes=len(data), source_name='class.csv')",
    )
    first = _worker(env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status, done, *_ = state()
            if done >= 3 * CHUNK:
                break
            assert first.poll() is None, "the worker exited early"
            time.sleep(0.02)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    status, done, total, attempt, stored, distinct = state()
    assert status == "running" and CHUNK <= done < ROWS, "killed before or after the job"
    assert stored == distinct == done, "a chunk's rows commit with the job's progress"

    time.sleep(1.5)  # past BATCH_JOB_STALE_SECONDS
    assert "re-enqueued job" in _manage(env, "batch_jobs_recover")
    second = _worker(env, "--batch")
    try:
        assert second.wait(timeout=300) == 0
    finally:
        if second.poll() is None:
            second.kill()
    assert state() == ("done", ROWS, ROWS, 2, ROWS, ROWS)


@pytest.mark.slow
def test_a_killed_workers_job_is_finished_by_another_on_sqlite(tmp_path):
    """SIGKILL mid-job on SQLite: another worker finishes it; every row exactly once."""
    path = tmp_path / "jobs.sqlite3"
    env = base_environment(
        f"sqlite:///{path}", BATCH_JOB_CHUNK_ROWS=str(CHUNK), BATCH_JOB_STALE_SECONDS="1"
    )

    def state():
        with sqlite3.connect(path, timeout=30) as db:
            return db.execute(STATE_SQL).fetchone()

    _kill_mid_job_then_finish(env, state, tmp_path)


@pytest.mark.slow
@pytest.mark.postgres
def test_a_killed_workers_job_is_finished_by_another_on_postgresql(tmp_path, postgres_url):
    """SIGKILL mid-job on PostgreSQL (a fresh database): the same, every row once."""
    import psycopg

    name = f"jobs_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    env = base_environment(url, BATCH_JOB_CHUNK_ROWS=str(CHUNK), BATCH_JOB_STALE_SECONDS="1")

    def state():
        with psycopg.connect(url) as db:
            return db.execute(STATE_SQL).fetchone()

    try:
        _kill_mid_job_then_finish(env, state, tmp_path)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
