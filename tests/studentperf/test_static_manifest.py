"""Pages render without `collectstatic`: the manifest storage never fails a page."""

import json
import logging

import pytest
from django.test import Client
from django.urls import path

from studentperf import urls as site_urls

MANIFEST_STORAGE = {"BACKEND": "studentperf.staticfiles.FallbackManifestStaticFilesStorage"}


def boom(request):
    raise RuntimeError("a fault in a view")


urlpatterns = [path("boom/", boom), *site_urls.urlpatterns]
handler404 = site_urls.handler404
handler500 = site_urls.handler500


@pytest.fixture
def no_collectstatic(settings, tmp_path):
    """Production's static storage (DEBUG off), over an empty STATIC_ROOT."""
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": MANIFEST_STORAGE}
    return tmp_path


@pytest.mark.parametrize("page", ["/", "/history/", "/batch/", "/models/", "/accounts/login/"])
def test_html_pages_answer_200_without_collectstatic(
    client, production_model, no_collectstatic, page, caplog
):
    """With no manifest and nothing collected, pages answer 200 linking the plain
    /static/ names, and the log says to run collectstatic."""
    with caplog.at_level(logging.WARNING, logger="studentperf.staticfiles"):
        response = client.get(page)
    assert response.status_code == 200
    assert 'href="/static/css/site.css"' in response.content.decode()


def test_the_warning_names_the_command_to_run(client, db, no_collectstatic, caplog):
    """The first page that links an uncollected file logs what to do about it."""
    with caplog.at_level(logging.WARNING, logger="studentperf.staticfiles"):
        client.get("/accounts/login/")
    assert any("collectstatic" in r.getMessage() for r in caplog.records)


@pytest.mark.urls(__name__)
def test_the_500_page_renders_without_collectstatic(db, no_collectstatic):
    """A fault in a view answers the site's own 500 page with the request id, not a
    second failure while rendering it."""
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert response["X-Request-ID"] in page
    assert 'href="/static/css/site.css"' in page


@pytest.mark.urls(__name__)
def test_the_404_page_renders_without_collectstatic(db, no_collectstatic):
    """The 404 page extends the same base template and still renders."""
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]


def test_collected_files_keep_their_hashed_names(client, db, no_collectstatic):
    """With a manifest, its names are used; a collected file missing from the manifest
    is hashed from its content (Django's manifest_strict = False); only a file that was
    never collected falls back to its plain name."""
    (no_collectstatic / "css").mkdir()
    (no_collectstatic / "css" / "site.0123456789ab.css").write_text("body{}")
    (no_collectstatic / "img").mkdir()
    (no_collectstatic / "img" / "favicon.svg").write_text("<svg/>")
    (no_collectstatic / "staticfiles.json").write_text(
        json.dumps({"version": "1.1", "paths": {"css/site.css": "css/site.0123456789ab.css"}})
    )
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/static/css/site.0123456789ab.css"' in page
    assert 'href="/static/img/favicon.' in page and "favicon.svg" not in page


def test_an_unreadable_manifest_is_ignored_not_fatal(client, db, no_collectstatic):
    """A truncated staticfiles.json does not fail the pages either."""
    (no_collectstatic / "staticfiles.json").write_text('{"version": "1.1", "pa')
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert 'href="/static/css/site.css"' in response.content.decode()


@pytest.mark.urls(__name__)
def test_a_500_page_that_cannot_render_falls_back_to_a_plain_page(settings, db, tmp_path):
    """Even with WhiteNoise's strict storage (500.html fails in {% static %}), the answer
    is a plain page with the request id, not the server's bare error."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert response["X-Request-ID"] in page
