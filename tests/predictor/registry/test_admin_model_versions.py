"""The admin: promote and roll back with a confirmation page, the audit trail, and stored
predictions that nobody can edit or delete."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from predictor.models import ModelVersion, ModelVersionEvent, Prediction
from predictor.registry.services import model_version_register
from tests.factories import STUDENT

CHANGELIST = "/admin/predictor/modelversion/"


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("boss", password="pw-boss-12345")


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def candidate(production_model, trained):
    return model_version_register(result=trained, promote=False)[0]


def action(name, *versions, **extra):
    return {"action": name, "_selected_action": [v.pk for v in versions], **extra}


def test_promote_asks_for_confirmation_before_changing_anything(admin_client, candidate):
    """The action first shows both versions, a reason field and a Confirm button."""
    response = admin_client.post(CHANGELIST, action("promote", candidate))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Promote <strong>v2</strong>" in page and "archiving <strong>v1</strong>" in page
    assert 'name="reason"' in page and 'value="Confirm: promote"' in page
    assert ModelVersion.objects.get(version=2).status == "candidate"


def test_confirming_promotes_and_audits_who_and_why(admin_client, admin_user, candidate):
    """Confirm with a reason: v2 serves, v1 is archived, the audit row names the admin."""
    response = admin_client.post(
        CHANGELIST, action("promote", candidate, confirm="yes", reason="better on new data")
    )
    assert response.status_code == 302 and response["Location"] == CHANGELIST
    assert ModelVersion.objects.get(version=2).status == "production"
    assert ModelVersion.objects.get(version=1).status == "archived"
    event = ModelVersionEvent.objects.get(action="promote", model_version=candidate)
    assert event.actor == admin_user and event.previous_production.version == 1
    assert event.reason == "better on new data"
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [
        "Production is now v2 (was v1). Every web process serves it within a few seconds."
    ]


def test_roll_back_confirms_then_restores_the_previous_version(admin_client, candidate):
    """After promoting v2, rolling it back asks first, then puts v1 back, audited."""
    admin_client.post(CHANGELIST, action("promote", candidate, confirm="yes", reason="newer"))
    page = admin_client.post(CHANGELIST, action("roll_back", candidate)).content.decode()
    assert "from <strong>v2</strong>" in page and "to <strong>v1</strong>" in page
    assert ModelVersion.objects.get(version=2).status == "production"
    admin_client.post(CHANGELIST, action("roll_back", candidate, confirm="yes", reason="oops"))
    assert ModelVersion.objects.get(version=1).status == "production"
    event = ModelVersionEvent.objects.get(action="rollback")
    assert event.previous_production == candidate and event.reason == "oops"


def test_roll_back_needs_the_production_version_selected(admin_client, candidate):
    """Selecting a candidate for rollback changes nothing and says what to select."""
    response = admin_client.post(CHANGELIST, action("roll_back", candidate), follow=True)
    assert "Select the production version (v1) to roll it back." in response.content.decode()
    assert ModelVersion.objects.get(version=1).status == "production"


def test_promote_refuses_two_versions_at_once(admin_client, candidate, production_model):
    """Only one version can be promoted."""
    response = admin_client.post(
        CHANGELIST, action("promote", candidate, production_model), follow=True
    )
    assert "Select exactly one version to promote." in response.content.decode()
    assert ModelVersion.objects.get(version=2).status == "candidate"


def test_the_version_page_shows_its_status_history(admin_client, production_model, candidate):
    """v1's page lists its registration, promotion and its replacement by v2."""
    admin_client.post(CHANGELIST, action("promote", candidate, confirm="yes", reason="why not"))
    page = admin_client.get(f"{CHANGELIST}{production_model.pk}/change/").content.decode()
    assert 'class="status-history"' in page
    assert "v1 → v2" in page and "why not" in page and "boss" in page
    assert 'name="_save"' not in page


def test_the_version_page_leads_with_its_figures_and_its_model_card(admin_client, production_model):
    """Headline held-out figures and a link to /models/1/ come first; the raw JSON is folded."""
    page = admin_client.get(f"{CHANGELIST}{production_model.pk}/change/").content.decode()
    assert f"R² {production_model.metrics['test_r2']:.3f}" in page
    assert '<a href="/models/1/">v1\'s model card</a>' in page
    assert "Held-out metrics (as stored)" in page and "<details" in page


def test_stored_predictions_can_be_viewed_but_not_changed_or_deleted(admin_client, db):
    """The prediction page is read-only: no save button, POST and delete are forbidden."""
    row = Prediction.objects.create(
        status="ok", channel="api", predicted_math_score=71.5, **STUDENT
    )
    url = f"/admin/predictor/prediction/{row.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "71.5" in page and 'name="_save"' not in page
    assert admin_client.post(url, {"predicted_math_score": 99}).status_code == 403
    assert admin_client.post(f"/admin/predictor/prediction/{row.pk}/delete/").status_code == 403
    row.refresh_from_db()
    assert row.predicted_math_score == 71.5


def test_the_prediction_list_filters_and_searches(admin_client, production_model):
    """Filter by status, channel and version; search by reference."""
    Prediction.objects.create(
        status="ok",
        channel="api",
        predicted_math_score=70,
        model_version=production_model,
        reference="class 7B",
        **STUDENT,
    )
    Prediction.objects.create(status="rejected", channel="form", errors={"lunch": ["required"]})
    changelist = "/admin/predictor/prediction/"
    filtered = admin_client.get(
        changelist,
        {"status__exact": "ok", "channel__exact": "api", "model_version": production_model.pk},
    )
    assert filtered.status_code == 200 and filtered.context["cl"].result_count == 1
    searched = admin_client.get(changelist, {"q": "7B"})
    assert searched.context["cl"].result_count == 1
    assert admin_client.get(changelist, {"q": "nothing"}).context["cl"].result_count == 0


def test_audit_rows_cannot_be_edited_or_deleted(admin_client, production_model):
    """The audit trail is read-only in the admin."""
    event = ModelVersionEvent.objects.first()
    url = f"/admin/predictor/modelversionevent/{event.pk}/"
    assert admin_client.get(url + "change/").status_code == 200
    assert admin_client.post(url + "change/", {"reason": "rewritten"}).status_code == 403
    assert admin_client.post(url + "delete/").status_code == 403
