"""The single-row fast path gives the pipeline's own outputs, or is not used at all."""

import pytest

from ml import artifact, fastpath
from ml.predict import FittedModel, records_frame
from ml.train import train
from tests.factories import LOWEST_STUDENT, STUDENT


def _same(a: dict, b: dict) -> None:
    assert a["predicted_math_score"] == pytest.approx(b["predicted_math_score"], abs=1e-6)
    assert a["baseline"] == pytest.approx(b["baseline"], abs=1e-6)
    assert a["interval"] == pytest.approx(b["interval"], abs=1e-6)
    assert list(a["contributions"]) == list(b["contributions"])
    for name, points in a["contributions"].items():
        assert points == pytest.approx(b["contributions"][name], abs=1e-6)


@pytest.mark.parametrize("family", ["ridge", "random_forest", "xgboost", "catboost"])
def test_it_reproduces_the_pipeline_for_each_model_family(students, family):
    """Each family's fast path is verified at training and scores a student as the pipeline."""
    model = train(students, seed=0, quick=True, candidates=[family], n_jobs=1).model
    assert model.fast_path_report["verified"], model.fast_path_report
    assert model.fast_path_report["rows"] == 60
    assert model.fast_path is not None
    for student in (STUDENT, {**STUDENT, "gender": "male", "reading_score": 0}):
        _same(model.predict_one(student), model.predict(records_frame([student])).row(0))


def test_it_keeps_contributions_summing_to_the_score(trained):
    """Baseline plus contributions is the fast path's point, as for the pipeline."""
    result = trained.model.predict_one(STUDENT)
    total = result["baseline"] + sum(result["contributions"].values())
    assert total == pytest.approx(result["predicted_math_score"], abs=1e-9)


def test_a_score_past_the_scale_is_clipped_into_its_own_range(trained):
    """A student the model scores below 0 gets 0, inside the 90% range, on the fast path
    and the pipeline alike; the contributions still explain the model's own output."""
    lowest = LOWEST_STUDENT
    fast = trained.model.predict_one(lowest)
    pipeline = trained.model.predict(records_frame([lowest])).row(0)
    _same(fast, pipeline)
    for result in (fast, pipeline):
        raw = result["baseline"] + sum(result["contributions"].values())
        assert raw < 0  # so that this test does exercise the clipping
        assert result["predicted_math_score"] == 0
        assert result["interval"]["low"] <= 0 <= result["interval"]["high"]


def test_it_falls_back_to_the_pipeline_when_verification_fails(trained, monkeypatch):
    """A fast path that disagrees with the pipeline is dropped and the pipeline serves."""
    model: FittedModel = artifact.loads(*artifact.dumps(trained.model))

    class OffByOne(fastpath.LinearFastPath):
        def score(self, features):
            point, baseline, contributions = super().score(features)
            return point + 1.0, baseline, contributions

    monkeypatch.setattr(
        "ml.predict.compile_fast_path",
        lambda pipeline, bg: OffByOne(*pipeline.named_steps.values(), bg),
    )
    report = model.compile_fast_path(trained.holdout)
    assert not report["verified"] and "differs from the pipeline" in report["reason"]
    assert report["max_abs_error"] == pytest.approx(1.0)
    assert model.fast_path is None
    _same(model.predict_one(STUDENT), model.predict(records_frame([STUDENT])).row(0))


def test_it_travels_in_the_artifact(trained):
    """The verified fast path is saved with the model and works after loading."""
    loaded = artifact.loads(*artifact.dumps(trained.model))
    assert loaded.fast_path_report["verified"] and loaded.fast_path is not None
    _same(loaded.predict_one(STUDENT), trained.model.predict_one(STUDENT))


def test_it_scores_an_unseen_category_as_the_pipeline_does(trained):
    """An unknown category (all-zero one-hot, as scikit-learn ignores it) matches the raw
    pipeline too; predict_one does not use it for such a row, but scores it as predict
    does (the average over the categories the model saw, ml.predict)."""
    odd = {**STUDENT, "lunch": "none of these"}
    fast = trained.model.fast_path.score(odd)
    raw = trained.model.pipeline.predict(records_frame([odd]))
    assert fast[0] == pytest.approx(float(raw[0]), abs=1e-6)
    reference = trained.model.predict(records_frame([odd])).row(0)
    _same(trained.model.predict_one(odd), reference)
