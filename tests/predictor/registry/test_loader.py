"""serving.load: the one loader of artifacts, which turns every way an artifact can fail
into ModelUnavailableError, and pages that never need a former model."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pandas as pd
import pytest
from django.test import Client

from ml import artifact
from predictor.errors import ModelUnavailableError, NoModelError
from predictor.models import ModelArtifact, ModelVersion, Prediction
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
    serving.reset()
    return production_model


def store(model_version: ModelVersion, data: bytes) -> None:
    """Replace a version's artifact bytes and record their true sha256."""
    ModelArtifact.objects.filter(pk=model_version.pk).update(data=data)
    digest = hashlib.sha256(data).hexdigest()
    ModelVersion.objects.filter(pk=model_version.pk).update(artifact_sha256=digest)


def test_it_loads_any_version_by_id(superseded):
    """An archived version loads from its own artifact row."""
    loaded = serving.load(superseded.pk)
    assert loaded.version == superseded.version
    assert loaded.model.predict_point(pd.DataFrame([STUDENT])).shape == (1,)


def test_it_refuses_an_unknown_version(db):
    with pytest.raises(NoModelError):
        serving.load(9999)


def test_it_refuses_a_hash_that_no_longer_matches(production_model):
    ModelVersion.objects.filter(pk=production_model.pk).update(artifact_sha256="0" * 64)
    with pytest.raises(ModelUnavailableError, match="hash mismatch"):
        serving.load(production_model.pk)


def test_it_refuses_corrupted_bytes_whose_sha256_matches(production_model):
    """Damaged bytes recorded with their own hash fail to unpickle: a plain error."""
    data = bytes(production_model.artifact.data)
    store(production_model, data[: len(data) // 2])
    with pytest.raises(ModelUnavailableError, match=f"v{production_model.version} cannot"):
        serving.load(production_model.pk)


def test_it_refuses_a_pickle_naming_a_module_that_no_longer_exists(production_model):
    """A stored pickle of a class a refactor renamed fails as ModelUnavailableError."""
    data = bytes(production_model.artifact.data)
    header = artifact.read_header(data)
    # The protocol-2 opcodes of a pickle of the global ml.vanished.Model.
    body = b"\x80\x02cml.vanished\nModel\nq\x00."
    forged = artifact.MAGIC + json.dumps(header).encode() + b"\n" + body
    store(production_model, forged)
    with pytest.raises(ModelUnavailableError, match="ml.vanished|No module"):
        serving.load(production_model.pk)


def test_a_result_page_never_loads_a_former_model(superseded):
    """An old prediction's page answers 200 with its score even when its own version's
    artifact is broken: the page needs no model but the one serving."""
    client = Client()
    ModelVersion.objects.filter(pk=superseded.pk).update(status="archived")
    prediction = Prediction.objects.create(
        channel="form",
        status="ok",
        **STUDENT,
        predicted_math_score=66.0,
        interval_low=58.0,
        interval_high=74.0,
        interval_level=0.9,
        baseline=60.0,
        contributions=dict.fromkeys(STUDENT, 6.0 / 7),
        model_version=superseded,
        session_key="",
    )
    ModelArtifact.objects.filter(pk=superseded.pk).update(data=b"broken")
    session = client.session
    session.save()
    Prediction.objects.filter(pk=prediction.pk).update(session_key=session.session_key)
    response = client.get(f"/predictions/{prediction.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Why this score" in html
    assert "serves now" in html
