"""Tests of the synthetic data generator ``ml.synth`` and its bundled output.

No Django and no public data needed: the comparison with the public Kaggle file lives in
``bench/calibrate_synth.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml import schema, synth

REPO_ROOT = Path(__file__).resolve().parents[2]
BUNDLED_CSV = REPO_ROOT / "ml" / "data" / "students.csv"
EXPECTED_COLUMNS = [
    "gender",
    "race_ethnicity",
    "parental_level_of_education",
    "lunch",
    "test_preparation_course",
    "math_score",
    "reading_score",
    "writing_score",
]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synth.generate()


def test_columns_in_public_order(frame):
    assert list(frame.columns) == EXPECTED_COLUMNS
    assert list(synth.COLUMNS) == EXPECTED_COLUMNS
    assert len(frame) == 1000


def test_same_seed_same_frame_other_seed_other_frame():
    pd.testing.assert_frame_equal(synth.generate(300, 7), synth.generate(300, 7))
    assert not synth.generate(300, 7).equals(synth.generate(300, 8))


def test_scores_are_integers_from_0_to_100(frame):
    for name in schema.SCORE_COLUMNS:
        assert pd.api.types.is_integer_dtype(frame[name]), name
        assert frame[name].between(schema.SCORE_MIN, schema.SCORE_MAX).all(), name


def test_categories_are_schema_values_and_all_present(frame):
    for name in schema.CATEGORICAL_FEATURES:
        assert pd.api.types.is_string_dtype(frame[name]), name
        assert set(frame[name]) == set(schema.FEATURES_BY_NAME[name].choices), name
    assert not frame.isna().any().any()


def test_category_counts_match_the_calibration_to_one_row(frame):
    # Counts are allocated exactly, so 1,000 rows reproduce the public counts.
    expected = dict(synth.CATEGORY_COUNTS)
    expected["gender"] = {
        level: sum(by_race[level] for by_race in synth.GENDER_COUNTS_BY_RACE.values())
        for level in schema.FEATURES_BY_NAME["gender"].choices
    }
    for name, counts in expected.items():
        actual = frame[name].value_counts()
        for level, count in counts.items():
            assert abs(actual[level] - count) <= 1, (name, level)


def test_bundled_csv_is_generate_default_written_out(tmp_path):
    # The shipped file and the generator must not drift apart: regenerate it with
    # `python -m ml.synth` after changing ml/synth.py.
    regenerated = synth.write_csv(synth.generate(1000, 42), tmp_path / "students.csv")
    assert BUNDLED_CSV.read_bytes() == regenerated.read_bytes()
    assert BUNDLED_CSV.read_text().splitlines()[0] == ",".join(EXPECTED_COLUMNS)


def test_structure_resembles_the_public_data(frame):
    scores = frame[list(schema.SCORE_COLUMNS)]
    corr = scores.corr()
    assert corr.loc["math_score", "reading_score"] > 0.7
    assert corr.loc["math_score", "writing_score"] > 0.7
    assert corr.loc["reading_score", "writing_score"] > 0.9
    assert 60 < frame["math_score"].mean() < 72
    assert 12 < frame["math_score"].std() < 18

    def mean(column: str, level: str, score: str = "math_score") -> float:
        return frame.loc[frame[column] == level, score].mean()

    assert mean("lunch", "standard") > mean("lunch", "free/reduced") + 5
    assert mean("test_preparation_course", "completed") > mean("test_preparation_course", "none")
    assert mean("gender", "male") > mean("gender", "female")
    for score in ("reading_score", "writing_score"):
        assert mean("gender", "female", score) > mean("gender", "male", score) + 3
    assert mean("race_ethnicity", "group E") > mean("race_ethnicity", "group A") + 5
    assert mean("parental_level_of_education", "master's degree") > mean(
        "parental_level_of_education", "high school"
    )


def test_math_is_close_to_linear_in_the_other_columns(frame):
    # A least-squares fit should find the calibrated rule: R² near the public 0.87-0.88 and a
    # residual SD near 5.4 points.
    design = pd.get_dummies(frame[list(schema.CATEGORICAL_FEATURES)], drop_first=True, dtype=float)
    design[["reading_score", "writing_score"]] = frame[["reading_score", "writing_score"]]
    design.insert(0, "intercept", 1.0)
    y = frame["math_score"].to_numpy(float)
    coef, *_ = np.linalg.lstsq(design.to_numpy(), y, rcond=None)
    residuals = y - design.to_numpy() @ coef
    r2 = 1 - residuals.var() / y.var()
    assert 0.84 < r2 < 0.92
    assert 4.8 < residuals.std() < 6.0


@pytest.mark.parametrize("n_rows", [1, 2, 13, 250])
def test_small_and_odd_sizes(n_rows):
    result = synth.generate(n_rows, seed=3)
    assert len(result) == n_rows
    assert list(result.columns) == EXPECTED_COLUMNS
    assert not result.isna().any().any()


@pytest.mark.parametrize("n_rows", [0, -5, 2.5, True])
def test_rejects_bad_row_counts(n_rows):
    with pytest.raises(ValueError):
        synth.generate(n_rows)


def test_cli_writes_the_requested_csv(tmp_path, capsys):
    out = tmp_path / "nested" / "synthetic.csv"
    assert synth.main(["--rows", "25", "--seed", "3", "--out", str(out)]) == 0
    assert "25 rows" in capsys.readouterr().out
    written = pd.read_csv(out)
    expected = synth.generate(25, 3)
    assert list(written.columns) == EXPECTED_COLUMNS
    assert written.astype(str).equals(expected.astype(str))


def test_ml_synth_does_not_import_django():
    code = "import sys, ml.synth; sys.exit('django' in sys.modules)"
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)
