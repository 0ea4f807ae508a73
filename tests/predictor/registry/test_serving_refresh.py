"""A promotion reaches another web process's cached model within 5 seconds, no restart.

Two real processes share a SQLite file: a "writer" that registers v1 (production) and v2,
then promotes v2 when told; a "watcher" that, like a web worker, keeps calling
``serving.active_model()`` and reports each version it serves.
"""

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings

SETUP = """
import os, sys, time, django
django.setup()
"""

# Only the tables serving needs (and those they refer to): every migration would double the
# test's time.
WRITER = (
    SETUP
    + """
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from ml.train import train
from predictor.models import ModelArtifact, ModelVersion, ModelVersionEvent
with connection.schema_editor() as editor:
    for model in (ContentType, Permission, Group, User, ModelVersion, ModelArtifact):
        editor.create_model(model)
    editor.create_model(ModelVersionEvent)
from predictor.registry.services import model_version_promote, model_version_register
from tests.factories import make_students
result = train(make_students(120, seed=1), seed=0, quick=True, candidates=["ridge"], n_jobs=1)
model_version_register(result=result, actor_label="writer")
v2, _, _ = model_version_register(result=result, promote=False, actor_label="writer")
print("ready", flush=True)
sys.stdin.readline()
model_version_promote(model_version=v2, actor_label="writer", reason="test")
print(f"promoted {time.time()}", flush=True)
"""
)

WATCHER = (
    SETUP
    + """
from django.db import DatabaseError
from predictor.registry import serving
from predictor.errors import NoModelError
last = None
deadline = time.time() + 60
while time.time() < deadline:
    try:
        version = serving.active_model().version
    except (DatabaseError, NoModelError):  # the writer has not set up v1 yet
        time.sleep(0.1)
        continue
    if version != last:
        print(f"serving {version} {time.time()}", flush=True)
        last = version
    if version == 2:
        break
    time.sleep(0.05)
"""
)


def _start(code: str, env: dict) -> tuple[subprocess.Popen, queue.Queue]:
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line.strip()) for line in process.stdout], daemon=True
    ).start()
    return process, lines


def _next_line(process, lines: queue.Queue, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return lines.get(timeout=0.2)
        except queue.Empty:
            if process.poll() is not None and lines.empty():
                break
    process.kill()
    raise AssertionError(f"no output; stderr: {process.stderr.read()}")


def test_a_promotion_reaches_a_second_process_within_five_seconds(tmp_path: Path):
    """The watcher serves v1 from its cache, then v2 less than 5 s after the commit."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "SERVING_REFRESH_SECONDS": "2",
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    writer, writer_lines = _start(WRITER, env)
    watcher, watcher_lines = _start(WATCHER, env)  # starts up while the writer trains
    try:
        assert _next_line(writer, writer_lines, 120) == "ready"
        first = _next_line(watcher, watcher_lines, 60).split()
        assert first[:2] == ["serving", "1"]
        time.sleep(0.5)  # the watcher now answers from its cache
        writer.stdin.write("go\n")
        writer.stdin.flush()
        promoted_at = float(_next_line(writer, writer_lines, 60).split()[1])
        second = _next_line(watcher, watcher_lines, 10).split()
        assert second[:2] == ["serving", "2"]
        delay = float(second[2]) - promoted_at
        print(f"the second process served v2 {delay:.2f} s after the promotion")
        assert delay < 5, f"the second process took {delay:.2f} s to serve v2"
        assert watcher.wait(timeout=10) == 0
    finally:
        for process in (writer, watcher):
            if process.poll() is None:
                process.kill()
