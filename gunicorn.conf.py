"""Gunicorn settings, all overridable from the environment (used by `make run` and the image).

PORT (8000), BIND (0.0.0.0:$PORT in the image, 127.0.0.1:$PORT otherwise), WEB_CONCURRENCY
(worker processes, 2), GUNICORN_THREADS (threads per worker, 1), GUNICORN_TIMEOUT (30 s),
GUNICORN_CONTROL_SOCKET (a path turns on gunicorn's control socket for ``gunicornc``; off
by default).

Each worker uses one thread for OpenMP and BLAS. Workers are the unit of parallelism;
XGBoost, OpenBLAS or OpenMP each starting one thread per core inside every worker makes the
workers fight over the same cores (XGBoost with default threads under 2 workers on 2
cores was measured 5–8× slower; see bench/threads.py).
"""

import os

_ONE_THREAD = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
# Set before any worker imports numpy: the libraries read these once, at load time.
for _name in _ONE_THREAD:
    os.environ.setdefault(_name, "1")

_port = os.environ.get("PORT", "8000")
bind = os.environ.get("BIND", f"127.0.0.1:{_port}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Our middleware logs one JSON line per request; gunicorn's access log would repeat it.
accesslog = None
errorlog = "-"
# Bounded request line and headers; bodies are bounded by Django's upload limits.
limit_request_line = 8190
limit_request_fields = 100
# Gunicorn 25.1+ opens a control socket under $HOME by default; in the image $HOME is the
# root-owned /app ("Control server error: Permission denied"), and gunicorns started side
# by side on one host (the load tests) would share one path. Nothing here uses gunicornc.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Each worker touches a heartbeat file after every request; on a disk that is a journaled
# inode update each time, which can block the worker. In memory (tmpfs) it is not: the
# advice of gunicorn's docs for its worker_tmp_dir setting, for containers above all.
# Gunicorn makes its file there with mkstemp (unique, mode 0600).
_SHM = "/dev/shm"  # noqa: S108
if os.path.isdir(_SHM):
    worker_tmp_dir = _SHM


def post_worker_init(worker):
    """Pin every thread pool threadpoolctl knows to one thread, in case a library was
    loaded before the environment variables above could take effect."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
