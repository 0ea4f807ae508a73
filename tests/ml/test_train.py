"""ml.train: the split comes first, selection uses CV on training rows only."""

import numpy as np
import pytest

from ml.candidates import CANDIDATES
from ml.data import row_hashes
from ml.train import split, train
from tests.factories import make_students


def test_the_split_is_seeded_stratified_and_disjoint(students):
    """80/20, the same rows for the same seed, no row in both parts."""
    train_part, test_part = split(students, seed=7)
    again, _ = split(students, seed=7)
    assert len(test_part) == 60 and len(train_part) == 240
    assert train_part.equals(again)
    assert not set(row_hashes(train_part)) & set(row_hashes(test_part))
    # Stratified on binned math score: both parts cover the same score range.
    assert abs(train_part["math_score"].median() - test_part["math_score"].median()) < 5


def test_held_out_rows_influence_nothing_but_the_test_metrics(students):
    """Scrambling the held-out rows' features changes no choice, fit or calibration."""
    _, test_part = split(students, seed=0)
    held_out = students.index[
        students[list(students.columns)].apply(tuple, axis=1).isin(test_part.apply(tuple, axis=1))
    ]
    scrambled = students.copy()
    scrambled.loc[held_out, "reading_score"] = 100 - scrambled.loc[held_out, "reading_score"]
    scrambled.loc[held_out, "gender"] = "male"
    options = {"seed": 0, "quick": True, "candidates": ["ridge", "xgboost"], "n_jobs": 1}
    first, second = train(students, **options), train(scrambled, **options)

    def choices(result):
        return [(r["name"], r["params"], r["cv_r2_mean"]) for r in result.leaderboard]

    assert choices(first) == choices(second)
    assert first.metrics["interval_half_width"] == second.metrics["interval_half_width"]
    np.testing.assert_allclose(first.model.background_mean, second.model.background_mean)
    assert first.metrics["test_r2"] != second.metrics["test_r2"]


def test_it_selects_by_cv_and_scores_the_winner_once_on_held_out_rows(trained):
    """The winner has the best CV mean; test metrics and provenance are recorded."""
    best = max(trained.leaderboard, key=lambda r: r["cv_r2_mean"])
    assert trained.name == best["name"] == trained.leaderboard[0]["name"]
    assert trained.metrics["test_r2"] > 0.8  # the data has a strong linear signal
    assert {"test_mae", "test_rmse", "cv_r2_mean", "cv_r2_std"} <= set(trained.metrics)
    assert trained.rows == {"total": 300, "train": 240, "test": 60}
    assert len(trained.data_fingerprint) == 64
    assert trained.library_versions["scikit-learn"]
    assert len(trained.train_row_hashes) == 240


@pytest.mark.parametrize("candidate", [c.name for c in CANDIDATES])
def test_every_candidate_fits_in_a_search(candidate):
    """Each family runs through GridSearchCV (guards the __sklearn_tags__ trap) and predicts."""
    frame = make_students(120, seed=5)
    result = train(frame, seed=1, quick=True, candidates=[candidate], n_jobs=1)
    assert result.name == candidate
    assert result.leaderboard[0]["n_splits"] == 3
    predictions = result.model.predict_point(result.holdout)
    assert predictions.shape == (len(result.holdout),)
    assert np.isfinite(predictions).all()


def test_full_search_uses_repeated_kfold():
    """Without --quick, each candidate is scored over 3×5 folds."""
    frame = make_students(100, seed=6)
    result = train(frame, seed=1, quick=False, candidates=["ridge"], n_jobs=1)
    assert result.leaderboard[0]["n_splits"] == 15
    assert result.leaderboard[0]["cv_r2_std"] > 0
