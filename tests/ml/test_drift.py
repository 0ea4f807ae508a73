"""ml.drift: PSI, chi-square, K–S, verdicts and live accuracy against hand-computed values."""

import math

import numpy as np
import pytest

from ml import drift, schema


def test_psi_matches_the_hand_computed_value():
    """PSI of 50/30/20 % against 30/30/40 % is Σ (live − ref)·ln(live/ref) = 0.24079."""
    # (0.3 − 0.5)·ln(0.3/0.5) + 0 + (0.4 − 0.2)·ln(0.4/0.2) = 0.1021651 + 0.1386294
    assert drift.psi([50, 30, 20], [30, 30, 40]) == pytest.approx(0.2407945, abs=1e-6)
    assert drift.psi([50, 30, 20], [5, 3, 2]) == pytest.approx(0.0, abs=1e-12)


def test_psi_counts_an_empty_bin_as_one_in_ten_thousand():
    """An empty reference bin is taken as 0.0001, as Evidently does, so PSI stays finite."""
    # (0.5 − 1)·ln(0.5/1) + (0.5 − 0.0001)·ln(0.5/0.0001) = 0.3465736 + 4.2577450
    assert drift.psi([100, 0], [50, 50]) == pytest.approx(4.6043186, abs=1e-6)


def test_psi_levels_follow_the_0_1_and_0_25_thresholds():
    """Below 0.1 is ok, from 0.1 a warning, from 0.25 an alert."""
    assert [drift.psi_level(v) for v in (0.0, 0.099, 0.1, 0.249, 0.25, 3)] == [
        "ok",
        "ok",
        "warn",
        "warn",
        "alert",
        "alert",
    ]


@pytest.mark.parametrize(
    ("p_value", "psi", "status"),
    [
        (0.01, 0.30, drift.DRIFT),  # both signals
        (0.049, 0.10, drift.DRIFT),  # both, at the lines
        (0.01, 0.05, drift.WATCH),  # significant but small: a large sample's tiny shift
        (0.20, 0.30, drift.WATCH),  # large PSI on a sample too small for the test
        (0.05, 0.099, drift.OK),  # neither: p = 0.05 is not below α
        (None, None, drift.NOT_ENOUGH_DATA),
    ],
)
def test_feature_status_reconciles_the_test_and_psi(p_value, psi, status):
    """Drift needs p < 0.05 and PSI ≥ 0.1; one of the two is "watch"; neither is "ok"."""
    assert drift.feature_status(p_value, psi) == status


def test_a_tiny_shift_in_a_large_sample_is_watched_not_called_drift():
    """Three points lower over 20,000 live rows: the K–S test is significant, PSI is not."""
    rng = np.random.default_rng(0)
    reference, live = _scores(rng, 800), _scores(rng, 20_000, shift=-3)
    row = drift.numeric_drift("reading_score", reference, drift.value_counts(live))
    assert row["p_value"] < drift.ALPHA and row["psi"] < drift.PSI_WARN
    assert row["status"] == drift.WATCH and not row["drifted"]
    assert row["verdict"] == drift.NO_DRIFT


def test_chi_square_matches_the_hand_computed_test_of_homogeneity():
    """[[50, 30, 20], [30, 30, 40]]: expected 40/30/30 per row, χ² = 11.667, p = e^(−χ²/2)."""
    statistic, p_value, dof = drift.chi_square([50, 30, 20], [30, 30, 40])
    # 2 × (10²/40 + 0²/30 + 10²/30) = 11.6667; with 2 degrees of freedom the survival
    # function of χ² is exp(−x/2).
    assert statistic == pytest.approx(35 / 3, abs=1e-9)
    assert dof == 2
    assert p_value == pytest.approx(math.exp(-35 / 6), rel=1e-9)


def test_chi_square_on_two_categories_is_the_two_proportion_z_test_squared():
    """60/40 against 40/60 (100 each): z = 0.2 / √(0.5·0.5·(2/100)) = 2√2, so χ² = 8."""
    statistic, p_value, dof = drift.chi_square([60, 40], [40, 60])
    assert statistic == pytest.approx(8.0)
    assert dof == 1
    assert p_value == pytest.approx(math.erfc(2 * math.sqrt(2) / math.sqrt(2)), rel=1e-9)


def test_chi_square_ignores_categories_empty_on_both_sides():
    """A category nobody has adds nothing; one category left means nothing to test."""
    assert drift.chi_square([50, 30, 0, 20], [30, 30, 0, 40])[0] == pytest.approx(35 / 3)
    assert drift.chi_square([10, 0], [7, 0]) == (0.0, 1.0, 0)


def test_ks_from_counts_finds_the_largest_gap_between_the_two_cdfs():
    """{1..5} against {3..7}: the CDFs differ most at 2, by 0.4 − 0 = 0.4."""
    reference = dict.fromkeys([1.0, 2.0, 3.0, 4.0, 5.0], 1)
    live = dict.fromkeys([3.0, 4.0, 5.0, 6.0, 7.0], 1)
    statistic, p_value = drift.ks_from_counts(reference, live)
    assert statistic == pytest.approx(0.4)
    assert p_value > 0.05  # five values each cannot show it


def test_quantile_bins_put_one_of_ten_values_in_each_decile():
    """1..10 cut at their deciles gives ten bins of one value each."""
    edges = drift.quantile_edges(range(1, 11))
    assert len(edges) == 9
    counts = drift.binned_counts(dict.fromkeys(map(float, range(1, 11)), 1), edges)
    assert counts.tolist() == [1] * 10


def _scores(rng, n, shift=0.0):
    return np.clip(np.round(rng.normal(69 + shift, 14, n)), 0, 100)


def test_an_unshifted_score_sample_is_not_flagged():
    """A live sample from the reference's own distribution: p ≥ 0.05 and PSI below 0.1."""
    # A fixed seed: at α = 0.05 one unshifted sample in twenty is flagged by chance.
    rng = np.random.default_rng(0)
    reference, live = _scores(rng, 800), _scores(rng, 2000)
    row = drift.numeric_drift("reading_score", reference, drift.value_counts(live))
    assert row["verdict"] == drift.NO_DRIFT and not row["drifted"]
    assert row["p_value"] >= 0.05
    assert row["psi"] < drift.PSI_WARN and row["psi_level"] == "ok"


def test_a_shifted_score_sample_is_flagged():
    """Ten points lower on average: p far below 0.05 and PSI over the 0.25 alert line."""
    rng = np.random.default_rng(0)
    reference, live = _scores(rng, 800), _scores(rng, 2000, shift=-10)
    row = drift.numeric_drift("reading_score", reference, drift.value_counts(live))
    assert row["verdict"] == drift.DRIFT and row["drifted"] and row["status"] == drift.DRIFT
    assert row["p_value"] < 1e-6
    assert row["psi"] >= drift.PSI_ALERT and row["psi_level"] == "alert"
    assert row["reference_mean"] - 13 < row["live_mean"] < row["reference_mean"] - 7


def test_a_categorical_shift_is_flagged_and_its_largest_move_named():
    """Free/reduced lunch going from 35 % to 60 % is drift; the same mix is not."""
    reference = {"standard": 520, "free/reduced": 280}
    same = drift.categorical_drift("lunch", reference, {"standard": 650, "free/reduced": 350})
    moved = drift.categorical_drift("lunch", reference, {"standard": 400, "free/reduced": 600})
    assert same["verdict"] == drift.NO_DRIFT and same["p_value"] > 0.5
    assert moved["verdict"] == drift.DRIFT and moved["p_value"] < 1e-10
    assert moved["largest_shift"]["category"] in {"standard", "free/reduced"}
    assert moved["largest_shift"]["live"] == pytest.approx(
        0.6 if moved["largest_shift"]["category"] == "free/reduced" else 0.4
    )


def test_fewer_than_thirty_live_rows_give_no_verdict():
    """With 29 live rows the row says "not enough data" and carries no statistics."""
    row = drift.categorical_drift("gender", {"female": 400, "male": 400}, {"female": 29})
    assert row["verdict"] == drift.NOT_ENOUGH_DATA
    assert row["p_value"] is None and row["psi"] is None and not row["drifted"]


def _profile(rng):
    return {
        "n_rows": 800,
        "categorical": {
            name: {
                c: 800 // len(schema.FEATURES_BY_NAME[name].choices)
                for c in schema.FEATURES_BY_NAME[name].choices
            }
            for name in schema.CATEGORICAL_FEATURES
        },
        "numeric": {name: _scores(rng, 800).tolist() for name in schema.NUMERIC_FEATURES},
    }


def _live(rng, shifted: set[str]):
    n = 1000
    categorical = {}
    for name in schema.CATEGORICAL_FEATURES:
        choices = schema.FEATURES_BY_NAME[name].choices
        counts = dict.fromkeys(choices, n // len(choices))
        if name in shifted:
            counts = {c: (n if i == 0 else 0) for i, c in enumerate(choices)}
        categorical[name] = counts
    numeric = {
        name: drift.value_counts(_scores(rng, n, shift=-15 if name in shifted else 0))
        for name in schema.NUMERIC_FEATURES
    }
    return categorical, numeric


def test_the_data_set_drifts_when_half_or_more_of_its_features_do():
    """Four of seven features drifting makes the data set drift; three do not."""
    rng = np.random.default_rng(3)
    profile = _profile(rng)
    four = drift.input_drift(
        profile, *_live(rng, {"gender", "lunch", "reading_score", "writing_score"})
    )
    three = drift.input_drift(profile, *_live(rng, {"gender", "lunch", "reading_score"}))
    assert four["n_drifted"] == 4 and four["verdict"] == drift.DRIFT
    assert four["share_drifted"] == pytest.approx(4 / 7)
    assert three["n_drifted"] == 3 and three["verdict"] == drift.NO_DRIFT
    assert four["n_watch"] == 0
    assert [r["feature"] for r in four["features"]] == list(schema.FEATURE_NAMES)


def test_no_live_rows_means_not_enough_data_for_the_data_set():
    """Without traffic the data-set verdict is "not enough data", not "no drift"."""
    result = drift.input_drift(_profile(np.random.default_rng(0)), {}, {})
    assert result["verdict"] == drift.NOT_ENOUGH_DATA and result["n_live"] == 0


def test_prediction_histograms_share_five_point_bins_from_0_to_100():
    """Held-out 10, 12, 50 and live 10, 100: shares land in the 10–15, 50–55 and 95–100 bins."""
    result = drift.prediction_drift([10.2, 12.4, 50.0], {10.0: 1, 100.0: 1})
    histogram = result["histogram"]
    assert len(histogram["edges"]) == 21 and histogram["edges"][-1] == 100
    assert histogram["reference"][2] == pytest.approx(2 / 3)
    assert histogram["reference"][10] == pytest.approx(1 / 3)
    assert histogram["live"][2] == pytest.approx(0.5) and histogram["live"][19] == 0.5
    assert result["verdict"] == drift.NOT_ENOUGH_DATA


def test_live_accuracy_from_sums_matches_the_hand_computed_figures():
    """Actual 70, 80, 90 predicted 72, 77, 90: MAE 5/3, RMSE √(13/3), R² 1 − 13/200."""
    # errors −2, 3, 0; SST about the mean 80 is 100 + 0 + 100 = 200; 80 misses its
    # interval [70, 79], the other two are inside theirs.
    result = drift.accuracy_from_sums(
        n=3,
        sum_abs_error=5,
        sum_squared_error=13,
        sum_actual=240,
        sum_actual_squared=70**2 + 80**2 + 90**2,
        n_covered=2,
    )
    assert result["mae"] == pytest.approx(5 / 3)
    assert result["rmse"] == pytest.approx(math.sqrt(13 / 3))
    assert result["r2"] == pytest.approx(0.935)
    assert result["coverage"] == pytest.approx(2 / 3)


def test_live_accuracy_without_outcomes_is_empty():
    """No outcome, no figure; one outcome, no R²."""
    empty = drift.accuracy_from_sums(
        n=0, sum_abs_error=0, sum_squared_error=0, sum_actual=0, sum_actual_squared=0, n_covered=0
    )
    one = drift.accuracy_from_sums(
        n=1,
        sum_abs_error=2,
        sum_squared_error=4,
        sum_actual=70,
        sum_actual_squared=4900,
        n_covered=1,
    )
    assert empty == {"n": 0, "mae": None, "rmse": None, "r2": None, "coverage": None}
    assert one["mae"] == 2 and one["r2"] is None


def test_the_accuracy_alert_needs_thirty_outcomes_and_more_than_one_and_a_half_times():
    """Live MAE 7 against 4 alerts with 30 outcomes, not with 29; exactly 1.5× does not."""
    assert drift.accuracy_alert({"n": 30, "mae": 7.0}, 4.0)
    assert not drift.accuracy_alert({"n": 29, "mae": 7.0}, 4.0)
    assert not drift.accuracy_alert({"n": 100, "mae": 6.0}, 4.0)
    assert not drift.accuracy_alert({"n": 100, "mae": None}, 4.0)


def test_ks_from_counts_on_large_samples_equals_scipys_ks_2samp():
    """Past scipy's exact range (10,000 rows) the counts give scipy's statistic and
    asymptotic p-value without expanding a million values; integer scores with ties."""
    import numpy as np
    from scipy import stats

    rng = np.random.default_rng(0)
    reference = np.round(rng.normal(68, 14, 800)).clip(0, 100)
    for shift, size in ((0, 50_000), (1, 200_000), (3, 30_000)):
        live = np.round(rng.normal(68 - shift, 14, size)).clip(0, 100)
        expected = stats.ks_2samp(reference, live)
        d, p = drift.ks_from_counts(drift.value_counts(reference), drift.value_counts(live))
        assert d == pytest.approx(float(expected.statistic), abs=1e-12)
        assert p == pytest.approx(float(expected.pvalue), rel=1e-9, abs=1e-300)
