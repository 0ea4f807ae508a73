"""Security settings: secret key, headers, CSP (docs page included), CSRF, errors, limits."""

import base64
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

from django.test import Client

from predictor.models import Prediction
from tests.factories import STUDENT

ROOT = Path(__file__).resolve().parents[2]


def _django(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "studentperf.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_refuses_to_start_without_a_secret_key():
    """With DEBUG off and no DJANGO_SECRET_KEY, settings raise and say what to set."""
    done = _django("", DJANGO_DEBUG="0", DJANGO_SECRET_KEY="")
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in done.stderr


def test_it_passes_the_deployment_checklist_with_tls_settings():
    """`check --deploy` finds nothing with DJANGO_SECURE and the proxy header switched on."""
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "studentperf.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECURE": "1",
            "DJANGO_BEHIND_TLS_PROXY": "1",
            "DJANGO_ALLOWED_HOSTS": "studentperf.example.org",
            "DJANGO_SECRET_KEY": "k" * 20 + "-a-long-random-enough-test-key-0123456789",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_tls_settings_switch_on_from_the_environment():
    """DJANGO_SECURE turns on secure cookies, HSTS and the redirect; the proxy flag trusts
    X-Forwarded-Proto; without them all stay off, for plain-HTTP local use."""
    code = (
        "from django.conf import settings as s\n"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS, getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    on = _django(code, DJANGO_SECURE="1", DJANGO_BEHIND_TLS_PROXY="1", DJANGO_DEBUG="0")
    off = _django(code, DJANGO_SECURE="0", DJANGO_BEHIND_TLS_PROXY="0", DJANGO_DEBUG="0")
    assert on.stdout.split() == [
        "True",
        "True",
        "True",
        "31536000",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]
    assert off.stdout.split() == ["False", "False", "False", "0", "None"]


def test_pages_carry_the_security_headers(client, db):
    """nosniff, referrer policy, no framing and a CSP allowing only our own files."""
    response = client.get("/")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "http" not in policy
    assert not re.search(r"<script>|<style>| style=", response.content.decode())


def test_the_api_docs_work_under_the_csp(client, db):
    """Swagger UI loads its start-up script from our own URL, and the CSP allows an
    inline <style> of the page (drf-spectacular's own template has one) only by its hash."""
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script>" not in html
    policy = page["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    for style in re.findall(r"<style>(.*?)</style>", html, re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    for src in re.findall(r'<script src="([^"]+)"', html):
        assert src.startswith("/"), f"script from elsewhere: {src}"
        script = client.get(src.replace("&amp;", "&"))
        assert script.status_code == 200, src
    init = re.findall(r'<script src="([^"]+script=[^"]*)"', html)
    assert init and "SwaggerUIBundle" in client.get(init[0].replace("&amp;", "&")).content.decode()


def test_forms_are_refused_without_a_csrf_token(db, production_model):
    """Posting the prediction form without its CSRF token is a 403 and stores nothing."""
    strict = Client(enforce_csrf_checks=True)
    assert strict.get("/").status_code == 200
    response = strict.post("/", STUDENT)
    assert response.status_code == 403
    assert Prediction.objects.count() == 0


def test_every_post_form_in_the_templates_has_a_csrf_token():
    """Each template with a POST form renders {% csrf_token %} inside it."""
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", text, re.DOTALL | re.I):
            assert "{% csrf_token %}" in form, f"{path.relative_to(ROOT)} has a form without it"


def test_an_unexpected_api_error_is_json_without_a_traceback(
    db, production_model, monkeypatch, caplog
):
    """A crash inside an API view answers a JSON 500 with the request id; the traceback
    goes to the log under that id, never into the body."""

    def crash(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("predictor.predictions.services.prediction_create", crash)
    client = Client(raise_request_exception=False)
    response = client.post("/api/v1/predictions/", STUDENT, content_type="application/json")
    assert response.status_code == 500
    body = response.json()
    request_id = response["X-Request-ID"]
    assert body["code"] == "server_error" and request_id in body["detail"]
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    logged = [r for r in caplog.records if r.exc_info and r.request_id == request_id]
    assert logged and "secret internals" in str(logged[0].exc_info[1])


def test_an_unexpected_page_error_shows_the_request_id_not_a_traceback(db, monkeypatch):
    """A crash in an HTML view renders our 500 page with the request id."""

    def crash():
        raise RuntimeError("secret internals")

    monkeypatch.setattr("predictor.registry.selectors.model_version_list", crash)
    response = Client(raise_request_exception=False).get("/models/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and response["X-Request-ID"] in html
    assert "secret internals" not in html and "Traceback" not in html


def test_a_missing_page_is_our_404(client, db):
    """An unknown address renders the site's 404 page."""
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_it_refuses_a_body_over_the_upload_limit(db, production_model, settings):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 that states the limit; nothing stored."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    payload = {**STUDENT, "reference": "x" * 5_000}
    response = Client().post("/api/v1/predictions/", payload, content_type="application/json")
    assert response.status_code == 413
    assert "2,000 bytes" in response.json()["detail"]
    assert Prediction.objects.filter(status="ok").count() == 0


def test_admin_pages_may_use_inline_styles_but_no_inline_script(client, admin_user):
    """Under /admin/ the CSP adds 'unsafe-inline' to style-src only; elsewhere never."""
    client.force_login(admin_user)
    admin = client.get("/admin/")["Content-Security-Policy"]
    site = client.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in admin.split(";") if part.strip())
    assert "'unsafe-inline'" in directives["style-src"]
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in site
