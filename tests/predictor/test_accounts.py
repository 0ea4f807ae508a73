"""POST /api/v1/auth/token/, token and session authentication, and the login pages."""

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from predictor.models import Prediction
from tests.factories import STUDENT, make_prediction

URL = "/api/v1/auth/token/"


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", password="alice-secret-1")


def test_it_trades_a_username_and_password_for_a_token(alice):
    """Right credentials answer 200 with the user's token, the same one each time."""
    client = APIClient()
    first = client.post(URL, {"username": "alice", "password": "alice-secret-1"}, format="json")
    second = client.post(URL, {"username": "alice", "password": "alice-secret-1"}, format="json")
    assert first.status_code == 200
    assert first.json() == {"token": Token.objects.get(user=alice).key}
    assert second.json() == first.json()
    assert Token.objects.count() == 1


def test_it_refuses_a_wrong_password_with_a_plain_message(alice):
    """A wrong password answers 400 with a message that does not say which part was wrong."""
    response = APIClient().post(URL, {"username": "alice", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "wrong username or password",
        "code": "invalid_credentials",
    }
    assert not Token.objects.exists()


def test_it_names_a_missing_field(db):
    """A request without a password answers 400 naming the field."""
    response = APIClient().post(URL, {"username": "alice"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()


def test_a_token_identifies_the_caller(alice, production_model):
    """With `Authorization: Token ...` a prediction belongs to the user and shows in the list."""
    token = Token.objects.create(user=alice)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    created = client.post("/api/v1/predictions/", STUDENT, format="json")
    assert created.status_code == 201
    assert Prediction.objects.get().owner == alice
    listing = client.get("/api/v1/predictions/").json()
    assert [r["id"] for r in listing["results"]] == [created.json()["id"]]


def test_a_bad_token_is_refused(db):
    """An unknown token answers 401 saying which scheme to use, not an anonymous answer."""
    client = APIClient(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/v1/predictions/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_session_auth_works_for_the_api_and_enforces_csrf(alice):
    """A logged-in browser session reads the API; its POSTs need the CSRF token."""
    mine = make_prediction(owner=alice)
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="alice", password="alice-secret-1")
    assert client.get(f"/api/v1/predictions/{mine.pk}/").status_code == 200
    refused = client.post(
        f"/api/v1/predictions/{mine.pk}/outcome/", {"actual_math_score": 50}, format="json"
    )
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    client.get("/accounts/login/")  # sets the csrftoken cookie
    accepted = client.post(
        f"/api/v1/predictions/{mine.pk}/outcome/",
        {"actual_math_score": 50},
        format="json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert accepted.status_code == 200
    mine.refresh_from_db()
    assert mine.actual_math_score == 50


def test_the_login_page_logs_in_and_the_nav_offers_logout(client, alice):
    """The login page is styled like the site; after login the nav shows a logout button."""
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert "site.css" in page.content.decode() and 'name="username"' in page.content.decode()
    wrong = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert wrong.status_code == 200 and "alert" in wrong.content.decode()
    response = client.post("/accounts/login/", {"username": "alice", "password": "alice-secret-1"})
    assert response.status_code == 302
    home = client.get("/").content.decode()
    assert "Log out alice" in home and 'action="/accounts/logout/"' in home


def test_logout_ends_the_session(client, alice):
    """POST to the logout URL logs out and lands on the form."""
    client.force_login(alice)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert "Log in" in client.get("/").content.decode()
