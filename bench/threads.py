"""The effect of pinning OpenMP/BLAS to one thread per worker.

    python bench/threads.py [--n 2000]

Two processes (as two gunicorn workers on this 2-core machine) each score single students
back to back with an XGBoost model left at its default thread count (``n_jobs=None``:
one OpenMP thread per core), first with the environment as it is, then with
``OMP_NUM_THREADS=1`` (what gunicorn.conf.py, the Dockerfile and `make run` set), then
with threadpoolctl's ``threadpool_limits(1)`` (what gunicorn.conf.py's
``post_worker_init`` adds). Reports each process's p50 and p99 per prediction.
Our own candidates already pass ``n_jobs=1``; this shows why.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import common
import numpy as np

WORKER = r"""
import json, pickle, sys, time
import numpy as np
with open(sys.argv[1], "rb") as f:
    model, rows = pickle.load(f)
if sys.argv[3] == "threadpoolctl":  # after the load, so that XGBoost's OpenMP is found
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=1)
n = int(sys.argv[2])
for i in range(50):
    model.predict(rows[i % len(rows)])
times = []
for i in range(n):
    started = time.perf_counter()
    model.predict(rows[i % len(rows)])
    times.append(time.perf_counter() - started)
times.sort()
print(json.dumps({"p50": times[len(times) // 2], "p99": times[int(len(times) * 0.99)]}))
"""


def prepare(folder: Path) -> Path:
    """Fit a default-threaded XGBoost on the bundled data; pickle it with one-row inputs."""
    import pickle

    from ml.candidates import CANDIDATES_BY_NAME
    from ml.data import load_dataset

    frame, _ = load_dataset(common.ROOT / "ml" / "data" / "students.csv")
    pipeline = CANDIDATES_BY_NAME["xgboost"].pipeline(0).set_params(model__n_jobs=None)
    X, y = frame.drop(columns="math_score"), frame["math_score"]
    pipeline.fit(X, y)
    transformed = pipeline.named_steps["preprocess"].transform(X.head(200))
    rows = [np.ascontiguousarray(transformed[i : i + 1]) for i in range(len(transformed))]
    path = folder / "xgb.pkl"
    with open(path, "wb") as out:
        pickle.dump((pipeline.named_steps["model"], rows), out)
    return path


def run_pair(path: Path, n: int, env: dict, mode: str) -> list[dict]:
    script = path.parent / "worker.py"
    script.write_text(WORKER)
    processes = [
        subprocess.Popen(
            [sys.executable, str(script), str(path), str(n), mode],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    return [json.loads(p.communicate(timeout=900)[0]) for p in processes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="predictions per process")
    args = parser.parse_args()
    print(f"# threads: {common.machine()}")
    path = prepare(Path(tempfile.mkdtemp(prefix="studentperf-threads-")))
    unpinned = {k: v for k, v in os.environ.items() if k not in common.ONE_THREAD}
    cases = [
        ("default threads (one per core)", unpinned, "none"),
        ("OMP_NUM_THREADS=1 etc.", {**unpinned, **common.ONE_THREAD}, "none"),
        ("threadpoolctl limit 1", unpinned, "threadpoolctl"),
    ]
    rows = []
    baseline = None
    for name, env, mode in cases:
        results = run_pair(path, args.n, env, mode)
        p50 = max(r["p50"] for r in results)
        p99 = max(r["p99"] for r in results)
        baseline = baseline or p50
        rows.append([name, f"{p50 * 1e6:,.0f}", f"{p99 * 1e6:,.0f}", f"{baseline / p50:.1f}×"])
    print("XGBoost single-row predict, 2 processes at once on 2 cores (slower process shown):")
    print(common.table(["threads per process", "p50 µs", "p99 µs", "speed-up"], rows))


if __name__ == "__main__":
    main()
