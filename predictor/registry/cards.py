"""Plain words for a model card: its held-out errors by subgroup, as tables and a sentence.

Pure functions of stored values: no query, no model.
"""

from __future__ import annotations

from ml import schema


def signed(points: float, digits: int = 1) -> str:
    """``+5.6`` / ``−3.1`` (a true minus sign) / ``0.0`` for a number of points."""
    text = f"{abs(points):.{digits}f}"
    if float(text) == 0:
        return text
    return f"+{text}" if points > 0 else f"\u2212{text}"


def subgroup_tables(subgroup_errors: dict) -> list[dict]:
    """Held-out errors per feature, labelled: ``[{"feature", "label", "rows"}]`` with
    rows as stored by ``ml.metrics.subgroup_errors`` (value, n, mae, mean_signed_error) plus
    ``signed_text``, the signed error written with its sign."""
    groups = (subgroup_errors or {}).get("groups", {})
    return [
        {
            "feature": name,
            "label": schema.FEATURES_BY_NAME[name].label,
            "rows": [
                {**row, "signed_text": signed(row["mean_signed_error"], 2)} for row in groups[name]
            ],
        }
        for name in schema.CATEGORICAL_FEATURES
        if groups.get(name)
    ]


def largest_gap_text(subgroup_errors: dict) -> str:
    """The largest MAE gap between two groups of one feature, in a sentence ("" if none)."""
    gap = (subgroup_errors or {}).get("largest_gap")
    if not gap:
        return ""
    rows = {r["value"]: r for r in subgroup_errors["groups"][gap["feature"]]}
    high, low = rows[gap["high"]], rows[gap["low"]]
    label = schema.FEATURES_BY_NAME[gap["feature"]].label.lower()
    return (
        f"The largest gap between groups is by {label}: the model is off by "
        f"{high['mae']:.1f} points on average for {high['value']} ({high['n']} students) "
        f"against {low['mae']:.1f} for {low['value']} ({low['n']} students), "
        f"{gap['mae_gap']:.1f} points apart."
    )


# A group figure from fewer held-out students than this is shown greyed: its confidence
# interval is wide (a group of 17 has a bias standard error of about 1.3 points).
SMALL_GROUP = 30

BUNDLED_DATA_NAME = "students.csv"
PUBLIC_DATA_NAME = "StudentsPerformance.csv"


def plain_summary(metrics: dict) -> str:
    """The card's first line, in words a head teacher can read: the typical error (held-out
    MAE) and the half-width that holds for 9 students in 10 (half the mean held-out
    interval width, after clipping), rounded to whole points. "" without metrics."""
    if not metrics or metrics.get("test_mae") is None:
        return ""
    level = metrics.get("interval_level", 0.9)
    half = metrics.get("interval_width", 2 * metrics.get("interval_half_width", 0)) / 2
    return (
        f"The predicted math score is usually within about {metrics['test_mae']:.0f} points "
        f"of the real one; for {round(level * 10):.0f} students in 10 it is within about "
        f"±{half:.0f} points."
    )


def provenance(data_source: str) -> list[str]:
    """Where the training data came from, in sentences (no path: paths are staff-only)."""
    name = data_source.replace("\\", "/").rsplit("/", 1)[-1] if data_source else ""
    groups = (
        '"Group A" to "group E" are anonymised labels of that data set, with no meaning '
        "outside it: they are not real ethnic groups of any school."
    )
    public = (
        'The public "Students Performance in Exams" data set (1,000 students) is itself '
        "generated, not records of real students, so the model has never seen a real "
        "school's results."
    )
    if name == BUNDLED_DATA_NAME:
        return [
            "Trained on the data bundled with this site, which is synthetic: written by a "
            "seeded generator (ml/synth.py) modelled on a public data set.",
            public,
            groups,
        ]
    if name == PUBLIC_DATA_NAME:
        return [f"Trained on {name}.", public, groups]
    return [
        f"Trained on a file supplied by the operator{f' ({name})' if name else ''}, in the "
        "format of the public data set; ask them where it comes from.",
        groups,
    ]


def features_text(features_used: list[str]) -> tuple[str, str]:
    """``(used, excluded)``: the feature labels the model uses and those it was trained
    without, comma-separated ("" when none is excluded)."""
    used = [schema.FEATURES_BY_NAME[n].label.lower() for n in features_used]
    excluded = [f.label.lower() for f in schema.FEATURES if f.name not in features_used]
    return ", ".join(used), ", ".join(excluded)


def _ci(figure: dict, digits: int, *, points: bool) -> str:
    if points:
        return f"{signed(figure['low'], digits)} to {signed(figure['high'], digits)}"
    return f"{figure['low']:.0%} to {figure['high']:.0%}"


def fairness_tables(report: dict) -> list[dict]:
    """The fairness report laid out per protected attribute: ``[{"attribute", "label",
    "without_label", "rows"}]``; each row has ``group``, ``count``, ``small`` (fewer than
    ``SMALL_GROUP`` students), ``mae``, ``bias`` (signed, points), ``bias_ci``,
    ``coverage`` (percent), ``coverage_ci``, and ``bias_without`` (the bias of the refit
    without this attribute, signed; "" when there is none). Empty for no report."""
    if not report:
        return []
    tables = []
    for attribute in report.get("protected_attributes", []):
        variant = report.get("without", {}).get(attribute)
        without = {r["group"]: r for r in (variant or {}).get("groups", {}).get(attribute, [])}
        rows = []
        for row in report["model"]["groups"].get(attribute, []):
            other = without.get(row["group"])
            rows.append(
                {
                    "group": row["group"],
                    "count": row["count"],
                    "small": row["count"] < SMALL_GROUP,
                    "mae": f"{row['mae']['estimate']:.1f}",
                    "bias": signed(row["bias"]["estimate"]),
                    "bias_ci": _ci(row["bias"], 1, points=True),
                    "coverage": f"{row['coverage']['estimate']:.0%}",
                    "coverage_ci": _ci(row["coverage"], 0, points=False),
                    "bias_without": signed(other["bias"]["estimate"]) if other else "",
                }
            )
        tables.append(
            {
                "attribute": attribute,
                "label": schema.FEATURES_BY_NAME[attribute].label,
                "without_label": schema.FEATURES_BY_NAME[attribute].label.lower()
                if variant
                else "",
                "rows": rows,
            }
        )
    return tables


def interval_groups_text(calibration: dict) -> str:
    """The attributes whose groups the served intervals are calibrated on, as labels
    ("gender, race/ethnicity group, lunch"); "" for marginal intervals."""
    method = (calibration or {}).get("method")
    if method not in ("mondrian", "conditional"):
        return ""
    names = (calibration.get(method) or {}).get("groups", {})
    return ", ".join(schema.FEATURES_BY_NAME[n].label.lower() for n in names)
