"""Benchmark: how long /admin/monitoring/ takes to render over many stored predictions.

    python bench/dashboard.py [--rows 100000] [--database sqlite|postgres] [--repeat 5] [--keep]

One command, nothing to prepare: it makes a throwaway database (SQLite in a temporary
directory, or with ``--database postgres`` a fresh database on ``--postgres-server``,
default postgres://postgres@127.0.0.1:5432, dropped at the end), migrates it, trains two
quick models on the bundled data (v1, then v2), writes simulated traffic one day at a
time in bulk inserts (v1 for the first 20 days, v2 for the last 10, whose final 4 days
come from a drifted population, with real scores recorded for 30 % of the scored rows
older than two days), builds the hourly roll-ups as the scheduler would
(``rollups_refresh``, timed), then renders the dashboard with Django's test client for
each window and prints the median and worst wall-clock time, the CPU time of this process
(on SQLite the database runs in-process, so that is the page's own work), the queries,
and the attempts read from the rows rather than from roll-ups (the open hour and the
window's first partial hour).

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
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 1.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="predictions to store")
    parser.add_argument("--repeat", type=int, default=5, help="renders per window")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--reuse",
        metavar="DATABASE_URL",
        help="time a database kept by an earlier run (--keep) instead of writing one; its "
        "roll-ups are rebuilt from scratch first (timed)",
    )
    parser.add_argument(
        "--postgres-server",
        default="postgres://postgres@127.0.0.1:5432",
        help="server on which --database postgres creates (and drops) its database",
    )
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="studentperf-bench-"))
    pg_name = None
    if args.reuse:
        args.keep = True
        os.environ["DATABASE_URL"] = args.reuse
    elif args.database == "postgres":
        import psycopg

        pg_name = f"bench_dashboard_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(f"{args.postgres_server}/postgres", autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {pg_name}")
        os.environ["DATABASE_URL"] = f"{args.postgres_server}/{pg_name}"
    else:
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

    from predictor.monitoring import rollups, services, windows

    setup_test_environment()
    try:
        started = time.perf_counter()
        if args.reuse:
            from predictor.models import HourlyRollup

            call_command("migrate", verbosity=0)
            HourlyRollup.objects.all().delete()
            print(f"database: {args.reuse} (reused)")
        else:
            call_command("migrate", verbosity=0)
            print(f"database: {os.environ['DATABASE_URL']}")
            _write_history(args.rows, started)
        started = time.perf_counter()
        hours = services.rollups_refresh()
        print(f"roll-ups: {hours} hours rolled up in {time.perf_counter() - started:.1f} s")

        User.objects.filter(username="bench").delete()  # a reused database has one
        staff = User.objects.create_user("bench", password="bench-only-pw", is_staff=True)
        client = Client()
        client.force_login(staff)
        # The first render of each window: templates, scipy and the page cache cold, and
        # no day of roll-ups merged yet in this process (rollups._days_figures).
        first_render = {}
        for key in windows.WINDOWS:
            wall = time.perf_counter()
            assert client.get("/admin/monitoring/", {"window": key}).status_code == 200
            first_render[key] = time.perf_counter() - wall

        print(f"\nload average before timing: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(
            f"{'window':<8}{'first s':>9}{'median s':>10}{'worst s':>9}{'CPU s':>8}"
            f"{'queries':>9}{'from rows':>11}  verdict"
        )
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
            scanned = rollups.window_figures(windows.window_from(key)).scanned_rows
            print(
                f"{key:<8}{first_render[key]:>9.3f}{statistics.median(walls):>10.3f}"
                f"{max(walls):>9.3f}"
                f"{statistics.median(cpus):>8.3f}{len(queries.captured_queries):>9}"
                f"{scanned:>11}  "
                f"{report['traffic']['total']} attempts, drift: {verdict}, "
                f"{len(report['alerts'])} alert(s)"
            )
        met = "met" if worst_overall < TARGET_SECONDS else "NOT met"
        print(f"\ntarget: median under {TARGET_SECONDS:.0f} s per window: {met}")
        return 0 if worst_overall < TARGET_SECONDS else 1
    finally:
        if args.keep:
            print(f"kept {os.environ['DATABASE_URL']}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            if pg_name:
                from django.db import connections

                connections.close_all()
                with psycopg.connect(f"{args.postgres_server}/postgres", autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")


def _write_history(rows: int, started: float) -> None:
    """Two quick models and ``rows`` simulated attempts over 30 days (see the docstring)."""
    from django.core.management import call_command
    from django.utils import timezone

    from predictor.models import ModelVersion
    from predictor.predictions.simulation import traffic_simulate
    from predictor.registry.services import model_version_promote

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
    totals: dict[str, int] = {}
    # One day per call (a call holds its rows in memory until its bulk insert): days
    # 30…11 ago by v1, 10…1 by v2, the last 4 from the drifted population.
    for day in range(30):
        if day == 20:
            model_version_promote(
                model_version=v2, actor_label="bench", reason="bench: v2 takes over"
            )
        counts = traffic_simulate(
            rows=rows * (day + 1) // 30 - rows * day // 30,
            days=1,
            end=now - timedelta(days=29 - day),
            drift=day >= 26,
            drift_days=1,
            model_version=v1 if day < 20 else v2,
            seed=day,
            outcomes_before=now - timedelta(days=2),
        )
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    print(
        f"setup: {rows} predictions ({totals['ok']} scored, {totals['outcomes']} "
        f"with a real score, {totals['drifted']} drifted) in "
        f"{time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    sys.exit(main())
