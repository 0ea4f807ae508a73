"""Shared fixtures: a quickly trained model on small synthetic data, registered on demand."""

import pytest

from tests.factories import make_students


@pytest.fixture(scope="session")
def students():
    """300 synthetic students with a known structure."""
    return make_students(300, seed=0)


@pytest.fixture(scope="session")
def trained(students):
    """A quick ridge model trained on ``students`` (shared across the session: read only)."""
    from ml.train import train

    return train(students, seed=0, quick=True, candidates=["ridge"], n_jobs=1)


@pytest.fixture
def production_model(db, trained):
    """``trained`` registered and promoted as the production ModelVersion."""
    from predictor.services import model_version_register

    version, promoted, _ = model_version_register(result=trained, actor_label="tests")
    assert promoted
    return version


@pytest.fixture(autouse=True)
def _fresh_serving_cache():
    """Each test starts with no cached model, as a new process would."""
    from predictor import serving

    serving.reset()
    yield
    serving.reset()
