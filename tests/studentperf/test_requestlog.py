"""One structured log line per request, with request id, route, status, latency, version."""

import json
import logging

from django.test import Client

from tests.factories import STUDENT


def _request_lines(caplog):
    return [r for r in caplog.records if r.name == "studentperf.request"]


def test_it_logs_one_line_per_prediction_with_the_model_version(db, production_model, caplog):
    """A prediction logs exactly one request line with the version that scored it."""
    caplog.set_level(logging.INFO, logger="studentperf.request")
    response = Client().post("/api/v1/predictions/", STUDENT, content_type="application/json")
    assert response.status_code == 201
    (line,) = _request_lines(caplog)
    assert line.request_id == response["X-Request-ID"]
    assert line.route == "api/v1/predictions/" and line.method == "POST"
    assert line.status == 201 and line.latency_ms > 0
    assert line.model_version == production_model.version == response.json()["model_version"]


def test_it_leaves_the_model_version_out_when_nothing_was_scored(db, production_model, caplog):
    """A page that scores nothing has no model_version in its line, even after one that did."""
    caplog.set_level(logging.INFO, logger="studentperf.request")
    client = Client()
    client.post("/api/v1/predictions/", STUDENT, content_type="application/json")
    client.get("/healthz")
    lines = _request_lines(caplog)
    assert [r.status for r in lines] == [201, 200]
    assert not hasattr(lines[1], "model_version") and lines[1].route == "healthz"


def test_the_line_is_json_on_stdout(db, caplog):
    """The configured handler writes each request line as one JSON object."""
    caplog.set_level(logging.INFO, logger="studentperf.request")
    Client().get("/healthz", HTTP_X_REQUEST_ID="lb-0123456789abcdef")
    (record,) = _request_lines(caplog)
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    line = json.loads(handler.format(record))
    assert line["request_id"] == "lb-0123456789abcdef"
    assert line["route"] == "healthz" and line["status"] == 200 and line["level"] == "INFO"
    assert isinstance(line["latency_ms"], float)


def test_it_replaces_a_request_id_that_does_not_look_like_one(db):
    """A header with spaces or control characters is not echoed; a new id is made."""
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="bad id\r\nX-Evil: 1")
    assert response["X-Request-ID"] != "bad id\r\nX-Evil: 1"
    assert len(response["X-Request-ID"]) == 32
