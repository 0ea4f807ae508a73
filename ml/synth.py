"""Seeded generator of a synthetic data set shaped like "Students Performance in Exams".

The public Kaggle data set (1,000 students) is not shipped with this project. Instead we ship
``ml/data/students.csv``, made by :func:`generate` with the default arguments, whose category
frequencies, score means, spreads, correlations and group effects match the public file
closely, and on which a linear model learns almost the same math-score rule.

How a row is made:

1. The categorical features are drawn with the public frequencies, independently except
   gender, which is drawn within each race group (the public categories are otherwise close
   to independent: no pairwise chi-square test is significant at 5 %). Category counts are
   allocated exactly (largest remainder) and then shuffled, so every generated set has the
   public proportions, not just in expectation.
2. Reading is a latent "ability" (a standardised skew-normal: the public scores have a
   longer left tail) times a spread, shifted by an additive function of the categories
   chosen so that every category level has the public mean reading score.
3. Writing is linear in the integer reading score plus noise, shifted the same way to the
   public writing means of every level.
4. Math is the public least-squares rule: linear in the integer reading and writing scores
   and the categories, plus noise with the public residual SD (about 5.4 points).

Each score is rounded to an integer and clipped to 0..100 before the next one uses it, which
is how the public file's integers relate to one another. Step 4 reproduces the conditional
structure a regression model learns (math given reading, writing and categories); steps 1
to 3 reproduce the distribution of its inputs.

Run ``python -m ml.synth [--rows N] [--seed S] [--out PATH]`` to write a CSV.

This module must not import Django.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ml.schema import (
    CATEGORICAL_FEATURES,
    FEATURES_BY_NAME,
    SCORE_MAX,
    SCORE_MIN,
    TARGET,
)

DEFAULT_ROWS = 1000
DEFAULT_SEED = 42
DEFAULT_OUT = Path(__file__).resolve().parent / "data" / "students.csv"

# Column order of the public file (and of our CSV): categories, then math, reading, writing.
COLUMNS: tuple[str, ...] = (*CATEGORICAL_FEATURES, TARGET, "reading_score", "writing_score")

# --- Constants fitted once on the public Kaggle data set (not shipped) -------------------
# Reproduce them with `python bench/calibrate_synth.py PUBLIC_CSV --fit`. Levels are in the
# order of ml.schema; the first level of each feature is the reference level.

# Category counts in the public 1,000-row file, used as sampling frequencies. Gender is not
# listed: it is drawn within each race/ethnicity group with that group's public split.
CATEGORY_COUNTS: dict[str, dict[str, int]] = {
    "race_ethnicity": {
        "group A": 89,
        "group B": 190,
        "group C": 319,
        "group D": 262,
        "group E": 140,
    },
    "parental_level_of_education": {
        "some high school": 179,
        "high school": 196,
        "some college": 226,
        "associate's degree": 222,
        "bachelor's degree": 118,
        "master's degree": 59,
    },
    "lunch": {"standard": 645, "free/reduced": 355},
    "test_preparation_course": {"none": 642, "completed": 358},
}
# The only dependency among the public categories that matters here: 60 % of group A are
# male against 48 % overall (chi-square p = 0.06). Males score 13 points more in math at
# equal reading and writing, so drawing gender independently would understate group A's
# math mean by about 1.5 points and inflate the other groups' math advantage over it.
GENDER_COUNTS_BY_RACE: dict[str, dict[str, int]] = {
    "group A": {"female": 36, "male": 53},
    "group B": {"female": 104, "male": 86},
    "group C": {"female": 180, "male": 139},
    "group D": {"female": 129, "male": 133},
    "group E": {"female": 69, "male": 71},
}

# Public mean reading and writing scores (points), overall and within each category level.
# The synthetic reading and writing scores are given exactly these group means (see _rake).
# Matching group means directly, rather than through regression coefficients, matters because
# the public categories are slightly dependent (race with parental education and gender), so
# partial regression effects applied to independent categories would shrink, e.g., the
# group E writing advantage from 8.7 to 5.2 points.
SCORE_MEANS: dict[str, float] = {"reading_score": 69.169, "writing_score": 68.054}
LEVEL_MEANS: dict[str, dict[str, dict[str, float]]] = {
    "reading_score": {
        "gender": {"female": 72.608, "male": 65.473},
        "race_ethnicity": {
            "group A": 64.674,
            "group B": 67.353,
            "group C": 69.103,
            "group D": 70.031,
            "group E": 73.029,
        },
        "parental_level_of_education": {
            "some high school": 66.939,
            "high school": 64.704,
            "some college": 69.460,
            "associate's degree": 70.928,
            "bachelor's degree": 73.000,
            "master's degree": 75.373,
        },
        "lunch": {"standard": 71.654, "free/reduced": 64.654},
        "test_preparation_course": {"none": 66.534, "completed": 73.894},
    },
    "writing_score": {
        "gender": {"female": 72.467, "male": 63.311},
        "race_ethnicity": {
            "group A": 62.674,
            "group B": 65.600,
            "group C": 67.828,
            "group D": 70.145,
            "group E": 71.407,
        },
        "parental_level_of_education": {
            "some high school": 64.888,
            "high school": 62.449,
            "some college": 68.841,
            "associate's degree": 69.896,
            "bachelor's degree": 73.381,
            "master's degree": 75.678,
        },
        "lunch": {"standard": 70.823, "free/reduced": 63.023},
        "test_preparation_course": {"none": 64.505, "completed": 74.419},
    },
}

# Reading = group-mean part + READING_NOISE_SD * ability. The SD (points) is what is left of
# the public reading variance (14.60**2) after the group-mean part's variance under
# independent categories, so the total spread matches the public one.
READING_NOISE_SD = 12.750

# Writing = WRITING_READING_SLOPE * reading + group part + noise. The slope (points per
# reading point) and the noise SD (points) are from the OLS fit of writing on reading and
# the one-hot categories; they carry the 0.955 reading-writing correlation.
WRITING_READING_SLOPE = 0.917
WRITING_NOISE_SD = 3.924

# Math = intercept + category effects + slopes * (reading, writing) + noise: the OLS fit of
# the public math score on the one-hot categories and the integer reading and writing
# scores, used as is. This is the conditional rule a model has to learn, so it is not
# adjusted to match group means (those come out close anyway: see bench/calibrate_synth.py).
# Effects are points relative to the reference level; the noise SD is the residual SD
# (degrees-of-freedom corrected), about 5.4 points.
MATH_INTERCEPT = -4.337
MATH_EFFECTS: dict[str, dict[str, float]] = {
    "gender": {"male": 13.240},
    "race_ethnicity": {"group B": 0.835, "group C": 0.178, "group D": 0.098, "group E": 5.078},
    "parental_level_of_education": {
        "high school": 0.016,
        "some college": -0.152,
        "associate's degree": -0.552,
        "bachelor's degree": -1.599,
        "master's degree": -2.408,
    },
    "lunch": {"free/reduced": -3.213},
    "test_preparation_course": {"completed": -3.502},
}
MATH_SLOPES: dict[str, float] = {"reading_score": 0.264, "writing_score": 0.702}
MATH_NOISE_SD = 5.362

# The reading residuals of the public fit have skewness -0.24 (a longer left tail: a few
# very low scores). A skew-normal with shape delta = -0.7986 has that skewness; its mean is
# delta * sqrt(2/pi) = -0.6372 and its SD sqrt(1 - 0.6372**2) = 0.7707, used to standardise.
# Writing and math residuals are near-symmetric (skewness 0.02 and -0.04), so they are normal.
_ABILITY_DELTA = -0.7986
_ABILITY_MEAN = -0.6372
_ABILITY_SD = 0.7707

# Cap on backfitting sweeps in _rake; it converges to 1e-9 in a few sweeps.
_MAX_SWEEPS = 100


def _allocate(counts: Sequence[int], n_rows: int) -> list[int]:
    """Split ``n_rows`` in proportion to ``counts`` by the largest-remainder method.

    Exact allocation keeps the category frequencies within one row of the public ones at
    any size, instead of leaving them to sampling error (about 1.5 points at 1,000 rows).
    Ties go to the level listed first, so the result is deterministic.
    """
    total = sum(counts)
    quotas = [n_rows * count / total for count in counts]
    allocation = [int(np.floor(q)) for q in quotas]
    short = n_rows - sum(allocation)
    # sorted() is stable, so equal remainders keep the schema order.
    by_remainder = sorted(range(len(counts)), key=lambda i: allocation[i] - quotas[i])
    for i in by_remainder[:short]:
        allocation[i] += 1
    return allocation


def _sample_codes(rng: np.random.Generator, n_rows: int) -> dict[str, np.ndarray]:
    """Categorical columns as level indices into the schema's ``choices``.

    Returns ``{column: int array of shape (n_rows,)}`` in ``CATEGORICAL_FEATURES`` order.
    Every column but gender is drawn independently; gender is drawn within each race group.
    """
    drawn = {}
    for name, counts_by_level in CATEGORY_COUNTS.items():
        counts = [counts_by_level[level] for level in FEATURES_BY_NAME[name].choices]
        drawn[name] = rng.permutation(np.repeat(np.arange(len(counts)), _allocate(counts, n_rows)))

    gender_levels = FEATURES_BY_NAME["gender"].choices
    gender = np.empty(n_rows, dtype=np.int64)
    for race_code, race in enumerate(FEATURES_BY_NAME["race_ethnicity"].choices):
        rows = np.flatnonzero(drawn["race_ethnicity"] == race_code)
        counts = [GENDER_COUNTS_BY_RACE[race][level] for level in gender_levels]
        allocation = _allocate(counts, len(rows))
        gender[rows] = rng.permutation(np.repeat(np.arange(len(counts)), allocation))
    drawn["gender"] = gender
    return {name: drawn[name] for name in CATEGORICAL_FEATURES}


def _rake(
    values: np.ndarray, codes: Mapping[str, np.ndarray], score: str | None = None
) -> np.ndarray:
    """Shift ``values`` (shape ``(n,)``) by an additive function of the categories so that
    the mean within every category level is the public one for ``score``, or 0 if ``score``
    is None (which centres noise within every level).

    Backfitting: set each column's level means in turn and repeat; it converges in a few
    sweeps because the columns are nearly independent. Without it, a level of about 90
    students would be off by about 1.4 points by chance, enough to flip small group effects.
    The targets are re-centred on this sample's level frequencies so that they agree with
    one another at any ``n``. Sums use ``np.bincount``, not BLAS, so results are repeatable
    bit for bit.
    """
    values = values.astype(float)
    targets = {}
    for name, level_codes in codes.items():
        counts = np.bincount(level_codes, minlength=len(FEATURES_BY_NAME[name].choices))
        if score is None:
            targets[name] = (counts, np.zeros(len(counts)))
            continue
        deviation = (
            np.array([LEVEL_MEANS[score][name][level] for level in FEATURES_BY_NAME[name].choices])
            - SCORE_MEANS[score]
        )
        deviation -= (counts * deviation).sum() / counts.sum()
        targets[name] = (counts, SCORE_MEANS[score] + deviation)

    for _ in range(_MAX_SWEEPS):
        largest = 0.0
        for name, level_codes in codes.items():
            counts, target = targets[name]
            sums = np.bincount(level_codes, weights=values, minlength=len(counts))
            # Empty levels (tiny samples) get no shift.
            shift = np.where(counts > 0, target - sums / np.maximum(counts, 1), 0.0)
            values = values + shift[level_codes]
            largest = max(largest, float(np.abs(shift).max()))
        if largest < 1e-9:
            break
    return values


def _to_score(raw: np.ndarray) -> np.ndarray:
    """Round raw scores (floats, shape ``(n,)``) to integers in ``SCORE_MIN..SCORE_MAX``."""
    return np.clip(np.rint(raw), SCORE_MIN, SCORE_MAX).astype(np.int64)


def _math_mean(codes: Mapping[str, np.ndarray], scores: Mapping[str, np.ndarray]) -> np.ndarray:
    """Expected math score (points, shape ``(n,)``) from the categories and integer scores.

    Built from element-wise sums rather than a matrix product, so the result does not depend
    on the BLAS library and the generated integers are the same on every machine.
    """
    mean = np.full(len(scores["reading_score"]), MATH_INTERCEPT)
    for name, effects in MATH_EFFECTS.items():
        by_level = np.array([effects.get(level, 0.0) for level in FEATURES_BY_NAME[name].choices])
        mean += by_level[codes[name]]
    for name, slope in MATH_SLOPES.items():
        mean += slope * scores[name]
    return mean


def generate(n_rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Generate a synthetic student-performance data set.

    Args:
        n_rows: number of students (rows), at least 1.
        seed: seed for ``numpy.random.default_rng``; the same seed gives the same frame.

    Returns:
        A DataFrame of shape ``(n_rows, 8)`` with columns ``COLUMNS``: five string
        categorical columns with values from ``ml.schema``, then ``math_score``,
        ``reading_score`` and ``writing_score`` as int64 points from 0 to 100.
    """
    if isinstance(n_rows, bool) or not isinstance(n_rows, (int, np.integer)) or n_rows < 1:
        raise ValueError(f"n_rows must be a positive integer, got {n_rows!r}")
    rng = np.random.default_rng(seed)
    codes = _sample_codes(rng, n_rows)
    scores: dict[str, np.ndarray] = {}

    # Reading: public group means plus a standardised skew-normal ability (|u0| carries the
    # skew, u1 the symmetric part).
    u0, u1 = rng.standard_normal((2, n_rows))
    skew_normal = _ABILITY_DELTA * np.abs(u0) + np.sqrt(1 - _ABILITY_DELTA**2) * u1
    ability = (skew_normal - _ABILITY_MEAN) / _ABILITY_SD
    scores["reading_score"] = _to_score(_rake(READING_NOISE_SD * ability, codes, "reading_score"))

    # Writing follows the integer reading score, as in the public file.
    writing = WRITING_READING_SLOPE * scores["reading_score"]
    writing = writing + WRITING_NOISE_SD * rng.standard_normal(n_rows)
    scores["writing_score"] = _to_score(_rake(writing, codes, "writing_score"))

    # Math: the public conditional rule, with noise centred within every level so that
    # chance does not distort the group effects.
    noise = _rake(rng.standard_normal(n_rows), codes)
    scores[TARGET] = _to_score(_math_mean(codes, scores) + MATH_NOISE_SD * noise)

    frame = pd.DataFrame(
        {
            name: np.array(FEATURES_BY_NAME[name].choices, dtype=object)[codes[name]]
            for name in CATEGORICAL_FEATURES
        }
        | {name: scores[name] for name in (TARGET, "reading_score", "writing_score")}
    )
    for name in CATEGORICAL_FEATURES:
        frame[name] = frame[name].astype(str)
    return frame[list(COLUMNS)]


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as a CSV (header row, no index, ``\\n`` line endings); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m ml.synth [--rows N] [--seed S] [--out PATH]``."""
    parser = argparse.ArgumentParser(
        prog="python -m ml.synth", description="Write a synthetic student-performance CSV."
    )
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="number of rows")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output CSV path")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    path = write_csv(generate(args.rows, args.seed), args.out)
    print(f"wrote {args.rows} rows to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
