"""POST /api/v1/models/{version}/promote/ and /api/v1/models/rollback/: staff only, audited."""

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from predictor.models import ModelVersion, ModelVersionEvent
from predictor.registry import serving
from predictor.registry.services import model_version_register

ROLLBACK = "/api/v1/models/rollback/"


def promote_url(version: int) -> str:
    return f"/api/v1/models/{version}/promote/"


@pytest.fixture
def candidate(production_model, trained):
    """v2, registered next to production v1 without being promoted."""
    version, promoted, _ = model_version_register(result=trained, promote=False)
    assert not promoted
    return version


@pytest.fixture
def staff(db):
    return User.objects.create_user("lead", password="pw-lead-123", is_staff=True)


@pytest.fixture
def staff_api(staff):
    client = APIClient()
    client.force_authenticate(staff)
    return client


def production_versions() -> list[int]:
    return list(ModelVersion.objects.production().values_list("version", flat=True))


@pytest.mark.parametrize("who, status", [("anonymous", 401), ("teacher", 403)])
def test_it_refuses_anyone_but_staff(candidate, who, status):
    """Signed-in non-staff get 403; anonymous callers 401 (asked to authenticate, as token
    auth does); nothing changes."""
    client = APIClient()
    if who == "teacher":
        client.force_authenticate(User.objects.create_user("teacher", password="pw-t-12345"))
    events = ModelVersionEvent.objects.count()
    assert client.post(promote_url(2), {}, format="json").status_code == status
    assert client.post(ROLLBACK, {}, format="json").status_code == status
    assert production_versions() == [1]
    assert ModelVersionEvent.objects.count() == events


def test_promote_then_rollback_restores_the_previous_version(
    staff_api, staff, candidate, django_capture_on_commit_callbacks
):
    """v2 promoted over v1, then rolled back: v1 serves again, and both changes are audited."""
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.post(promote_url(2), {"reason": "lower RMSE"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2 and response.json()["status"] == "production"
    assert production_versions() == [2]
    assert ModelVersion.objects.get(version=1).status == "archived"
    assert serving.active_model().version == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.post(ROLLBACK, {"reason": "complaints"}, format="json")
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert production_versions() == [1]
    assert serving.active_model().version == 1

    promote, rollback = ModelVersionEvent.objects.filter(actor=staff).order_by("id")
    assert (promote.action, promote.model_version.version) == ("promote", 2)
    assert promote.previous_production.version == 1 and promote.reason == "lower RMSE"
    assert promote.actor_label == "lead" and promote.created_at is not None
    assert (rollback.action, rollback.model_version.version) == ("rollback", 1)
    assert rollback.previous_production.version == 2 and rollback.reason == "complaints"


def test_rollbacks_walk_back_through_the_promotions(staff_api, candidate, trained):
    """v1 → v2 → v3, then rollback, rollback: v2, then v1, then 409 (nothing before v1)."""
    model_version_register(result=trained, promote=False)
    assert staff_api.post(promote_url(2), {"reason": "a"}, format="json").status_code == 200
    assert staff_api.post(promote_url(3), {"reason": "b"}, format="json").status_code == 200
    assert staff_api.post(ROLLBACK, format="json").json()["version"] == 2
    assert staff_api.post(ROLLBACK, format="json").json()["version"] == 1
    response = staff_api.post(ROLLBACK, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "v1 has no previous production version",
        "code": "lifecycle_conflict",
    }
    assert production_versions() == [1]
    reasons = ModelVersionEvent.objects.filter(action="rollback").values_list("reason", flat=True)
    assert sorted(reasons) == ["rolled back from v2", "rolled back from v3"]


def test_promoting_the_production_version_again_is_a_409(staff_api, production_model):
    """Promoting v1 while v1 serves changes nothing and says so."""
    response = staff_api.post(promote_url(1), {"reason": "again"}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == "v1 is already in production"
    assert ModelVersionEvent.objects.filter(action="promote").count() == 1


def test_promoting_an_unknown_version_is_a_404(staff_api, production_model):
    """There is no v9."""
    assert staff_api.post(promote_url(9), {"reason": "x"}, format="json").status_code == 404
    assert production_versions() == [1]


def test_a_reason_longer_than_1000_characters_is_refused(staff_api, candidate):
    """The reason field is validated like any input: 400 naming it."""
    response = staff_api.post(promote_url(2), {"reason": "x" * 1001}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    assert production_versions() == [1]


def test_rollback_with_nothing_in_production_is_a_503(staff_api, db):
    """No model at all: 503 saying there is nothing to roll back."""
    response = staff_api.post(ROLLBACK, format="json")
    assert response.status_code == 503
    assert "nothing to roll back" in response.json()["detail"]


def test_the_database_refuses_a_second_production_version(candidate):
    """The partial unique constraint holds even if code bypasses the service."""
    candidate.status = ModelVersion.Status.PRODUCTION
    with pytest.raises(IntegrityError), transaction.atomic():
        candidate.save(update_fields=["status"])
    assert production_versions() == [1]


def test_the_schema_documents_the_reason_and_the_fairness_gate_override(client, db):
    """The promote request requires `reason` and offers `override_fairness_gate`; its 409
    answer lists the gate's `reasons`."""
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    request = components["PromoteInputRequest"]
    assert request["required"] == ["reason"]
    assert request["properties"]["override_fairness_gate"]["type"] == "boolean"
    post = schema["paths"]["/api/v1/models/{version}/promote/"]["post"]
    conflict = post["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    gate_error = components[conflict.rsplit("/", 1)[1]]
    assert gate_error["properties"]["reasons"]["type"] == "array"
    assert "400" in post["responses"]
