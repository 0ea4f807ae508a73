"""Shared fixtures: a quickly trained model on small synthetic data, registered on demand."""

import pytest

from tests.factories import make_students


@pytest.fixture(scope="session")
def students():
    """300 synthetic students with a known structure."""
    return make_students(300, seed=0)


@pytest.fixture(scope="session")
def trained(students):
    """A quick ridge model trained on ``students`` (shared across the session: read only),
    serving group-conditional intervals as ``train_model``'s do."""
    from ml.train import train
    from predictor.management.commands.train_model import INTERVAL_METHOD

    return train(
        students,
        seed=0,
        quick=True,
        candidates=["ridge"],
        n_jobs=1,
        interval_method=INTERVAL_METHOD,
    )


@pytest.fixture
def production_model(db, trained):
    """``trained`` registered and promoted as the production ModelVersion."""
    from predictor.registry.services import model_version_register

    version, promoted, _ = model_version_register(result=trained, actor_label="tests")
    assert promoted
    return version


@pytest.fixture(autouse=True)
def _fresh_serving_cache():
    """Each test starts with no cached model, as a new process would."""
    from predictor.registry import serving

    serving.reset()
    yield
    serving.reset()


@pytest.fixture(scope="session")
def postgres_url():
    """URL of a PostgreSQL server for tests that need one (``TEST_POSTGRES_URL``, default
    the local server of DEVELOPERS.md); skips the test, saying why, when none answers."""
    import os

    import psycopg

    url = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        pytest.skip(
            f"needs PostgreSQL: none answers at {url} ({first_line}); start it "
            "(`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`) "
            "or set TEST_POSTGRES_URL"
        )
    return url
