"""What if one input were different: the same student scored again with one changed
fact (the result page's what-if panel), by the model itself."""

from __future__ import annotations

from ml import schema
from ml.predict import FittedModel, records_frame

# How many reading points the "what if" question adds (capped at SCORE_MAX).
WHAT_IF_READING_POINTS = 10


def what_if_changes(features: dict) -> list[tuple[str, object]]:
    """The changes the result page asks about, as ``(feature, new value)`` pairs.

    Test preparation flipped (``completed`` when it was ``none``, and back), and
    ``WHAT_IF_READING_POINTS`` more reading points capped at 100; a change the cap
    leaves empty (reading already 100) is left out.
    """
    prep = features["test_preparation_course"]
    changes: list[tuple[str, object]] = [
        ("test_preparation_course", "none" if prep == "completed" else "completed")
    ]
    reading = min(int(features["reading_score"]) + WHAT_IF_READING_POINTS, schema.SCORE_MAX)
    if reading != features["reading_score"]:
        changes.append(("reading_score", reading))
    return changes


def what_if(model: FittedModel, features: dict) -> list[dict]:
    """How far the prediction moves when one input changes, scored by ``model`` itself.

    ``features``: clean values of the seven features. Scores the student and every
    ``what_if_changes`` variant in one call. Returns one dict per change:
    ``{"feature", "from", "to", "predicted_math_score", "delta"}`` in points, ``delta``
    being the changed prediction minus the unchanged one.
    """
    changes = what_if_changes(features)
    records = [dict(features)] + [{**features, name: value} for name, value in changes]
    points = model.predict_point(records_frame(records))
    return [
        {
            "feature": name,
            "from": features[name],
            "to": value,
            "predicted_math_score": float(points[i]),
            "delta": float(points[i] - points[0]),
        }
        for i, (name, value) in enumerate(changes, start=1)
    ]
