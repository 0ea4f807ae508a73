"""A present Authorization header that is not a valid ``Token <key>`` is a 401."""

import uuid

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from predictor.models import Prediction
from tests.factories import STUDENT

# (method, path, body): every API endpoint, anonymous-allowed ones included, except
# POST /api/v1/auth/token/, which reads no Authorization header: it trades the body's
# username and password.
ENDPOINTS = [
    ("get", "/api/v1/predictions/", None),
    ("post", "/api/v1/predictions/", STUDENT),
    ("get", "/api/v1/predictions/1/", None),
    ("post", "/api/v1/predictions/1/outcome/", {"actual_math_score": 50}),
    ("post", "/api/v1/predictions/outcomes/", [{"prediction_id": 1, "actual_math_score": 5}]),
    ("post", "/api/v1/predictions/batch/", [STUDENT]),
    ("get", f"/api/v1/predictions/batch/{uuid.uuid4()}/", None),
    ("get", "/api/v1/models/", None),
    ("get", "/api/v1/models/1/", None),
    ("post", "/api/v1/models/1/promote/", {"reason": "x"}),
    ("post", "/api/v1/models/rollback/", {"reason": "x"}),
]
MALFORMED = ["0123456789abcdef", "Bearer 0123456789abcdef", "Token", "Token a b", "Token nope", ""]


@pytest.mark.parametrize("header", MALFORMED)
@pytest.mark.parametrize("method, path, body", ENDPOINTS)
def test_a_malformed_authorization_header_is_a_401_showing_the_expected_form(
    production_model, method, path, body, header
):
    """A bare key, ``Bearer``, ``Token`` without a key, a key with spaces, an unknown key
    and an empty header answer 401 JSON with ``WWW-Authenticate: Token``, and store
    nothing, on every API endpoint."""
    client = APIClient(HTTP_AUTHORIZATION=header)
    response = getattr(client, method)(path, body, format="json")
    assert response.status_code == 401, (path, header, response.content)
    assert response["WWW-Authenticate"] == "Token"
    answer = response.json()
    assert answer["detail"].endswith("expected: Authorization: Token <key>")
    assert answer["code"] == "authentication_failed"
    assert not Prediction.objects.exists()


def test_a_bearer_header_names_the_refused_scheme(db):
    """The message says what was wrong with the header, not only what is expected."""
    response = APIClient(HTTP_AUTHORIZATION="Bearer abc").get("/api/v1/predictions/")
    assert response.json()["detail"] == (
        'the Authorization scheme "Bearer" is not accepted; expected: Authorization: Token <key>'
    )


def test_a_valid_token_and_no_header_still_work(production_model):
    """``Token <key>`` identifies its user; no header at all stays anonymous (201)."""
    user = User.objects.create_user("ann", password="ann-secret-1")
    token = Token.objects.create(user=user)
    mine = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert mine.post("/api/v1/predictions/", STUDENT, format="json").status_code == 201
    assert APIClient().post("/api/v1/predictions/", STUDENT, format="json").status_code == 201
    assert [p.owner for p in Prediction.objects.order_by("id")] == [user, None]
    assert mine.get("/api/v1/predictions/").json()["count"] == 1


def test_a_session_without_an_authorization_header_still_reads_the_api(production_model):
    """Session authentication comes after the token class and is unaffected."""
    User.objects.create_user("ann", password="ann-secret-1")
    client = APIClient()
    client.login(username="ann", password="ann-secret-1")
    assert client.get("/api/v1/predictions/").status_code == 200
