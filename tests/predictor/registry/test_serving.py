"""predictor.serving: one lazily loaded, cached model per process that follows promotions."""

import pytest

from predictor.errors import ModelUnavailableError, NoModelError
from predictor.models import ModelArtifact, ModelVersion
from predictor.registry import serving
from predictor.registry.services import model_version_promote, model_version_register


def test_it_raises_no_model_error_without_production(db):
    """No production row → NoModelError with the command to run."""
    with pytest.raises(NoModelError, match="train_model"):
        serving.active_model()


def test_it_caches_the_model_between_requests(production_model, django_assert_num_queries):
    """Within the refresh interval, a second call asks the database nothing."""
    first = serving.active_model()
    with django_assert_num_queries(0):
        assert serving.active_model() is first


def test_it_notices_a_promotion_after_the_refresh_interval(production_model, trained, settings):
    """A version promoted elsewhere is served once the interval has passed."""
    settings.SERVING_REFRESH_SECONDS = 0
    assert serving.active_model().version == production_model.version
    newer, _, _ = model_version_register(result=trained, promote=False)
    # Promote through the ORM, as another process would, without touching this cache.
    ModelVersion.objects.filter(pk=production_model.pk).update(status="archived")
    ModelVersion.objects.filter(pk=newer.pk).update(status="production")
    assert serving.active_model().version == newer.version


def test_it_refuses_to_serve_a_tampered_artifact(production_model):
    """An artifact whose bytes no longer match its sha256 gives a 503-class error."""
    data = bytes(production_model.artifact.data)
    ModelArtifact.objects.filter(pk=production_model.pk).update(data=data[:-1] + b"x")
    with pytest.raises(ModelUnavailableError, match="hash mismatch"):
        serving.active_model()


def test_promotion_keeps_a_single_production_version(production_model, trained):
    """Promoting archives the previous production version in the same transaction."""
    newer, _, _ = model_version_register(result=trained, promote=False)
    model_version_promote(model_version=newer, actor_label="tests")
    statuses = dict(ModelVersion.objects.values_list("version", "status"))
    assert statuses == {production_model.version: "archived", newer.version: "production"}
