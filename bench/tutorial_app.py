"""The tutorial's serving path as a WSGI app, the reference the benchmarks compare with.

On every request, as in the tutorial's ``PredictPipeline.predict``: unpickle the model and
the preprocessor from disk, build a one-row pandas DataFrame from the fields
(``CustomData.get_data_as_data_frame``), ``preprocessor.transform``, ``model.predict``.
Nothing is stored and no interval or explanation is computed. ``TUTORIAL_ARTIFACTS``
names the folder holding ``model.pkl`` and ``preprocessor.pkl`` (bench/common.py writes
them from the production model, so both paths run the same fitted model).
"""

from __future__ import annotations

import json
import os
import pickle

import pandas as pd

ARTIFACTS = os.environ.get("TUTORIAL_ARTIFACTS", "artifacts")
COLUMNS = (
    "gender",
    "race_ethnicity",
    "parental_level_of_education",
    "lunch",
    "test_preparation_course",
    "reading_score",
    "writing_score",
)


def load_object(path: str):
    with open(path, "rb") as file:
        return pickle.load(file)


def predict(fields: dict) -> float:
    """The tutorial's path for one student."""
    model = load_object(os.path.join(ARTIFACTS, "model.pkl"))
    preprocessor = load_object(os.path.join(ARTIFACTS, "preprocessor.pkl"))
    frame = pd.DataFrame({name: [fields[name]] for name in COLUMNS})
    return float(model.predict(preprocessor.transform(frame))[0])


def application(environ, start_response):
    """POST a JSON student → ``{"predicted_math_score": float}``; GET /readyz → 200."""
    if environ["REQUEST_METHOD"] == "GET":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    fields = json.loads(environ["wsgi.input"].read(length))
    body = json.dumps({"predicted_math_score": predict(fields)}).encode()
    # With its length, as Flask sends it: without one gunicorn would frame the answer in
    # chunks, which costs the client extra reads.
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
