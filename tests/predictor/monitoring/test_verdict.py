"""monitoring.verdict: one branch of the rule per case, on report dicts built by hand."""

from __future__ import annotations

import copy

import pytest

from ml import schema
from predictor.monitoring.verdict import verdict
from predictor.registry.services import SYSTEM_ACTOR

SINCE, UNTIL = "2026-11-25T12:00:00+00:00", "2026-12-02T12:00:00+00:00"
DRIFTING = {"lunch", "test_preparation_course", "reading_score", "writing_score"}


def _feature(name: str, *, p_value: float, psi: float) -> dict:
    return {"feature": name, "p_value": p_value, "psi": psi, "n_live": 400}


def _report(
    *,
    drifting=frozenset(),
    watching=frozenset(),
    n_live=400,
    real_scores=287,
    live_mae=5.3,
    test_mae=5.0,
    accuracy_alert=False,
    production=2,
    serving_error=None,
    total=450,
    failure_rate=0.01,
    history=(),
    alerts=(),
) -> dict:
    """A report as ``selectors.report`` returns it, with the parts the verdict reads.

    ``drifting``: features whose test and PSI both flag them; ``watching``: features
    where only the test does; ``n_live`` under 30 makes the drift "not enough data".
    """
    rows = []
    for name in schema.FEATURE_NAMES:
        if n_live < 30:
            rows.append({"feature": name, "p_value": None, "psi": None, "n_live": n_live})
        elif name in drifting:
            rows.append(_feature(name, p_value=1e-6, psi=0.31))
        elif name in watching:
            rows.append(_feature(name, p_value=0.01, psi=0.04))
        else:
            rows.append(_feature(name, p_value=0.6, psi=0.02))
    versions = []
    if production is not None:
        versions = [
            {
                "version": production,
                "status": "production",
                "test": {"mae": test_mae},
                "live": {"served": n_live, "n": real_scores, "mae": live_mae},
                "accuracy_alert": accuracy_alert,
            },
            {
                "version": production - 1,
                "status": "archived",
                "test": {"mae": 4.0},
                "live": {"served": 0, "n": 0, "mae": None},
                "accuracy_alert": False,
            },
        ]
    return {
        "window": {"key": "7d", "label": "last 7 days", "since": SINCE, "until": UNTIL},
        "production": {"version": production} if production is not None else None,
        "serving_error": serving_error,
        "traffic": {"total": total, "failure_rate": failure_rate},
        "drift": None
        if production is None
        else {
            "features": rows,
            "n_live": n_live,
            "verdict": "not enough data" if n_live < 30 else "drift",
            "version": production,
        },
        "versions": versions,
        "history": list(history),
        "alerts": list(alerts),
    }


def _rollback(at: str) -> dict:
    return {
        "at": at,
        "action": "rollback",
        "from_version": 3,
        "to_version": 2,
        "actor": SYSTEM_ACTOR,
        "reason": "v3 could not be loaded",
    }


CASES = [
    # (case, report, rule, level, words the line must contain)
    (
        "nothing in production",
        _report(production=None, serving_error="no model yet: run train_model"),
        "no-model",
        "alert",
        ["No model can serve predictions (no model yet", "promote or roll back"],
    ),
    (
        "production cannot load, even with perfect figures",
        _report(serving_error="v2 cannot be loaded: sha256 mismatch"),
        "no-model",
        "alert",
        ["sha256 mismatch"],
    ),
    (
        "live accuracy past the alert line, with drift",
        _report(drifting=DRIFTING, live_mae=8.1, accuracy_alert=True),
        "accuracy",
        "alert",
        [
            "v2 has dropped to MAE 8.1 on 287 real scores against 5.0 at training (1.62×",
            "4 of 7 features",
        ],
    ),
    (
        "failures over 5% of 30 or more attempts",
        _report(total=400, failure_rate=0.12),
        "failures",
        "alert",
        ["12% of 400 attempts failed", "open the failed attempts"],
    ),
    (
        "an automatic rollback in the window",
        _report(history=[_rollback("2026-12-01T09:30:00+00:00")]),
        "rollback",
        "alert",
        ["rolled v3 back to v2 by itself on 01 Dec 09:30 UTC", "could not be loaded"],
    ),
    (
        "too few scored attempts to judge",
        _report(n_live=12, real_scores=3),
        "little-traffic",
        "quiet",
        ["Only 12 scored attempts", "30 needed", "longer window"],
    ),
    (
        "drifted inputs, accuracy as at training",
        _report(drifting=DRIFTING),
        "drift-accurate",
        "watch",
        [
            "Inputs have drifted on 4 of 7 features since v2 was trained, but live accuracy "
            "on 287 real scores is as good as at training (MAE 5.3 against 5.0): no action "
            "needed; watch"
        ],
    ),
    (
        "drifted inputs, accuracy worse but under the alert line",
        _report(drifting=DRIFTING, live_mae=6.5),
        "drift-worse",
        "watch",
        ["worse than at training (MAE 6.5 against 5.0, 1.30×; alert at 1.5×)", "retrain"],
    ),
    (
        "drifted inputs, too few real scores",
        _report(drifting={"reading_score"}, real_scores=12),
        "drift-unscored",
        "watch",
        ["drifted on 1 of 7 features", "12 real scores are too few", "record real scores"],
    ),
    (
        "stable inputs, accuracy worse",
        _report(live_mae=6.0),
        "worse",
        "watch",
        ["Inputs match v2's training data, but live accuracy", "1.20×"],
    ),
    (
        "stable inputs, accuracy as at training",
        _report(),
        "accurate",
        "ok",
        ["Inputs match v2's training data and live accuracy on 287", ": no action needed."],
    ),
    (
        "stable inputs, two features to watch, no real scores",
        _report(watching={"gender", "lunch"}, real_scores=0, live_mae=None),
        "unscored",
        "ok",
        ["(2 of 7 features to watch)", "no real score has been recorded yet", "record real scores"],
    ),
    (
        "all quiet but an alert stands (a PSI on its own)",
        _report(alerts=["Reading score: PSI 0.27 ≥ 0.25"]),
        "accurate",
        "watch",
        ["check the alert below (Reading score: PSI 0.27 ≥ 0.25)"],
    ),
]


@pytest.mark.parametrize(
    ("report", "rule", "level", "words"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_rule_gives_its_level_and_says_what_to_do(report, rule, level, words):
    """Each branch of the rule matches its case, at its level, with its figures in words."""
    found = verdict(report)
    assert (found["rule"], found["level"]) == (rule, level)
    for word in words:
        assert word in found["text"]
    assert found["text"] == f"{found['finding']}: {found['action']}."


def test_it_never_says_ok_when_no_model_can_serve():
    """No production version outranks every other figure, however good they look."""
    found = verdict(_report(production=None, serving_error="no model yet"))
    assert found["level"] == "alert" and found["version"] is None and found["link"] == "versions"


def test_it_ignores_an_automatic_rollback_before_the_window():
    """A rollback a month ago is history, not this week's verdict."""
    found = verdict(_report(history=[_rollback("2026-11-01T09:30:00+00:00")]))
    assert found["rule"] == "accurate"


def test_the_rule_earlier_in_the_list_wins():
    """No model beats failures, which beat drift; failures point at the failed rows."""
    everything = _report(drifting=DRIFTING, total=400, failure_rate=0.3, history=[_rollback(UNTIL)])
    assert verdict(everything)["rule"] == "failures"
    assert verdict(everything)["rows_status"] == "failed"
    no_model = copy.deepcopy(everything)
    no_model["serving_error"] = "v2 cannot be loaded"
    assert verdict(no_model)["rule"] == "no-model"


@pytest.mark.parametrize(
    ("live_mae", "real_scores", "rule"),
    [
        (5.5, 30, "accurate"),  # 1.1× exactly still holds
        (5.51, 30, "worse"),
        (5.5, 29, "unscored"),  # one real score short of a judgement
    ],
)
def test_the_accuracy_lines_sit_at_1_1_times_and_30_scores(live_mae, real_scores, rule):
    """Live MAE up to 1.1 × held-out is "as good as at training", from 30 real scores."""
    found = verdict(_report(live_mae=live_mae, real_scores=real_scores))
    assert found["rule"] == rule


def test_a_feature_flagged_by_the_test_alone_is_watched_not_counted_as_drift():
    """Four features significant but with PSI under 0.1 are "to watch", not "drifted"."""
    found = verdict(_report(watching=DRIFTING))
    assert found["rule"] == "accurate"
    assert "(4 of 7 features to watch)" in found["text"]
