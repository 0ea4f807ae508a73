"""Single-prediction latency, p50 and p99: in-process and over HTTP, ours and the tutorial's.

    python bench/latency.py [--database-url URL] [--n 20000]

Rows, all measured in this run on this machine with the model `make run` trains
(``train_model --quick`` on the bundled data):

- serving path, in-process: ``serving.active_model().model.predict_one(features)`` — the
  verified fast path; point, 90% interval and contributions; nothing stored;
- pipeline, in-process: the same model through ``Pipeline.predict`` on a one-row
  DataFrame plus ``ml.explain`` (what serving does without the fast path);
- tutorial path, in-process: unpickle model and preprocessor, build a DataFrame,
  ``transform``, ``predict`` (point only, nothing stored);
- API over HTTP with storage: ``POST /api/v1/predictions/`` to gunicorn (1 worker), one
  client, each response after its row is committed;
- tutorial over HTTP: bench/tutorial_app.py under the same gunicorn settings;
- floor: ``GET /healthz`` over HTTP, what any request costs here before any work.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import common


def timed(function, inputs: list, n: int) -> list[float]:
    """Seconds per call of ``function(x)`` for ``n`` calls cycling over ``inputs``."""
    times = []
    for i in range(n):
        x = inputs[i % len(inputs)]
        started = time.perf_counter()
        function(x)
        times.append(time.perf_counter() - started)
    return times


def over_http(url: str, inputs: list[dict], n: int) -> list[float]:
    for x in inputs[:20]:  # warm up: model load, connections, caches
        common.post_json(url, x)
    times = []
    for i in range(n):
        status, seconds = common.post_json(url, inputs[i % len(inputs)])
        if status not in (200, 201):
            raise RuntimeError(f"{url} answered {status}")
        times.append(seconds)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: a scratch SQLite file")
    parser.add_argument("--n", type=int, default=20_000, help="in-process calls per row")
    parser.add_argument("--http-n", type=int, default=1_000, help="HTTP requests per row")
    args = parser.parse_args()

    print(f"# latency: {common.machine()}")
    database_url = common.scratch_database(args.database_url)
    print(f"# database {database_url.split(':', 1)[0]}, {common.throttle_cache()}")
    common.setup_django(database_url)
    import tutorial_app

    from ml.predict import records_frame
    from predictor.registry import serving

    students = common.students()
    served = serving.active_model()
    model = served.model
    tutorial_app.ARTIFACTS = str(
        common.tutorial_artifacts(Path(tempfile.mkdtemp(prefix="studentperf-tutorial-")))
    )

    def serving_path(features):
        return serving.active_model().model.predict_one(features)

    def pipeline_path(features):
        return model.predict(records_frame([features])).row(0)

    slow_n = max(200, args.n // 40)
    results = {
        "serving path (fast path), in-process": timed(serving_path, students, args.n),
        "pipeline + explain, in-process": timed(pipeline_path, students, slow_n),
        "tutorial path, in-process": timed(tutorial_app.predict, students, slow_n),
    }
    env = common.environment(database_url, TUTORIAL_ARTIFACTS=tutorial_app.ARTIFACTS)
    with common.Server("studentperf.wsgi:application", workers=1, env=env) as server:
        results["API over HTTP, with storage (1 worker)"] = over_http(
            f"{server.url}/api/v1/predictions/", students, args.http_n
        )
        # The floor under any request on this machine: connect, gunicorn, Django's
        # middleware, a 2-byte answer; no database, no model.
        results["floor: GET /healthz over HTTP (1 worker)"] = [
            common.get(f"{server.url}/healthz")[1] for _ in range(args.http_n)
        ]
    with common.Server("bench.tutorial_app:application", workers=1, env=env) as server:
        results["tutorial over HTTP, nothing stored (1 worker)"] = over_http(
            f"{server.url}/", students, args.http_n
        )

    tutorial_p50 = common.median(results["tutorial path, in-process"])
    tutorial_http_p50 = common.median(results["tutorial over HTTP, nothing stored (1 worker)"])
    rows = []
    for name, times in results.items():
        p50 = common.median(times)
        reference = tutorial_http_p50 if "HTTP" in name else tutorial_p50
        rows.append(
            [
                name,
                len(times),
                f"{p50 * 1e6:,.0f} µs" if p50 < 1e-3 else f"{p50 * 1e3:.2f} ms",
                f"{common.percentile(times, 99) * 1e3:.3f} ms",
                "" if name.startswith("floor") else f"{reference / p50:.1f}×",
            ]
        )
    print(f"model v{served.version} ({model.name}), fast path: {model.fast_path_report}")
    print(
        common.table(
            ["single prediction", "calls", "p50", "p99", "speed-up vs tutorial (p50)"], rows
        )
    )


if __name__ == "__main__":
    main()
