"""Batch jobs end to end on PostgreSQL: a 200,000-row file through a job with 1 worker,
then two such files at once with 2 workers (a job runs on one worker; a second worker
takes a second job). Reports rows per second, each worker's peak RSS (VmHWM), and the
time from the upload's commit to the first committed chunk.

    createdb -h 127.0.0.1 -U postgres benchjobs
    .venv/bin/python bench/jobs.py --database-url postgres://postgres@127.0.0.1:5432/benchjobs
    dropdb -h 127.0.0.1 -U postgres benchjobs

Workers run `manage.py db_worker` (the backend's command, default 1 s poll interval).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.factories import make_students  # noqa: E402
from tests.servers import base_environment  # noqa: E402

HEADERS = [
    "gender",
    "race/ethnicity",
    "parental level of education",
    "lunch",
    "test preparation course",
    "reading score",
    "writing score",
]


def manage(env, *args):
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def class_file(n: int) -> bytes:
    frame = make_students(n, seed=5).drop(columns="math_score")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*HEADERS, "reference"])
    for i, row in enumerate(frame.itertuples(index=False)):
        writer.writerow([*map(str, row), f"S{i:06d}"])
    return out.getvalue().encode()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(env, data: bytes, *, workers: int, files: int) -> dict:
    from predictor.models import BatchJob
    from predictor.predictions import jobs

    procs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-reload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    time.sleep(8)  # let the workers start and go idle
    try:
        started = time.perf_counter()
        ids = [
            jobs.batch_job_create(
                parts=[data], kind="csv", rows_total=0, size_bytes=len(data), source_name="b"
            ).pk
            for _ in range(files)
        ]
        first, rss = None, {p.pid: 0.0 for p in procs}
        while True:
            states = list(BatchJob.objects.filter(pk__in=ids).values_list("status", "rows_done"))
            now = time.perf_counter()
            if first is None and any(done for _, done in states):
                first = now - started
            for p in procs:
                rss[p.pid] = max(rss[p.pid], peak_rss_mb(p.pid))
            if all(s in ("done", "failed") for s, _ in states):
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        rows = sum(done for _, done in states)
        assert all(s == "done" for s, _ in states), states
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=30)
    return {
        "workers": workers,
        "files": files,
        "rows": rows,
        "seconds": elapsed,
        "rows_per_s": rows / elapsed,
        "first_progress_s": first,
        "peak_rss_mb": sorted(rss.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="an empty PostgreSQL database")
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    env = base_environment(args.database_url, OMP_NUM_THREADS="1")
    os.environ.update(
        {
            k: env[k]
            for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY", "DJANGO_DEBUG")
        }
    )
    manage(env, "migrate", "--noinput")
    with tempfile.NamedTemporaryFile(suffix=".csv") as students:
        make_students(300, seed=0).to_csv(students.name, index=False)
        manage(
            env,
            "train_model",
            "--data",
            students.name,
            "--quick",
            "--candidates",
            "ridge",
            "--jobs",
            "1",
        )
    import django

    django.setup()
    data = class_file(args.rows)
    print(
        f"file: {args.rows:,} rows, {len(data) / 1e6:.1f} MB; chunk "
        f"{os.environ.get('BATCH_JOB_CHUNK_ROWS', '1000')} rows"
    )
    for workers, files in ((1, 1), (2, 2)):
        r = run(env, data, workers=workers, files=files)
        print(
            f"{r['workers']} worker(s), {r['files']} file(s): {r['rows']:,} rows in "
            f"{r['seconds']:.1f} s = {r['rows_per_s']:,.0f} rows/s; first progress after "
            f"{r['first_progress_s']:.2f} s; peak RSS per worker "
            + ", ".join(f"{m:.0f} MB" for m in r["peak_rss_mb"]),
            flush=True,
        )


if __name__ == "__main__":
    main()
