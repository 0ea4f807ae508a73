"""serving.version_model: any version's model, to explain that version's own predictions."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.test import Client

from predictor.errors import ModelUnavailableError, NoModelError
from predictor.models import ModelVersion, Prediction
from predictor.registry import serving
from predictor.registry.services import model_version_promote, model_version_register
from tests.factories import STUDENT


@pytest.fixture
def superseded(production_model, trained):
    """The first version, archived after a second one was promoted."""
    newer, _, _ = model_version_register(
        result=replace(trained, seed=1), promote=False, actor_label="tests"
    )
    model_version_promote(model_version=newer, actor_label="tests")
    return production_model


def test_it_serves_the_production_version_from_the_active_model(production_model):
    """Asking for the production version returns the very model active_model() holds."""
    assert serving.version_model(model_version_id=production_model.pk) is serving.active_model()


def test_it_loads_an_archived_version_once_and_caches_it(superseded):
    """An archived version loads from its artifact; the second call reuses it."""
    first = serving.version_model(model_version_id=superseded.pk)
    assert first.version == superseded.version
    assert serving.version_model(model_version_id=superseded.pk) is first


def test_it_refuses_an_unknown_or_tampered_version(superseded):
    """No such row → NoModelError; a hash that no longer matches → ModelUnavailableError."""
    with pytest.raises(NoModelError):
        serving.version_model(model_version_id=9999)
    ModelVersion.objects.filter(pk=superseded.pk).update(artifact_sha256="0" * 64)
    with pytest.raises(ModelUnavailableError, match="hash mismatch"):
        serving.version_model(model_version_id=superseded.pk)


def test_the_result_page_says_why_when_the_what_if_cannot_be_computed(production_model, trained):
    """If the prediction's version cannot be loaded, the page still answers 200 with the
    score and says why the what-if is missing, instead of failing."""
    client = Client()
    client.post("/", STUDENT)
    prediction = Prediction.objects.get()
    newer, _, _ = model_version_register(
        result=replace(trained, seed=1), promote=False, actor_label="tests"
    )
    model_version_promote(model_version=newer, actor_label="tests")
    ModelVersion.objects.filter(pk=production_model.pk).update(artifact_sha256="0" * 64)
    serving.reset()
    response = client.get(f"/predictions/{prediction.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "The what-if cannot be computed right now" in html
    assert "cannot be served: artifact hash mismatch" in html
    assert "Why this score" in html
