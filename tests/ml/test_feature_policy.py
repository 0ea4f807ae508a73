"""Training without named features: recorded, ignored at scoring, refused when unknown."""

from __future__ import annotations

import numpy as np
import pytest

from ml import artifact, schema, synth
from ml.errors import DataError
from ml.predict import records_frame
from ml.train import feature_policy, train
from tests.factories import STUDENT


@pytest.fixture(scope="module")
def frame():
    return synth.generate(400, seed=3)


@pytest.fixture(scope="module")
def without_gender(frame):
    return train(
        frame, seed=0, quick=True, candidates=["ridge"], n_jobs=1, exclude_features=["gender"]
    )


def test_it_records_the_features_used_and_those_left_out(without_gender):
    """The result and the model both say gender is not used; the other six are."""
    expected = [f for f in schema.FEATURE_NAMES if f != "gender"]
    assert without_gender.features == expected
    assert without_gender.excluded_features == ["gender"]
    assert without_gender.model.used_features == tuple(expected)


def test_the_model_accepts_all_seven_and_ignores_the_excluded_one(without_gender):
    """Flipping gender changes no score, interval or contribution; gender contributes 0."""
    holdout = without_gender.holdout
    flipped = holdout.assign(gender=np.where(holdout["gender"] == "male", "female", "male"))
    a, b = without_gender.model.predict(holdout), without_gender.model.predict(flipped)
    np.testing.assert_array_equal(a.point, b.point)
    np.testing.assert_array_equal(a.low, b.low)
    np.testing.assert_array_equal(a.contributions, b.contributions)
    assert np.all(a.contributions[:, schema.FEATURE_NAMES.index("gender")] == 0)
    gaps = np.abs(a.baseline + a.contributions.sum(axis=1) - a.point)
    assert gaps.max() < 0.01
    assert a.row(0)["features_used"] == without_gender.features


@pytest.mark.parametrize("family", ["ridge", "xgboost"])
def test_the_fast_path_is_verified_and_agrees_for_an_excluding_model(frame, family):
    """Single-row scoring of a model without gender and writing matches the pipeline."""
    result = train(
        frame,
        seed=0,
        quick=True,
        candidates=[family],
        n_jobs=1,
        exclude_features=["gender", "writing_score"],
    )
    model = artifact.loads(*artifact.dumps(result.model))
    assert model.fast_path_report["verified"], model.fast_path_report
    for student in (STUDENT, {**STUDENT, "gender": "male", "writing_score": 3}):
        fast = model.predict_one(student)
        slow = model.predict(records_frame([student])).row(0)
        assert fast["predicted_math_score"] == pytest.approx(slow["predicted_math_score"])
        assert fast["contributions"] == pytest.approx(slow["contributions"])
        assert fast["contributions"]["gender"] == fast["contributions"]["writing_score"] == 0
    assert model.predict_one(STUDENT) == model.predict_one({**STUDENT, "gender": "male"})


def test_an_unknown_feature_name_is_refused_with_the_valid_names():
    """A typo is named, with the names that would work; train refuses it before fitting."""
    with pytest.raises(DataError, match=r"unknown feature 'sex'.*valid names: gender, "):
        feature_policy(["sex"])
    with pytest.raises(ValueError, match="unknown feature 'math_score'"):
        train(synth.generate(100, seed=1), quick=True, exclude_features=["math_score"])


def test_excluding_every_feature_is_refused():
    """Nothing left to learn from is a plain error, not a scikit-learn traceback."""
    with pytest.raises(DataError, match="every feature is excluded"):
        feature_policy(schema.FEATURE_NAMES)


def test_a_model_pickled_before_the_policy_uses_all_seven(trained):
    """An artifact whose model lacks the new attributes scores as before: all features,
    the marginal half-width, nobody flagged."""
    model = artifact.loads(*artifact.dumps(trained.model))
    for name in ("features", "mondrian", "interval_method", "unusual_profile"):
        model.__dict__.pop(name, None)
    assert model.used_features == schema.FEATURE_NAMES
    batch = model.predict(trained.holdout)
    np.testing.assert_allclose(batch.point, trained.model.predict_point(trained.holdout))
    unclipped = (batch.low > 0) & (batch.high < 100)
    widths = (batch.high - batch.low)[unclipped]
    assert widths == pytest.approx(2 * trained.metrics["interval_half_width"])
    assert not batch.unusual.any()
    assert model.predict_one(STUDENT)["unusual"] == {"flagged": False, "reason": ""}
