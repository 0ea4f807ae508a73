"""The OpenAPI schema generates and validates without a single warning, and says what an
integrator needs: getting started, examples, error bodies, the token first."""

import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient


def test_the_schema_validates_with_fail_on_warn(db, tmp_path):
    """`manage.py spectacular --validate --fail-on-warn` succeeds and lists our endpoints."""
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/predictions/batch/",
        "/api/v1/predictions/{id}/outcome/",
        "/api/v1/predictions/outcomes/",
    ):
        assert f"{path}:" in text


@pytest.fixture(scope="module")
def openapi(django_db_setup, django_db_blocker):
    """The schema as the API serves it (``GET /api/v1/schema/``), parsed."""
    with django_db_blocker.unblock():
        response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def operations(openapi):
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_the_reference_opens_with_getting_started(openapi):
    """The description walks an integrator through the token, the header, one curl, the
    rate limits with the 429 and Retry-After, the error format and anonymous predictions."""
    text = openapi["info"]["description"]
    assert "## Getting started" in text
    for needed in (
        "/api/v1/auth/token/",
        "Authorization: Token <key>",
        "curl -X POST https://HOST/api/v1/predictions/",
        "429",
        "Retry-After",
        '{"detail": "...", "code": "..."}',
        "cannot be fetched again",
        "at most 120 requests a minute for each address without a login",
    ):
        assert needed in text, needed


def test_the_token_is_offered_before_the_session(openapi):
    """Authorize lists tokenAuth first; the session cookie comes second, saying it is the
    browser's way in."""
    schemes = list(openapi["components"]["securitySchemes"])
    assert schemes[0] == "tokenAuth"
    assert "browser" in openapi["components"]["securitySchemes"]["cookieAuth"]["description"]
    for name, operation in operations(openapi):
        if operation.get("security"):
            assert operation["security"][0] == {"tokenAuth": []}, name


def test_every_error_answer_has_a_schema_and_an_example(openapi):
    """Each 4xx/5xx of each operation declares a JSON body and shows at least one example."""
    for name, operation in operations(openapi):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            body = response.get("content", {}).get("application/json")
            assert body and body.get("schema"), f"{name} {status} has no schema"
            assert body.get("examples"), f"{name} {status} has no example"


def test_every_answer_and_every_request_body_has_an_example(openapi):
    """The 2xx answers and each request media type carry worked examples."""
    for name, operation in operations(openapi):
        contents = [
            (status, body)
            for status, response in operation["responses"].items()
            for body in response.get("content", {}).values()
        ]
        contents += [
            ("request", b) for b in operation.get("requestBody", {}).get("content", {}).values()
        ]
        for where, body in contents:
            assert body.get("examples"), f"{name} {where} has no example"


def test_every_operation_documents_401_413_and_429(openapi):
    """A bad Authorization header (401, WWW-Authenticate) wherever one is read, a body
    too large (413) wherever one is sent, and the rate limit's 429 with Retry-After."""
    for name, operation in operations(openapi):
        if "requestBody" in operation:
            assert "413" in operation["responses"], name
        throttled = operation["responses"]["429"]
        assert "Retry-After" in throttled["headers"], name
        if operation.get("security"):
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"], name
        else:
            assert name == "POST /api/v1/auth/token/"
            assert "401" not in operation["responses"]


def test_get_and_post_of_one_path_have_their_own_summary_and_description(openapi):
    """The list and the score operations do not share the view's docstring."""
    both = openapi["paths"]["/api/v1/predictions/"]
    assert both["get"]["summary"] != both["post"]["summary"]
    assert both["get"]["description"] != both["post"]["description"]
    assert "(POST)" not in both["get"]["description"] + both["post"]["description"]


def test_optional_query_parameters_may_be_empty(openapi):
    """``?status=`` is accepted and filters nothing; the schema says so."""
    parameters = openapi["paths"]["/api/v1/predictions/"]["get"]["parameters"]
    by_name = {p["name"]: p for p in parameters}
    assert by_name["status"]["allowEmptyValue"] is True
    assert by_name["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 500}
    assert all(p["allowEmptyValue"] for p in parameters)


def _limits(schema) -> set:
    found = set()
    if isinstance(schema, dict):
        found |= {k for k in ("minimum", "maximum", "enum", "maxLength") if k in schema}
        for value in schema.values():
            found |= _limits(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= _limits(value)
    return found


@pytest.mark.parametrize("path", ["/api/v1/predictions/outcomes/", "/api/v1/predictions/batch/"])
def test_lists_checked_row_by_row_declare_no_per_item_limit(openapi, path):
    """The API reports a row's bad value instead of refusing the request, so the items
    declare no range or choice: only that values are text, numbers, booleans or null."""
    body = openapi["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    schema = body["schema"]
    assert schema["type"] == "array" and schema["minItems"] == 1
    assert _limits(schema["items"]) == set()
    kinds = [k["type"] for k in schema["items"]["additionalProperties"]["anyOf"]]
    assert kinds == ["string", "number", "boolean"]


def test_the_token_400_declares_both_of_its_shapes(openapi):
    """Wrong credentials answer ``Error`` (with its code), a missing field ``FieldErrors``."""
    response = openapi["paths"]["/api/v1/auth/token/"]["post"]["responses"]["400"]
    ref = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    shapes = openapi["components"]["schemas"][ref]["oneOf"]
    assert shapes == [
        {"$ref": "#/components/schemas/FieldErrors"},
        {"$ref": "#/components/schemas/Error"},
    ]
    assert openapi["components"]["schemas"]["Error"]["required"] == ["code", "detail"]
