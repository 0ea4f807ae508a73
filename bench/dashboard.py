"""Benchmark: how long /admin/monitoring/ takes to render over 100,000 stored predictions.

    python bench/dashboard.py [--rows 100000] [--repeat 5] [--keep]

One command, nothing to prepare: it makes a throwaway SQLite database in a temporary
directory, migrates it, trains two quick models on the bundled data (v1, then v2), writes
simulated traffic (v1 for the first 20 days, v2 for the last 10, whose final 4 days come
from a drifted population, with real scores recorded for 30 % of the scored rows), then
renders the dashboard with Django's test client for each window and prints the median and
worst wall-clock time and the CPU time of this process (the database runs in-process, so
that is the page's own work, unaffected by other programs competing for the cores).

Target: under 1 s per render. Settings are the test suite's (DEBUG off, plain static
storage), so the page renders as in production minus the network.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 1.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="predictions to store")
    parser.add_argument("--repeat", type=int, default=5, help="renders per window")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="studentperf-bench-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.utils import timezone

    from predictor.models import ModelVersion
    from predictor.monitoring import windows
    from predictor.predictions.simulation import traffic_simulate
    from predictor.registry.services import model_version_promote

    setup_test_environment()
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"database: {workdir / 'bench.sqlite3'}")
        for seed, extra in ((1, []), (2, ["--no-promote"])):
            call_command(
                "train_model",
                "--quick",
                "--seed",
                str(seed),
                "--jobs",
                "1",
                *extra,
                stdout=open(os.devnull, "w"),  # noqa: SIM115 - closed with the process
            )
        v1, v2 = ModelVersion.objects.order_by("version")
        now = timezone.now()
        first = int(args.rows * 0.6)
        counts = traffic_simulate(
            rows=first, days=20, end=now - timedelta(days=10), model_version=v1, seed=1
        )
        model_version_promote(model_version=v2, actor_label="bench", reason="bench: v2 takes over")
        more = traffic_simulate(
            rows=args.rows - first,
            days=10,
            end=now,
            drift=True,
            drift_days=4,
            model_version=v2,
            seed=2,
        )
        print(
            f"setup: {args.rows} predictions ({counts['ok'] + more['ok']} scored, "
            f"{counts['outcomes'] + more['outcomes']} with a real score, {more['drifted']} "
            f"drifted) in {time.perf_counter() - started:.0f} s"
        )

        staff = User.objects.create_user("bench", password="bench-only-pw", is_staff=True)
        client = Client()
        client.force_login(staff)
        for key in windows.WINDOWS:  # warm up: templates, scipy, SQLite page cache
            assert client.get("/admin/monitoring/", {"window": key}).status_code == 200

        print(f"\nload average before timing: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(f"{'window':<8}{'median s':>10}{'worst s':>9}{'CPU s':>8}{'queries':>9}  verdict")
        worst_overall = 0.0
        for key in windows.WINDOWS:
            walls, cpus = [], []
            for _ in range(args.repeat):
                wall, cpu = time.perf_counter(), time.process_time()
                with CaptureQueriesContext(connection) as queries:
                    response = client.get("/admin/monitoring/", {"window": key})
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
                assert response.status_code == 200
            worst_overall = max(worst_overall, statistics.median(walls))
            report = response.context["report"]
            verdict = report["drift"]["verdict"] if report["drift"] else "-"
            print(
                f"{key:<8}{statistics.median(walls):>10.3f}{max(walls):>9.3f}"
                f"{statistics.median(cpus):>8.3f}{len(queries.captured_queries):>9}  "
                f"{report['traffic']['total']} attempts, drift: {verdict}, "
                f"{len(report['alerts'])} alert(s)"
            )
        met = "met" if worst_overall < TARGET_SECONDS else "NOT met"
        print(f"\ntarget: median under {TARGET_SECONDS:.0f} s per window: {met}")
        return 0 if worst_overall < TARGET_SECONDS else 1
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
