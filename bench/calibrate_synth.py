"""Compare the synthetic data set from ``ml.synth`` with the public Kaggle file.

Usage::

    python bench/calibrate_synth.py PATH_TO_PUBLIC_CSV [--rows N] [--seed S]
    python bench/calibrate_synth.py PATH_TO_PUBLIC_CSV --fit

The public "Students Performance in Exams" CSV is not shipped with the project; pass its
path. Kaggle's original headers ("race/ethnicity", "math score", ...) are accepted.

Prints, synthetic next to public: category frequencies, score means and SDs, score
correlations, group effects (mean score of each level minus that of the reference level) and
the transfer R² of a linear model. Each section ends with OK or FAIL against the targets
``ml.synth`` is calibrated to. Exits with status 1 if any check fails.

With ``--fit`` it instead prints the constants hard-coded in ``ml/synth.py``, recomputed
from the public file.
"""

from __future__ import annotations

import argparse
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

# Run as a plain script from anywhere: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml import synth  # noqa: E402
from ml.schema import (  # noqa: E402
    CATEGORICAL_FEATURES,
    FEATURE_NAMES,
    FEATURES_BY_NAME,
    TARGET,
    normalize_category,
    normalize_header,
)

# Targets, in the units of each section.
FREQ_TOL = 3.0  # percentage points
MOMENT_TOL = 2.0  # score points
CORR_TOL = 0.05
EFFECT_TOL = 3.0  # score points, per level; signs must also agree where |effect| > 1
R2_TOL = 0.03
SCORES = (TARGET, "reading_score", "writing_score")


def load_public(path: Path) -> pd.DataFrame:
    """Read the public CSV with canonical column names and category spellings."""
    frame = pd.read_csv(path)
    frame.columns = [normalize_header(c) for c in frame.columns]
    for name in CATEGORICAL_FEATURES:
        frame[name] = frame[name].map(normalize_category)
    return frame[list(synth.COLUMNS)]


def linear_model():
    """The reference model: one-hot categories plus the reading and writing scores."""
    encoder = OneHotEncoder(
        categories=[list(FEATURES_BY_NAME[c].choices) for c in CATEGORICAL_FEATURES],
        drop="first",
    )
    features = ColumnTransformer(
        [("categories", encoder, list(CATEGORICAL_FEATURES))], remainder="passthrough"
    )
    return make_pipeline(features, LinearRegression())


def verdict(ok: bool) -> str:
    return "OK" if ok else "FAIL"


def compare_frequencies(syn: pd.DataFrame, pub: pd.DataFrame) -> bool:
    print("\n== Category frequencies (%) ==")
    print(f"{'column':28} {'level':20} {'public':>7} {'synth':>7} {'diff':>6}")
    worst = 0.0
    for name in CATEGORICAL_FEATURES:
        pub_freq = pub[name].value_counts(normalize=True) * 100
        syn_freq = syn[name].value_counts(normalize=True) * 100
        for level in FEATURES_BY_NAME[name].choices:
            p, s = pub_freq.get(level, 0.0), syn_freq.get(level, 0.0)
            worst = max(worst, abs(s - p))
            print(f"{name:28} {level:20} {p:7.1f} {s:7.1f} {s - p:+6.1f}")
    ok = worst <= FREQ_TOL
    print(f"max |diff| = {worst:.2f} pp (target <= {FREQ_TOL}) {verdict(ok)}")
    return ok


def compare_moments(syn: pd.DataFrame, pub: pd.DataFrame) -> bool:
    print("\n== Score means and SDs (points) ==")
    print(f"{'score':15} {'mean pub':>9} {'mean syn':>9} {'SD pub':>8} {'SD syn':>8}")
    worst = 0.0
    for name in SCORES:
        pm, sm, ps, ss = pub[name].mean(), syn[name].mean(), pub[name].std(), syn[name].std()
        worst = max(worst, abs(sm - pm), abs(ss - ps))
        print(f"{name:15} {pm:9.2f} {sm:9.2f} {ps:8.2f} {ss:8.2f}")
    ok = worst <= MOMENT_TOL
    print(f"max |diff| = {worst:.2f} points (target <= {MOMENT_TOL}) {verdict(ok)}")
    return ok


def compare_correlations(syn: pd.DataFrame, pub: pd.DataFrame) -> bool:
    print("\n== Score correlations (Pearson) ==")
    print(f"{'pair':30} {'public':>7} {'synth':>7} {'diff':>7}")
    worst = 0.0
    for a, b in combinations(SCORES, 2):
        p, s = pub[a].corr(pub[b]), syn[a].corr(syn[b])
        worst = max(worst, abs(s - p))
        print(f"{a + ' ~ ' + b:30} {p:7.3f} {s:7.3f} {s - p:+7.3f}")
    ok = worst <= CORR_TOL
    print(f"max |diff| = {worst:.3f} (target <= {CORR_TOL}) {verdict(ok)}")
    return ok


def compare_group_effects(syn: pd.DataFrame, pub: pd.DataFrame) -> bool:
    print("\n== Group effects: mean score minus that of the reference level (points) ==")
    header = " ".join(f"{s.split('_')[0] + ' pub':>10} {'syn':>6}" for s in SCORES)
    print(f"{'level (vs reference)':42} {header}")
    worst, signs_ok = 0.0, True
    for name in CATEGORICAL_FEATURES:
        levels = FEATURES_BY_NAME[name].choices
        pub_means = pub.groupby(name)[list(SCORES)].mean()
        syn_means = syn.groupby(name)[list(SCORES)].mean()
        print(f"{name} (reference: {levels[0]})")
        for level in levels[1:]:
            cells = []
            for score in SCORES:
                p = pub_means.loc[level, score] - pub_means.loc[levels[0], score]
                s = syn_means.loc[level, score] - syn_means.loc[levels[0], score]
                worst = max(worst, abs(s - p))
                # A sign flip matters only for effects big enough to be more than noise.
                if abs(p) > 1.0 and p * s <= 0:
                    signs_ok = False
                cells.append(f"{p:+10.2f} {s:+6.2f}")
            print(f"  {level:40} {' '.join(cells)}")
    ok = worst <= EFFECT_TOL and signs_ok
    print(
        f"max |diff| = {worst:.2f} points (target <= {EFFECT_TOL}), "
        f"signs agree where |public effect| > 1: {signs_ok} {verdict(ok)}"
    )
    return ok


def compare_transfer(syn: pd.DataFrame, pub: pd.DataFrame, seed: int) -> bool:
    print("\n== Linear regression R² for math_score (one-hot categories + reading, writing) ==")
    x_pub, y_pub = pub[list(FEATURE_NAMES)], pub[TARGET]
    x_syn, y_syn = syn[list(FEATURE_NAMES)], syn[TARGET]

    folds = KFold(n_splits=5, shuffle=True, random_state=seed)
    cv_r2 = cross_val_score(linear_model(), x_pub, y_pub, cv=folds, scoring="r2").mean()
    transfer_r2 = r2_score(y_pub, linear_model().fit(x_syn, y_syn).predict(x_pub))

    # Held-out: the same 20 % of the public rows scores both a public-trained model and the
    # synthetic-trained one, so the two numbers are directly comparable.
    x_train, x_test, y_train, y_test = train_test_split(
        x_pub, y_pub, test_size=0.2, random_state=seed
    )
    held_pub = r2_score(y_test, linear_model().fit(x_train, y_train).predict(x_test))
    held_syn = r2_score(y_test, linear_model().fit(x_syn, y_syn).predict(x_test))

    print(f"{'public, 5-fold CV (reference)':45} {cv_r2:.4f}")
    print(f"{'synthetic-trained, scored on all public rows':45} {transfer_r2:.4f}")
    print(f"{'public 80 % -> public 20 % held out':45} {held_pub:.4f}")
    print(f"{'synthetic-trained -> same public 20 %':45} {held_syn:.4f}")
    ok = abs(transfer_r2 - cv_r2) <= R2_TOL
    print(f"|transfer - CV| = {abs(transfer_r2 - cv_r2):.4f} (target <= {R2_TOL}) {verdict(ok)}")
    return ok


def _ols(pub: pd.DataFrame, target: str, slopes: tuple[str, ...]) -> tuple[dict, float, float]:
    """OLS of ``target`` on an intercept, one-hot categories (schema reference levels
    dropped) and ``slopes``. Returns ({term: coefficient}, residual SD with degrees-of-freedom
    correction, residual skewness)."""
    columns, names = [np.ones(len(pub))], ["intercept"]
    for name in CATEGORICAL_FEATURES:
        for level in FEATURES_BY_NAME[name].choices[1:]:
            columns.append((pub[name] == level).to_numpy(float))
            names.append(f"{name}={level}")
    for name in slopes:
        columns.append(pub[name].to_numpy(float))
        names.append(name)
    design, y = np.column_stack(columns), pub[target].to_numpy(float)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ coef
    sd = float(np.sqrt(residuals @ residuals / (len(y) - design.shape[1])))
    return dict(zip(names, coef, strict=True)), sd, float(pd.Series(residuals).skew())


def print_fit(pub: pd.DataFrame) -> None:
    """Print the constants of ``ml/synth.py`` as fitted on the public file."""
    print("CATEGORY_COUNTS / GENDER_COUNTS_BY_RACE (rows):")
    for name in CATEGORICAL_FEATURES:
        counts = pub[name].value_counts()
        print(
            f"  {name}: {{"
            + ", ".join(f"{lv!r}: {counts.get(lv, 0)}" for lv in FEATURES_BY_NAME[name].choices)
            + "}"
        )
    print(pd.crosstab(pub["race_ethnicity"], pub["gender"]).to_string())

    print("\nSCORE_MEANS / LEVEL_MEANS (points):")
    for score in ("reading_score", "writing_score"):
        print(f"  {score}: overall {pub[score].mean():.3f}")
        for name in CATEGORICAL_FEATURES:
            means = pub.groupby(name)[score].mean()
            levels = FEATURES_BY_NAME[name].choices
            print(f"    {name}: " + ", ".join(f"{lv!r}: {means[lv]:.3f}" for lv in levels))

    # Reading spread left after the group-mean part, taken over independent categories.
    group_var = 0.0
    for name in CATEGORICAL_FEATURES:
        share = pub[name].value_counts(normalize=True)
        means = pub.groupby(name)["reading_score"].mean()
        group_var += float((share * (means - pub["reading_score"].mean()) ** 2).sum())
    reading_sd = np.sqrt(pub["reading_score"].var() - group_var)
    print(f"\nREADING_NOISE_SD = {reading_sd:.3f}")

    _, _, skew = _ols(pub, "reading_score", ())

    def skew_normal_skewness(delta: float) -> float:
        m = delta * np.sqrt(2 / np.pi)
        return (4 - np.pi) / 2 * m**3 / (1 - m**2) ** 1.5

    delta = brentq(lambda d: skew_normal_skewness(d) - skew, -0.99, 0.99)
    mean = delta * np.sqrt(2 / np.pi)
    print(
        f"reading residual skewness {skew:.3f}: _ABILITY_DELTA = {delta:.4f}, "
        f"_ABILITY_MEAN = {mean:.4f}, _ABILITY_SD = {np.sqrt(1 - mean**2):.4f}"
    )

    coef, sd, skew = _ols(pub, "writing_score", ("reading_score",))
    print(f"\nWRITING_READING_SLOPE = {coef['reading_score']:.3f}")
    print(f"WRITING_NOISE_SD = {sd:.3f}  (residual skewness {skew:.3f})")

    coef, sd, skew = _ols(pub, TARGET, ("reading_score", "writing_score"))
    print("\nMATH (OLS on categories + reading + writing):")
    for term, value in coef.items():
        print(f"  {term:45} {value:8.3f}")
    print(f"MATH_NOISE_SD = {sd:.3f}  (residual skewness {skew:.3f})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("public_csv", type=Path, help="path to the public Kaggle CSV")
    parser.add_argument("--rows", type=int, default=synth.DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=synth.DEFAULT_SEED)
    parser.add_argument(
        "--fit", action="store_true", help="print the constants of ml/synth.py and stop"
    )
    args = parser.parse_args(argv)

    pub = load_public(args.public_csv)
    if args.fit:
        print_fit(pub)
        return 0
    syn = synth.generate(args.rows, args.seed)
    print(f"public: {len(pub)} rows from {args.public_csv}")
    print(f"synthetic: ml.synth.generate(n_rows={args.rows}, seed={args.seed})")

    results = [
        compare_frequencies(syn, pub),
        compare_moments(syn, pub),
        compare_correlations(syn, pub),
        compare_group_effects(syn, pub),
        compare_transfer(syn, pub, args.seed),
    ]
    print(f"\nOverall: {verdict(all(results))}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
