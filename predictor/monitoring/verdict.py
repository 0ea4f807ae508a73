"""The dashboard's first line: what the report for a window means, and what to do about it.

``verdict(report)`` is a pure function of the dict ``selectors.report(window=...)`` returns
(no query, no model call), so the dashboard, ``monitor_report`` and the tests all read
the same rule. The rules, first match wins:

1. **no model** (alert): no version is in production, or the serving layer cannot load
   it. Nothing else matters: every prediction fails until one can serve.
2. **accuracy** (alert): the production version's live MAE exceeds 1.5 × its held-out MAE
   on at least 30 real scores (``ml.drift.accuracy_alert``): roll back or retrain.
3. **failures** (alert): more than 5 % of at least 30 attempts failed
   (``alerts.FAILURE_ALERT_RATE``): look at the failed rows.
4. **rollback** (alert): the system rolled a version back by itself in the window.
5. **little traffic** (quiet): fewer than 30 scored attempts, too few to judge drift
   (``ml.drift.MIN_LIVE_ROWS``) or accuracy: choose a longer window.
6. **drift** (watch), when at least one feature's status is "drift" (``ml.drift.
   feature_status``: p < 0.05 and PSI ≥ 0.1). Drift on its own calls for no action; what
   matters is whether the model still predicts well for the new students, so the
   verdict turns on live accuracy:
   - *accurate*: live MAE within ``ACCURACY_HOLDS_RATIO`` (1.1) × held-out MAE on at
     least 30 real scores: no action needed, watch;
   - *worse*: live MAE above 1.1 × but under the 1.5 × alert line: plan a retrain;
   - *unscored*: fewer than 30 real scores (``ml.drift.MIN_OUTCOMES``): record real
     scores to find out.
7. **no drift**: *worse* accuracy is "watch"; *accurate* is "ok"; *unscored* is "ok"
   (inputs match, accuracy cannot be judged yet: record real scores).

Whatever the rule, the level is never "ok" while the report carries an alert (say, one
feature's PSI at 0.25 on a sample too small for the test): it becomes "watch", pointing
at the alerts. Levels: ``alert`` (act now), ``watch`` (look again soon), ``ok`` (nothing
to do), ``quiet`` (too little traffic to say).
"""

from __future__ import annotations

from datetime import UTC, datetime

from ml import drift, schema
from predictor.monitoring.alerts import FAILURE_ALERT_RATE
from predictor.registry.services import SYSTEM_ACTOR

# Live MAE up to this multiple of the held-out MAE counts as "as good as at training":
# a held-out MAE from ~200 rows and a live one from a few hundred each carry a few
# percent of noise, so a smaller gap is no evidence of a change.
ACCURACY_HOLDS_RATIO = 1.1

ALERT, WATCH, OK, QUIET = "alert", "watch", "ok", "quiet"


def verdict(report: dict) -> dict:
    """The verdict for one monitoring report (``selectors.report`` output).

    Returns ``{"rule", "level", "finding", "action", "text", "version", "rows_status",
    "link"}``: ``rule`` names the branch of the module's rules that matched (``"no-model"``,
    ``"accuracy"``, ``"failures"``, ``"rollback"``, ``"little-traffic"``,
    ``"drift-accurate"``, ``"drift-worse"``, ``"drift-unscored"``, ``"worse"``,
    ``"accurate"``, ``"unscored"``); ``level`` is ``"alert"``, ``"watch"``, ``"ok"`` or
    ``"quiet"``; ``text`` is ``finding: action.``, one sentence; ``version`` the production
    version (``None`` without one); ``rows_status`` a ``Prediction.status`` the rows behind
    the verdict have (``None``: all rows of the window); ``link`` the link that carries the
    action (``"versions"`` to promote or roll back, ``"rows"``, ``"outcomes"`` to record
    real scores, or ``None``).
    """
    production = report.get("production")
    version = production["version"] if production else None
    found = _first_rule(report, version)
    alerts = report.get("alerts") or []
    if found["level"] in (OK, QUIET) and alerts:
        found["level"] = WATCH
        found["action"] = (
            f"check the alert below ({alerts[0]})"
            if len(alerts) == 1
            else f"check the {len(alerts)} alerts below"
        )
    return {
        **found,
        "version": version,
        "text": f"{found['finding']}: {found['action']}.",
    }


def _first_rule(report: dict, version: int | None) -> dict:
    serving_error = report.get("serving_error")
    if version is None or serving_error:
        return _found(
            "no-model",
            ALERT,
            f"No model can serve predictions ({serving_error or 'none is in production'})",
            "promote or roll back to a servable version, or train one; until then every "
            "prediction fails",
            link="versions",
        )
    accuracy = _accuracy(report, version)
    inputs = _inputs(report)
    if accuracy["state"] == "alert":
        also = f", and inputs have drifted on {inputs['of']}" if inputs["n_drift"] else ""
        return _found(
            "accuracy",
            ALERT,
            f"Live accuracy of v{version} has dropped to {accuracy['figures']}, past the "
            f"{drift.ACCURACY_ALERT_RATIO:g}× alert line){also}",
            "roll back to a version that predicted better, or retrain on recent real scores",
            link="versions",
        )
    traffic = report.get("traffic") or {}
    total, failure_rate = traffic.get("total") or 0, traffic.get("failure_rate") or 0
    if total >= drift.MIN_OUTCOMES and failure_rate > FAILURE_ALERT_RATE:
        return _found(
            "failures",
            ALERT,
            f"{failure_rate:.0%} of {total} attempts failed (the model could not score them)",
            f"open the failed attempts to see why; roll back if v{version} is at fault",
            rows_status="failed",
            link="rows",
        )
    rollback = _automatic_rollback(report)
    if rollback:
        return _found(
            "rollback",
            ALERT,
            f"The system rolled v{rollback['from_version']} back to "
            f"v{rollback['to_version']} by itself on {_moment(rollback['at'])} UTC "
            f"({rollback['reason'] or 'no reason recorded'})",
            f"v{version} serves now; find out what failed before promoting "
            f"v{rollback['from_version']} again",
            link="versions",
        )
    if not inputs["tested"]:
        n = inputs["n_live"]
        return _found(
            "little-traffic",
            QUIET,
            f"Only {n} scored attempt{'s' if n != 1 else ''} in this window, too few to judge "
            f"drift or accuracy ({drift.MIN_LIVE_ROWS} needed)",
            "nothing to do; choose a longer window to see more",
        )
    return _drift_and_accuracy(inputs, accuracy, version)


def _drift_and_accuracy(inputs: dict, accuracy: dict, version: int) -> dict:
    state = accuracy["state"]
    if inputs["n_drift"]:
        drifted = f"Inputs have drifted on {inputs['of']} since v{inputs['version']} was trained"
        if state == "holds":
            return _found(
                "drift-accurate",
                WATCH,
                f"{drifted}, but live accuracy on {accuracy['scores']} is as good as at "
                f"training ({accuracy['figures']})",
                "no action needed; watch live accuracy as more real scores arrive",
                link="rows",
            )
        if state == "worse":
            return _found(
                "drift-worse",
                WATCH,
                f"{drifted}, and live accuracy on {accuracy['scores']} is worse than at "
                f"training ({accuracy['figures']}; alert at {drift.ACCURACY_ALERT_RATIO:g}×)",
                "plan a retrain that includes recent students' real scores",
                link="versions",
            )
        return _found(
            "drift-unscored",
            WATCH,
            f"{drifted}, and {accuracy['too_few']}",
            "record real scores for this window's students to learn whether accuracy suffers",
            link="outcomes",
        )
    match = f"Inputs match v{inputs['version']}'s training data"
    if inputs["n_watch"]:
        match += f" ({inputs['n_watch']} of {inputs['n_features']} features to watch)"
    if state == "worse":
        return _found(
            "worse",
            WATCH,
            f"{match}, but live accuracy on {accuracy['scores']} is worse than at training "
            f"({accuracy['figures']}; alert at {drift.ACCURACY_ALERT_RATIO:g}×)",
            "watch live accuracy; open the rows to see which students it misses",
            link="rows",
        )
    if state == "holds":
        return _found(
            "accurate",
            OK,
            f"{match} and live accuracy on {accuracy['scores']} is as good as at training "
            f"({accuracy['figures']})",
            "no action needed",
        )
    return _found(
        "unscored",
        OK,
        f"{match}; {accuracy['too_few']}",
        "no action needed; record real scores to check accuracy",
        link="outcomes",
    )


def _found(rule, level, finding, action, *, rows_status=None, link=None) -> dict:
    return {
        "rule": rule,
        "level": level,
        "finding": finding,
        "action": action,
        "rows_status": rows_status,
        "link": link,
    }


def _accuracy(report: dict, version: int) -> dict:
    """The production version's live accuracy: ``{"state": "alert" | "worse" | "holds" |
    "unscored", "scores": "287 real scores", "figures": "MAE 5.4 against 5.6", "too_few":
    why it cannot be judged}``."""
    item = next((v for v in report.get("versions") or [] if v["version"] == version), None)
    live = (item or {}).get("live") or {}
    test_mae = ((item or {}).get("test") or {}).get("mae")
    n, mae = live.get("n") or 0, live.get("mae")
    scores = f"{n} real score{'s' if n != 1 else ''}" if n else "no real scores"
    if n < drift.MIN_OUTCOMES or mae is None or not test_mae:
        too_few = (
            f"{scores} {'are' if n != 1 else 'is'} too few to judge live accuracy "
            f"({drift.MIN_OUTCOMES} needed)"
            if n
            else "no real score has been recorded yet to judge live accuracy"
        )
        return {"state": "unscored", "scores": scores, "figures": None, "too_few": too_few}
    ratio = mae / test_mae
    figures = f"MAE {mae:.1f} against {test_mae:.1f}"
    if item.get("accuracy_alert"):
        state = "alert"
        figures = f"MAE {mae:.1f} on {scores} against {test_mae:.1f} at training ({ratio:.2f}×"
    elif ratio > ACCURACY_HOLDS_RATIO:
        state, figures = "worse", f"{figures}, {ratio:.2f}×"
    else:
        state = "holds"
    return {"state": state, "scores": scores, "figures": figures}


def _inputs(report: dict) -> dict:
    """Feature statuses of the report's input drift: ``{"tested", "n_live", "n_drift",
    "n_watch", "n_features", "of": "4 of 7 features", "version"}``."""
    result = report.get("drift") or {}
    rows = result.get("features") or []
    statuses = [drift.feature_status(r.get("p_value"), r.get("psi")) for r in rows]
    n_drift = statuses.count(drift.DRIFT)
    return {
        "tested": bool(rows) and result.get("verdict") != drift.NOT_ENOUGH_DATA,
        "n_live": result.get("n_live") or 0,
        "n_drift": n_drift,
        "n_watch": statuses.count(drift.WATCH),
        "n_features": len(rows) or len(schema.FEATURE_NAMES),
        "of": f"{n_drift} of {len(rows)} feature{'s' if len(rows) != 1 else ''}",
        "version": result.get("version"),
    }


def _automatic_rollback(report: dict) -> dict | None:
    """The newest rollback the system made by itself within the window, from the report's
    status history (``{"at", "from_version", "to_version", "reason"}``), or ``None``."""
    since = (report.get("window") or {}).get("since")
    for event in report.get("history") or []:
        automatic = event.get("action") == "rollback" and event.get("actor") == SYSTEM_ACTOR
        if automatic and (since is None or _parse(event["at"]) > _parse(since)):
            return event
    return None


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _moment(iso: str) -> str:
    return _parse(iso).astimezone(UTC).strftime("%d %b %H:%M")
