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
    rows as stored by ``ml.train.subgroup_errors`` (value, n, mae, mean_signed_error) plus
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
