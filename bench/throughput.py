"""Throughput with 1, 2 and 4 gunicorn workers: our API (with storage) against the
tutorial's path, in the same run; and resident memory per worker.

    python bench/throughput.py [--database-url URL] [--seconds 6] [--rounds 3] [--clients 8]

Each worker count gets two fresh gunicorns (gunicorn.conf.py: one OpenMP/BLAS thread per
worker), ours and the tutorial's, up at once, a short warm-up, no throttle counts, then
``--rounds`` rounds in which ``--clients`` connections POST students back to back for
``--seconds`` to ours, then as long to the tutorial's. Taking turns puts the machine's slow
and fast spells on both sides alike; each ratio is of one round's pair, and the table
gives the median over the rounds with the lowest and highest. ``--seconds`` × ``--rounds``
is at most 20 (see ``common.CLIENT_ADDRESSES``); each request comes from one of 256 client
addresses. Requests per second counts 2xx answers only; every other answer is reported.
CPU ms/req is the workers' CPU time (user + system, from /proc) over the requests they
answered: what a request costs the server, steadier than requests per second when the
machine's neighbours take a varying share of the cores. The load comes from wrk (Debian's
package ``wrk``: C, one thread, a few percent of a core) when it is installed, else from
Python threads, which take most of a core themselves and cap what either side can show on
2 cores. The client runs on the same 2 cores either way, so both sides pay for it alike.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import common


def hammer(url: str, students: list[dict], *, seconds: float, clients: int) -> dict:
    """Send requests from ``clients`` threads for ``seconds``; counts and latencies."""
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
        "requests": ok[0] + failed[0],
        "failed": failed[0],
        "p50": common.median(latencies),
        "p99": common.percentile(latencies, 99),
    }


WRK_SCRIPT = r"""
wrk.method = "POST"
local bodies = %(bodies)s
local addresses = %(addresses)s
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, nil, {["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = addresses[(i %% #addresses) + 1]}, bodies[(i %% #bodies) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "seconds": %%f, "non_2xx": %%d, "socket_errors": %%d, '
    .. '"p50": %%f, "p99": %%f}\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1e6, latency:percentile(99) / 1e6))
end
"""


def lua_list(values: list[str]) -> str:
    """A Lua table of long-bracket strings (no escaping needed for JSON)."""
    return "{" + ", ".join(f"[==[{v}]==]" for v in values) + "}"


def hammer_wrk(url: str, students: list[dict], *, seconds: float, clients: int) -> dict:
    """The same measurement as ``hammer``, with wrk as the client."""
    script = Path(tempfile.mkdtemp(prefix="studentperf-wrk-")) / "post.lua"
    script.write_text(
        WRK_SCRIPT
        % {
            "bodies": lua_list([json.dumps(x) for x in students]),
            "addresses": lua_list(common.CLIENT_ADDRESSES),
        }
    )
    out = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"^RESULT (.*)$", out, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    result = json.loads(found.group(1))
    failed = result["non_2xx"] + result["socket_errors"]
    return {
        "rps": (result["requests"] - failed) / result["seconds"],
        "requests": result["requests"],
        "failed": failed,
        "p50": result["p50"],
        "p99": result["p99"],
    }


def forget_throttle_counts() -> None:
    """Empty the throttle counts, so that every worker count starts as a fresh minute."""
    from django.core.cache import cache

    if hasattr(cache, "delete_pattern"):  # Redis: this run's keys only.
        cache.delete_pattern("*")
    else:
        cache.clear()


def spread(values: list[float], fmt: str) -> str:
    """``median`` or, over several rounds, ``median (lowest–highest)``."""
    text = fmt.format(common.median(values))
    if len(values) > 1:
        text += f" ({fmt.format(min(values))}–{fmt.format(max(values))})"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: a scratch SQLite file")
    parser.add_argument("--seconds", type=int, default=6, help="per round and side")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    if args.rounds < 1 or not 0 < args.seconds * args.rounds <= 20:
        parser.error("--seconds × --rounds must be more than 0 and at most 20")
    load = hammer_wrk if shutil.which("wrk") else hammer

    print(f"# throughput: {common.machine()}")
    print(
        f"# client: wrk, 1 thread, {args.clients} connections"
        if load is hammer_wrk
        else f"# client: {args.clients} Python threads (apt-get install wrk for a lighter one)"
    )
    print(
        f"# {args.rounds} round(s) of {args.seconds} s a side, ours then the tutorial's; "
        "median (lowest–highest) over the rounds, ratios paired by round"
    )
    database_url = common.scratch_database(args.database_url)
    print(f"# database {database_url.split(':', 1)[0]}, {common.throttle_cache()}")
    common.setup_django(database_url)
    artifacts = common.tutorial_artifacts(Path(tempfile.mkdtemp(prefix="studentperf-tutorial-")))
    students = common.students()
    env = common.environment(database_url, TUTORIAL_ARTIFACTS=str(artifacts))

    def measured(server: common.Server, url: str) -> dict:
        # Worker CPU per request: what a request costs the server, whatever share of the
        # cores the client and the machine's neighbours took meanwhile.
        before = server.worker_cpu_seconds()
        result = load(url, students, seconds=args.seconds, clients=args.clients)
        spent = server.worker_cpu_seconds() - before
        return {**result, "cpu_ms": spent / result["requests"] * 1e3}

    rows = []
    for workers in [int(w) for w in args.workers.split(",")]:
        forget_throttle_counts()
        # Both servers up at once (the idle one sleeps in accept) and measured in turns,
        # so that a slow spell of the machine's neighbours falls on both sides alike.
        with (
            common.Server("studentperf.wsgi:application", workers=workers, env=env) as api,
            common.Server("bench.tutorial_app:application", workers=workers, env=env) as tut,
        ):
            api_url, tut_url = f"{api.url}/api/v1/predictions/", f"{tut.url}/"
            for url in (api_url, tut_url):  # warm-up: connections, caches, the model
                for x in students[:20]:
                    common.post_json(url, x)
            rounds = [(measured(api, api_url), measured(tut, tut_url)) for _ in range(args.rounds)]
            rss = api.worker_rss_mb()
        ours, theirs = [r[0] for r in rounds], [r[1] for r in rounds]
        rows.append(
            [
                workers,
                spread([r["rps"] for r in ours], "{:.0f}"),
                f"{common.median([r['p50'] for r in ours]) * 1e3:.1f} / "
                f"{common.median([r['p99'] for r in ours]) * 1e3:.1f}",
                spread([r["cpu_ms"] for r in ours], "{:.2f}"),
                spread([r["rps"] for r in theirs], "{:.0f}"),
                f"{common.median([r['p50'] for r in theirs]) * 1e3:.1f} / "
                f"{common.median([r['p99'] for r in theirs]) * 1e3:.1f}",
                spread([r["cpu_ms"] for r in theirs], "{:.2f}"),
                spread([a["rps"] / b["rps"] for a, b in rounds], "{:.1f}×"),
                spread([b["cpu_ms"] / a["cpu_ms"] for a, b in rounds], "{:.1f}×"),
                f"{max(rss):.0f}",
                f"{sum(r['failed'] for r in ours)} / {sum(r['failed'] for r in theirs)}",
            ]
        )
        print(f"  {workers} worker(s) done", flush=True)
    print(
        common.table(
            [
                "workers",
                "API req/s (stored)",
                "API p50/p99 ms",
                "API CPU ms/req",
                "tutorial req/s",
                "tutorial p50/p99 ms",
                "tutorial CPU ms/req",
                "ratio req/s",
                "ratio CPU/req",
                "RSS/worker MB",
                "non-2xx API / tutorial",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
