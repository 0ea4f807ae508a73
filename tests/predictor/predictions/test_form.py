"""The HTML form at / and the tutorial's POST /predictdata."""

from html import unescape

import pytest
from django.test import Client

from predictor.models import Prediction
from tests.factories import STUDENT


def test_the_form_lists_the_schema_choices(client, db):
    """GET / shows every field with its label and the category choices."""
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="race_ethnicity"' in html and "Group E" in html
    assert "Parental level of education" in html


def test_a_valid_post_stores_the_prediction_and_shows_it(client, production_model):
    """A valid form redirects to the result page, which shows the score and the version."""
    response = client.post("/", {**STUDENT, "reference": "class 7B"})
    assert response.status_code == 302
    prediction = Prediction.objects.get()
    assert response["Location"] == f"/predictions/{prediction.pk}/"
    assert prediction.status == "ok" and prediction.channel == "form"
    assert prediction.reference == "class 7B"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert f"{prediction.predicted_math_score:.0f}" in page.content.decode()
    assert f"v{production_model.version}" in page.content.decode()


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"reading_score": "101"}, "reading_score", "must be between 0 and 100"),
        ({"writing_score": "abc"}, "writing_score", "must be a whole number"),
        ({"lunch": "caviar"}, "lunch", '"caviar" is not one of: standard, free/reduced'),
        ({"gender": ""}, "gender", "Select the student's gender"),
    ],
)
def test_a_bad_value_is_shown_next_to_its_field_and_stored_rejected(
    client, production_model, change, field, message
):
    """The form comes back with the field's message; the attempt is kept as rejected."""
    response = client.post("/", {**STUDENT, **change})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html and message in unescape(html)
    row = Prediction.objects.get()
    assert row.status == "rejected" and field in row.errors
    assert row.reading_score in (None, 72)


def test_the_form_says_plainly_when_no_model_can_serve(client, db):
    """Without a model the page says so before anyone fills it in, and a POST answers 503
    with the same plain sentence: no developer command on a teacher's page. The attempt
    is kept."""
    before = client.get("/").content.decode()
    assert "Predictions cannot be made right now" in before
    assert "manage.py" not in before
    response = client.post("/", STUDENT)
    assert response.status_code == 503
    html = response.content.decode()
    assert "Predictions cannot be made right now" in html and "manage.py" not in html
    assert Prediction.objects.get().status == "failed"


def test_predictdata_accepts_the_tutorial_field_names(client, production_model):
    """POST /predictdata with `ethnicity` lands on the same result page."""
    payload = {k: v for k, v in STUDENT.items() if k != "race_ethnicity"}
    payload["ethnicity"] = "group D"
    response = client.post("/predictdata", payload)
    assert response.status_code == 302
    prediction = Prediction.objects.get()
    assert prediction.race_ethnicity == "group D"
    assert response["Location"] == f"/predictions/{prediction.pk}/"


def test_a_prediction_page_of_another_visitor_is_a_404(client, production_model):
    """Another session cannot open a prediction's page."""
    client.post("/", STUDENT)
    prediction = Prediction.objects.get()
    client.logout()
    other = client.__class__()
    assert other.get(f"/predictions/{prediction.pk}/").status_code == 404


def test_the_form_reads_categories_as_the_api_does(client, production_model):
    """A hand-made post of " MALE " and "GROUP   b" is scored like "male" and "group B"."""
    from predictor.models import Prediction
    from tests.factories import STUDENT

    response = client.post("/", {**STUDENT, "gender": " MALE ", "race_ethnicity": "GROUP   b"})
    assert response.status_code == 302
    stored = Prediction.objects.get()
    assert (stored.status, stored.gender, stored.race_ethnicity) == ("ok", "male", "group B")


def test_a_database_busy_past_the_timeout_is_a_503_page_with_retry_after(
    client, production_model, monkeypatch
):
    """SQLite still locked after SQLITE_BUSY_TIMEOUT_SECONDS: a page saying to retry and
    that nothing was stored, not a 500."""
    from django.db import OperationalError

    from predictor.predictions import services

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "prediction_create", locked)
    response = client.post("/", STUDENT)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "nothing of this request was stored" in response.content.decode()
    assert Prediction.objects.count() == 0


def tutorial_post(**extra) -> dict:
    payload = {k: v for k, v in STUDENT.items() if k != "race_ethnicity"}
    return {**payload, "ethnicity": "group D", **extra}


def test_a_cookieless_legacy_post_to_predictdata_lands_on_its_result_page(production_model):
    """The tutorial's form, posted with no cookie and no CSRF token, is scored for a new
    anonymous session, and that browser can open the result page it is sent to."""
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/predictdata", tutorial_post())
    assert response.status_code == 302
    prediction = Prediction.objects.get()
    assert response["Location"] == f"/predictions/{prediction.pk}/"
    assert prediction.owner is None and prediction.session_key
    assert browser.get(response["Location"]).status_code == 200


def test_a_cross_site_post_from_a_logged_in_browser_is_refused_and_stores_nothing(
    production_model,
):
    """A post to /predictdata that carries a logged-in session cookie but no CSRF token
    (another site's form) answers 403 saying why, and adds nothing to that history."""
    from django.contrib.auth.models import User

    user = User.objects.create_user("ann", password="ann-secret-1")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post("/predictdata", tutorial_post())
    assert response.status_code == 403
    assert "nothing was added to your history" in response.content.decode()
    assert not Prediction.objects.exists()
    assert browser.get("/history/").status_code == 200  # still logged in


def test_a_cross_site_post_with_an_anonymous_session_starts_a_new_one(production_model):
    """An anonymous visitor's session cookie sent by another site's form does not attach
    the forged prediction to that session's history: it gets a session of its own."""
    browser = Client(enforce_csrf_checks=True)
    browser.get("/")
    session = browser.session
    session["seen"] = True
    session.save()
    old_key = session.session_key
    browser.post("/predictdata", tutorial_post())
    prediction = Prediction.objects.get()
    assert prediction.session_key != old_key and prediction.owner is None


def test_a_same_site_post_to_predictdata_with_a_csrf_token_stays_the_users(production_model):
    """A post carrying the site's CSRF token is the user's own, as on /."""
    from django.contrib.auth.models import User

    user = User.objects.create_user("ann", password="ann-secret-1")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    browser.get("/")  # the form sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    response = browser.post("/predictdata", tutorial_post(csrfmiddlewaretoken=token))
    assert response.status_code == 302
    assert Prediction.objects.get().owner == user
