"""The API does what its OpenAPI schema says: schemathesis fuzzes a live gunicorn (SQLite
scratch database, a quick trained model), anonymous and with a token, with all its checks:
no server error, status codes, content types, headers and bodies as declared, schema-valid
requests accepted and schema-violating ones refused. Marked ``schema_fuzz`` (run by
.ci/run); bounded by ``.ci/schemathesis.toml`` (25 examples per operation, a fixed seed).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.factories import STUDENT
from tests.servers import ROOT, Gunicorn, base_environment, manage

pytestmark = pytest.mark.schema_fuzz

CONFIG = ROOT / ".ci" / "schemathesis.toml"
ARTIFACTS = ROOT / "test-artifacts"
MAKE_USER = """
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
user = User.objects.create_user("fuzz", password="fuzz-password-1")
print(Token.objects.create(user=user).key)
"""


def _post(url: str, token: str, payload, **headers) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}", **headers},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """gunicorn (2 workers) on a scratch SQLite file with a model in production, a user
    with a token, and one prediction, batch and queued job of theirs."""
    tmp = tmp_path_factory.mktemp("schema_fuzz")
    env = base_environment(
        f"sqlite:///{tmp / 'fuzz.sqlite3'}",
        # Thousands of requests from one address: a rate nobody reaches.
        THROTTLE_ANON="1000000/min",
        THROTTLE_USER="1000000/min",
        LOG_LEVEL="WARNING",
    )
    manage(env, "migrate", "--noinput")
    manage(env, "createcachetable")
    manage(env, "train_model", "--quick", "--candidates", "ridge", "--jobs", "1")
    token = manage(env, "shell", "-c", MAKE_USER).strip().splitlines()[-1]
    with Gunicorn(
        "studentperf.wsgi:application", workers=2, env=env, log=tmp / "gunicorn.log"
    ) as server:
        api = f"{server.url}/api/v1"
        objects = {
            "prediction": _post(f"{api}/predictions/", token, STUDENT)["id"],
            "batch": _post(f"{api}/predictions/batch/", token, [STUDENT])["batch_id"],
            # No worker runs here: the job stays queued, which its answer says.
            "job": _post(f"{api}/predictions/batch/", token, [STUDENT], Prefer="respond-async")[
                "id"
            ],
        }
        yield server, token, objects, tmp


def _config(objects: dict, tmp: Path) -> Path:
    """``.ci/schemathesis.toml`` plus this server's objects as the ids to use."""
    known = f"""
[[operations]]
include-path = ["/api/v1/predictions/{{id}}/", "/api/v1/predictions/{{id}}/outcome/"]
parameters = {{ "path.id" = {objects["prediction"]} }}

[[operations]]
include-path = "/api/v1/predictions/batch/{{batch_id}}/"
parameters = {{ "path.batch_id" = "{objects["batch"]}" }}

[[operations]]
include-path = "/api/v1/predictions/jobs/{{job_id}}/"
parameters = {{ "path.job_id" = "{objects["job"]}" }}
"""
    path = tmp / "schemathesis.toml"
    path.write_text(CONFIG.read_text() + known)
    return path


def _operation_count(url: str) -> int:
    with urllib.request.urlopen(f"{url}/api/v1/schema/?format=json", timeout=60) as response:
        paths = json.loads(response.read())["paths"]
    return sum(len(operations) for operations in paths.values())


@pytest.mark.parametrize("caller", ["anonymous", "token"])
def test_the_api_does_what_its_schema_says(live, caller):
    """Every operation fuzzed with all checks, none failing; a run that tests fewer
    operations than the schema has fails too."""
    server, token, objects, tmp = live
    command = [
        str(Path(sys.executable).parent / "st"),
        "--config-file",
        str(_config(objects, tmp)),
        "run",
        f"{server.url}/api/v1/schema/",
        "--checks",
        "all",
        "--workers",
        "2",
        "--no-color",
    ]
    if caller == "token":
        command += ["--header", f"Authorization: Token {token}"]
    done = subprocess.run(command, cwd=tmp, capture_output=True, text=True, timeout=900)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"schema-fuzz-{caller}.txt").write_text(done.stdout + done.stderr)
    summary = done.stdout[done.stdout.rfind("SUMMARY") :]
    print(f"schemathesis, {caller}:\n{summary}")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    tested = re.search(r"Tested: (\d+)", summary)
    assert tested and int(tested.group(1)) == _operation_count(server.url), summary
