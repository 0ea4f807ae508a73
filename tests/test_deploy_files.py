"""The Dockerfile, compose file and nginx config agree with each other and with `make setup`."""

from pathlib import Path

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
    assert "manage.py db_worker" in " ".join(services["worker"]["command"])
    assert "ports" not in services["worker"] and "run_schedule" in services["scheduler"]["command"]
    assert services["db"]["healthcheck"] and "pgdata" in compose["volumes"]
    assert "migrate" in " ".join(services["migrate"]["command"])
    assert "ports" not in services["web"]
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["nginx"]["ports"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server web:8000" in nginx and "X-Request-ID $request_id" in nginx
