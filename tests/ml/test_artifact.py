"""ml.artifact: bytes + sha256, verified before anything is unpickled."""

import json

import pytest

from ml import artifact
from ml.errors import ArtifactError


def test_it_round_trips_a_model(trained):
    """A dumped model loads back and predicts the same."""
    data, digest = artifact.dumps(trained.model)
    loaded = artifact.loads(data, digest)
    holdout = trained.holdout
    assert (loaded.predict_point(holdout) == trained.model.predict_point(holdout)).all()


def test_it_refuses_bytes_whose_hash_does_not_match(trained):
    """One flipped byte is refused before unpickling."""
    data, digest = artifact.dumps(trained.model)
    tampered = data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:]
    with pytest.raises(ArtifactError, match="hash mismatch"):
        artifact.loads(tampered, digest)


def test_it_refuses_a_model_trained_with_other_library_versions(trained):
    """A recorded scikit-learn version different from the installed one is refused by name."""
    data, _ = artifact.dumps(trained.model)
    header = artifact.read_header(data)
    header["library_versions"]["scikit-learn"] = "0.24.2"
    rest = data[len(artifact.MAGIC) :].partition(b"\n")[2]
    forged = artifact.MAGIC + json.dumps(header).encode() + b"\n" + rest
    with pytest.raises(ArtifactError, match=r"scikit-learn 0\.24\.2 \(trained\)"):
        artifact.loads(forged, artifact.sha256(forged))


def test_it_refuses_bytes_that_are_not_an_artifact():
    """Arbitrary bytes with a matching hash are still refused."""
    data = b"not a model"
    with pytest.raises(ArtifactError, match="not a studentperf model artifact"):
        artifact.loads(data, artifact.sha256(data))
