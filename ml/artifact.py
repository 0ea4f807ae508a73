"""The one place that serialises and deserialises a model.

An artifact is bytes: a magic line, a JSON header line with the library versions the
model was trained with, then the joblib pickle of a ``ml.predict.FittedModel``. Its
sha256 is stored beside it. Unpickling runs code, so ``loads`` unpickles only after the
hash matches what was recorded when we produced the artifact, and only when the
installed libraries are the ones it was trained with (a pickle from another scikit-learn
may load and then predict wrongly).
"""

from __future__ import annotations

import hashlib
import io
import json

import joblib

from ml.errors import ArtifactError
from ml.predict import TRACKED_LIBRARIES, FittedModel, library_versions

MAGIC = b"studentperf-artifact/1\n"


def sha256(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def dumps(model: FittedModel) -> tuple[bytes, str]:
    """Serialise ``model``; returns ``(artifact_bytes, sha256_hex)``."""
    header = json.dumps({"library_versions": model.library_versions}, sort_keys=True).encode()
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    data = MAGIC + header + b"\n" + buffer.getvalue()
    return data, sha256(data)


def read_header(data: bytes) -> dict:
    """The JSON header of an artifact. Raises ``ArtifactError`` if it is not one of ours."""
    if not data.startswith(MAGIC):
        raise ArtifactError("not a studentperf model artifact")
    header, _, _ = data[len(MAGIC) :].partition(b"\n")
    try:
        return json.loads(header)
    except ValueError:
        raise ArtifactError("the artifact's header is damaged") from None


def loads(data: bytes, expected_sha256: str) -> FittedModel:
    """Verify and deserialise an artifact.

    Raises ``ArtifactError`` when the sha256 differs from ``expected_sha256``, when the
    header is damaged, or when a tracked library's installed version differs from the one
    the model was trained with (the message lists each difference).
    """
    actual = sha256(data)
    if actual != expected_sha256:
        raise ArtifactError(
            f"artifact hash mismatch: expected {expected_sha256[:12]}…, got {actual[:12]}…; "
            "refusing to load it"
        )
    trained_with = read_header(data).get("library_versions", {})
    installed = library_versions()
    mismatches = [
        f"{name} {trained_with.get(name)} (trained) vs {installed.get(name)} (installed)"
        for name in TRACKED_LIBRARIES
        if trained_with.get(name) != installed.get(name)
    ]
    if mismatches:
        raise ArtifactError(
            "library versions differ from training: "
            + "; ".join(mismatches)
            + ". Retrain with `python manage.py train_model` or install the recorded versions."
        )
    payload = data[len(MAGIC) :].partition(b"\n")[2]
    model = joblib.load(io.BytesIO(payload))
    if not isinstance(model, FittedModel):
        raise ArtifactError("the artifact does not hold a fitted model")
    return model
