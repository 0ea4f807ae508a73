"""Fail safe: nothing unservable is promoted, a broken production version is rolled back
by itself within one request (audited, alerted), and train_model still works."""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import replace

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from predictor.models import ModelArtifact, ModelVersion, ModelVersionEvent, Prediction
from predictor.registry import serving
from predictor.registry.services import (
    SYSTEM_ACTOR,
    model_version_promote,
    model_version_register,
)
from tests.factories import STUDENT, make_students

URL = "/api/v1/predictions/"


def corrupt(model_version: ModelVersion) -> None:
    """Damage the stored bytes and record their new sha256, as a bad copy would: the hash
    check passes and unpickling fails."""
    data = bytes(ModelArtifact.objects.get(pk=model_version.pk).data)
    broken = data[: len(data) // 2]
    ModelArtifact.objects.filter(pk=model_version.pk).update(data=broken)
    ModelVersion.objects.filter(pk=model_version.pk).update(
        artifact_sha256=hashlib.sha256(broken).hexdigest()
    )


@pytest.fixture
def second(production_model, trained):
    """A second, good version registered as a candidate."""
    version, _, _ = model_version_register(
        result=replace(trained, seed=1), promote=False, actor_label="tests"
    )
    return version


@pytest.fixture
def staff():
    client = APIClient()
    client.force_authenticate(User.objects.create_user("lead", is_staff=True))
    return client


def test_a_version_that_cannot_load_cannot_be_promoted(second, staff, production_model):
    """Pre-flight: the API answers 409 naming the fault; production is unchanged."""
    corrupt(second)
    response = staff.post(f"/api/v1/models/{second.version}/promote/", {"reason": "try"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "preflight_failed"
    assert f"v{second.version} cannot be served" in body["detail"]
    assert ModelVersion.objects.production().get().pk == production_model.pk


def test_a_version_that_does_not_reproduce_its_metrics_cannot_be_promoted(second, staff):
    """A stored RMSE the artifact does not reproduce is refused too."""
    metrics = {**second.metrics, "test_rmse": second.metrics["test_rmse"] + 1}
    ModelVersion.objects.filter(pk=second.pk).update(metrics=metrics)
    response = staff.post(f"/api/v1/models/{second.version}/promote/", {"reason": "try"})
    assert response.status_code == 409
    assert (
        "not the" in response.json()["detail"]
        and "recorded at training" in response.json()["detail"]
    )


def test_a_broken_version_forced_into_production_is_rolled_back_within_one_request(
    second, production_model
):
    """v2 in production, then its artifact breaks (a direct database update): the next
    prediction is a 201 from v1, with an audit event by the system and an alert."""
    model_version_promote(model_version=second, actor_label="tests")
    corrupt(second)
    serving.reset()
    response = APIClient().post(URL, STUDENT, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["model_version"] == production_model.version
    assert ModelVersion.objects.production().get().pk == production_model.pk
    event = ModelVersionEvent.objects.get(action="rollback")
    assert event.actor_label == SYSTEM_ACTOR
    assert event.previous_production_id == second.pk
    assert "cannot serve" in event.reason

    with pytest.raises(CommandError, match="automatic rollback") as failed:
        call_command("monitor_report", stdout=io.StringIO())
    assert failed.value.returncode != 0


def test_the_dashboard_shows_the_automatic_rollback(second, production_model, client):
    model_version_promote(model_version=second, actor_label="tests")
    corrupt(second)
    serving.reset()
    client.force_login(User.objects.create_user("admin", is_staff=True, is_superuser=True))
    html = client.get("/admin/monitoring/?window=24h").content.decode()
    assert "Automatic rollback" in html
    assert f"from v{second.version} to v{production_model.version}" in html


def test_with_no_servable_version_the_api_and_readyz_say_so(production_model):
    """Nothing to fall back to: 503 JSON (the fault named in the attempt's row and to
    staff, not to an anonymous caller), /readyz 503 JSON, the attempt kept."""
    corrupt(production_model)
    serving.reset()
    response = APIClient().post(URL, STUDENT, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "model_unavailable"
    assert "sha256" not in response.json()["detail"].lower()
    failed = Prediction.objects.get()
    assert failed.status == "failed"
    assert "no earlier version can replace it" in failed.errors["model"]
    ready = APIClient().get("/readyz")
    assert ready.status_code == 503 and ready.json()["ready"] is False


def test_a_version_failing_too_often_is_rolled_back_by_the_failure_rate(
    second, production_model, settings, monkeypatch
):
    """A version that fails on some students only (its canary passes) is rolled back once
    its failures pass the documented rate; that request is answered by v1."""
    settings.AUTO_ROLLBACK_MIN_ATTEMPTS = 4
    settings.AUTO_ROLLBACK_FAILURE_RATE = 0.5
    model_version_promote(model_version=second, actor_label="tests")
    serving.reset()
    served = serving.active_model()
    original = served.model.predict_one

    def flaky(features):
        if features["reading_score"] == 13:
            raise FloatingPointError("overflow")
        return original(features)

    monkeypatch.setattr(served.model, "predict_one", flaky)
    client = APIClient()
    assert client.post(URL, STUDENT, format="json").status_code == 201
    odd = {**STUDENT, "reading_score": 13}
    codes = [client.post(URL, odd, format="json").status_code for _ in range(3)]
    assert codes[:2] == [500, 500]
    assert codes[2] == 201
    assert ModelVersion.objects.production().get().pk == production_model.pk
    assert (
        ModelVersionEvent.objects.filter(action="rollback", actor_label=SYSTEM_ACTOR).count() == 1
    )


def test_train_model_registers_and_promotes_a_new_version_over_a_broken_one(
    production_model, tmp_path
):
    """The fix README offers works whatever the production artifact is."""
    corrupt(production_model)
    path = tmp_path / "students.csv"
    make_students(300, seed=3).to_csv(path, index=False)
    out = io.StringIO()
    call_command("train_model", "--data", str(path), "--quick", stdout=out)
    newest = ModelVersion.objects.order_by("-version").first()
    assert newest.version == production_model.version + 1
    assert newest.status == "production"
    assert "cannot be loaded" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_rollback_answers_at_once_when_commit_callbacks_run_immediately(trained):
    """Outside a test transaction (as under gunicorn) the rollback's commit runs at once;
    the request must still be answered by the restored version, not hang on a lock."""
    first, _, _ = model_version_register(result=trained, actor_label="tests")
    second, _, _ = model_version_register(
        result=replace(trained, seed=1), promote=False, actor_label="tests"
    )
    model_version_promote(model_version=second, actor_label="tests")
    corrupt(second)
    serving.reset()
    outcome = {}

    def post():
        outcome["response"] = APIClient().post(URL, STUDENT, format="json")

    worker = threading.Thread(target=post, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the request hung"
    assert outcome["response"].status_code == 201
    assert outcome["response"].json()["model_version"] == first.version
    assert APIClient().get("/readyz").json()["ready"] is True


def test_a_missing_artifact_row_is_rolled_back_too(second, production_model):
    model_version_promote(model_version=second, actor_label="tests")
    ModelArtifact.objects.filter(pk=second.pk).delete()
    serving.reset()
    response = APIClient().post(URL, STUDENT, format="json")
    assert response.status_code == 201
    assert response.json()["model_version"] == production_model.version
