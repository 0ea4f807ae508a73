"""Who sees which prediction: owners theirs, staff all, anonymous visitors their session's."""

from rest_framework.test import APIClient

from predictor.models import Prediction
from tests.factories import STUDENT, api_as, make_prediction


def test_another_users_prediction_is_a_404_in_the_api(alice, bob):
    """Bob asking for Alice's prediction gets 404, not 403, from detail and outcome."""
    theirs = make_prediction(owner=alice)
    client = api_as(bob)
    detail = client.get(f"/api/v1/predictions/{theirs.pk}/")
    outcome = client.post(
        f"/api/v1/predictions/{theirs.pk}/outcome/", {"actual_math_score": 50}, format="json"
    )
    assert detail.status_code == 404
    assert outcome.status_code == 404
    theirs.refresh_from_db()
    assert theirs.actual_math_score is None


def test_another_users_prediction_is_a_404_on_the_html_pages(client, alice, bob):
    """The result page and its outcome form answer 404 for someone else's prediction."""
    theirs = make_prediction(owner=alice)
    client.force_login(bob)
    assert client.get(f"/predictions/{theirs.pk}/").status_code == 404
    response = client.post(f"/predictions/{theirs.pk}/outcome/", {"actual_math_score": 50})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.actual_math_score is None


def test_an_owner_sees_only_their_own_in_the_list(alice, bob):
    """GET /api/v1/predictions/ lists the caller's predictions and nobody else's."""
    mine = make_prediction(owner=alice, reference="mine")
    make_prediction(owner=bob, reference="bobs")
    make_prediction(session_key="some-session", reference="anonymous")
    body = api_as(alice).get("/api/v1/predictions/").json()
    assert body["count"] == 1
    assert [r["id"] for r in body["results"]] == [mine.pk]


def test_staff_see_every_prediction(alice, bob, staff):
    """Staff list, read and record outcomes for anyone's predictions."""
    make_prediction(owner=alice)
    bobs = make_prediction(owner=bob)
    make_prediction(session_key="some-session")
    client = api_as(staff)
    assert client.get("/api/v1/predictions/").json()["count"] == 3
    assert client.get(f"/api/v1/predictions/{bobs.pk}/").status_code == 200
    response = client.post(
        f"/api/v1/predictions/{bobs.pk}/outcome/", {"actual_math_score": 64}, format="json"
    )
    assert response.status_code == 200
    bobs.refresh_from_db()
    assert bobs.actual_math_score == 64


def test_anonymous_history_shows_only_this_sessions_predictions(client, production_model):
    """Two anonymous browsers each see only what they predicted themselves."""
    other = type(client)()
    client.post("/", {**STUDENT, "reference": "first browser"})
    other.post("/", {**STUDENT, "reference": "second browser"})
    mine = client.get("/history/").content.decode()
    theirs = other.get("/history/").content.decode()
    assert "first browser" in mine and "second browser" not in mine
    assert "second browser" in theirs and "first browser" not in theirs
    first = Prediction.objects.get(reference="first browser")
    assert first.owner is None and first.session_key == client.session.session_key
    assert other.get(f"/predictions/{first.pk}/").status_code == 404


def test_an_anonymous_api_call_without_a_session_sees_nothing(alice):
    """Without a login or a session cookie, the list is empty and a detail is a 404."""
    theirs = make_prediction(owner=alice)
    client = APIClient()
    assert client.get("/api/v1/predictions/").json()["count"] == 0
    assert client.get(f"/api/v1/predictions/{theirs.pk}/").status_code == 404


def test_logging_in_keeps_what_the_visitor_predicted_before(client, production_model, alice):
    """Predictions made anonymously in this browser belong to the user after login."""
    client.post("/", {**STUDENT, "reference": "before login"})
    response = client.post("/accounts/login/", {"username": "alice", "password": "alice-secret-1"})
    assert response.status_code == 302
    prediction = Prediction.objects.get(reference="before login")
    assert prediction.owner == alice and prediction.session_key == ""
    assert "before login" in client.get("/history/").content.decode()
