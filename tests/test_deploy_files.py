"""The Dockerfile, compose file and nginx config agree with each other and with `make setup`."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_the_image_installs_the_pinned_requirements_and_runs_as_a_user():
    """Same pins as `make setup`, non-root, static files at build, gunicorn, health probe,
    and no migration in the container's start."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "-r requirements.txt" in dockerfile
    assert "\nUSER 10001:10001\n" in dockerfile
    assert "manage.py collectstatic" in dockerfile
    assert "/healthz" in dockerfile.split("HEALTHCHECK", 1)[1]
    cmd = [line for line in dockerfile.splitlines() if line.startswith("CMD")]
    assert cmd == ['CMD ["gunicorn", "-c", "gunicorn.conf.py", "studentperf.wsgi:application"]']
    assert "migrate" not in cmd[0]
    assert "requirements.txt" in (ROOT / "requirements-dev.txt").read_text()


def test_compose_runs_postgres_a_migrate_job_scalable_web_and_nginx():
    """db with volume and healthcheck; web without a fixed host port (so it scales), after
    the migrate job; nginx publishes the port and proxies to web."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "scheduler", "nginx"}
    assert "manage.py batch_worker" in " ".join(services["worker"]["command"])
    assert "ports" not in services["worker"] and "run_schedule" in services["scheduler"]["command"]
    assert services["db"]["healthcheck"] and "pgdata" in compose["volumes"]
    assert "migrate" in " ".join(services["migrate"]["command"])
    assert "ports" not in services["web"]
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["nginx"]["ports"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server web:8000" in nginx and "X-Request-ID $request_id" in nginx


def _compose_args():
    import importlib.util

    path = ROOT / "deploy" / "podman" / "compose_args.py"
    spec = importlib.util.spec_from_file_location("compose_args", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_podman_scripts_run_what_compose_says(monkeypatch):
    """deploy/podman/up.sh takes each service's environment, healthcheck and command from
    docker-compose.yml, with compose's ${VAR:-default} and ${VAR:?message} filled in."""
    compose_args = _compose_args()
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    monkeypatch.setenv("POSTGRES_PASSWORD", "pw")
    monkeypatch.setenv("DJANGO_SECRET_KEY", "key")
    monkeypatch.delenv("THROTTLE_ANON", raising=False)
    environment = compose_args.environment(services["web"])
    assert "DATABASE_URL=postgres://studentperf:pw@db:5432/studentperf" in environment
    assert "THROTTLE_ANON=120/min" in environment
    assert compose_args.health_options(services["db"])[0] == (
        "--health-cmd=pg_isready -U studentperf -d studentperf"
    )
    assert compose_args.health_options(services["redis"])[0] == '--health-cmd=["redis-cli", "ping"]'
    monkeypatch.delenv("POSTGRES_PASSWORD")
    with pytest.raises(SystemExit, match="set POSTGRES_PASSWORD"):
        compose_args.environment(services["db"])


def test_nginx_fails_over_on_connection_errors_and_never_replays_a_post():
    """A request that never reached a container goes to another; one that did is never
    sent twice (no non_idempotent), so no prediction is scored twice."""
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_next_upstream error timeout;" in nginx
    assert "non_idempotent" not in nginx


def test_the_deploy_scripts_stop_on_the_first_error():
    """Every podman script is executable bash with `set -euo pipefail` (lib.sh is sourced
    by them)."""
    scripts = [path for path in (ROOT / "deploy" / "podman").glob("*.sh") if path.name != "lib.sh"]
    assert {path.name for path in scripts} >= {"build-images.sh", "up.sh", "down.sh"}
    for script in scripts:
        text = script.read_text()
        assert text.startswith("#!/usr/bin/env bash\n"), script.name
        assert "\nset -euo pipefail\n" in text, script.name
        assert script.stat().st_mode & 0o111, script.name


def test_gunicorn_opens_no_control_socket_unless_asked():
    """Gunicorn 25.1+ would open one under $HOME (root-owned /app in the image)."""
    import subprocess
    import sys

    read = (
        "import runpy; c = runpy.run_path('gunicorn.conf.py'); "
        "print(c['control_socket_disable'], c.get('control_socket'))"
    )
    env = {"PATH": "/usr/bin:/bin"}
    off = subprocess.run([sys.executable, "-c", read], cwd=ROOT, env=env, capture_output=True)
    assert off.stdout.decode().split() == ["True", "None"]
    env["GUNICORN_CONTROL_SOCKET"] = "/tmp/g.ctl"
    on = subprocess.run([sys.executable, "-c", read], cwd=ROOT, env=env, capture_output=True)
    assert on.stdout.decode().split() == ["False", "/tmp/g.ctl"]
