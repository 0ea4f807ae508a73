"""The one place that loads a model: ``load`` reads and verifies a version's artifact,
``active_model`` keeps the production version's, lazily, cached per process.

``active_model()`` returns the cached model and, at most every
``SERVING_REFRESH_SECONDS``, asks the database which version is in production (one
indexed query on small columns). When that changed, it loads the new artifact, so a
promotion reaches every web process on every host within a few seconds, with no restart
and no shared disk. Only the production model is held: a process never keeps a former
version's model in memory.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from ml import artifact, schema
from ml.predict import FittedModel
from predictor.errors import ModelUnavailableError, NoModelError
from predictor.models import ModelArtifact, ModelVersion
from studentperf.requestlog import model_version_var


@dataclass(frozen=True)
class ServedModel:
    """A loaded model and the version it belongs to. ``model_version`` has only ``id``,
    ``version`` and ``features`` loaded (other fields load on access), so that a new Prediction can
    point at it without a query."""

    model_version_id: int
    version: int
    artifact_sha256: str
    model: FittedModel
    model_version: ModelVersion


# Re-entrant: a rollback made while refreshing may call back into reset().
_lock = threading.RLock()
_served: ServedModel | None = None
_checked_at = float("-inf")
# When no version could serve: (production id, sha256, error, when), so that requests in
# the next SERVING_REFRESH_SECONDS answer at once instead of each loading and
# pre-flighting every former version again.
_unservable: tuple[int, str, ModelUnavailableError, float] | None = None


def load(model_version_id: int) -> ServedModel:
    """Read, verify and unpickle one version's artifact (``ml.artifact.loads``).

    Raises ``NoModelError`` when the version no longer exists and
    ``ModelUnavailableError`` for anything that stops it loading: no artifact row, a hash
    mismatch, other library versions, bytes that do not unpickle, a pickle naming a
    module that no longer exists. Never anything else, so callers can fall back.
    """
    # What a served prediction's answer reads of its version, loaded once per model.
    row = ModelVersion.objects.only("id", "version", "artifact_sha256", "features").filter(
        pk=model_version_id
    )
    model_version = row.first()
    if model_version is None:
        raise NoModelError(f"model version {model_version_id} no longer exists")
    data = ModelArtifact.objects.filter(pk=model_version_id).values_list("data", flat=True).first()
    if data is None:
        raise ModelUnavailableError(f"model v{model_version.version} has no stored artifact")
    try:
        model = artifact.loads(bytes(data), model_version.artifact_sha256)
    except Exception as exc:
        # ArtifactError for the checks ml.artifact makes; unpickling a damaged or
        # outdated pickle can raise almost anything (ModuleNotFoundError, EOFError...).
        detail = str(exc) or type(exc).__name__
        raise ModelUnavailableError(
            f"model v{model_version.version} cannot be served: {detail}"
        ) from exc
    return ServedModel(
        model_version.pk, model_version.version, model_version.artifact_sha256, model, model_version
    )


def active_model() -> ServedModel:
    """The production model, loading or swapping it when the database says so.

    Raises ``NoModelError`` when no version is in production and
    ``ModelUnavailableError`` when its artifact cannot be loaded.
    """
    served = _served
    if served is None or time.monotonic() - _checked_at >= settings.SERVING_REFRESH_SECONDS:
        served = _refresh()
    model_version_var.set(served.version)
    return served


def can_serve() -> bool:
    """Whether a model can score a request now (loading, or rolling back, as a request
    would); for pages that warn before anyone fills them in."""
    try:
        active_model()
    except Exception:
        return False
    return True


def current() -> ServedModel | None:
    """The model this process serves now, without asking the database or loading one
    (``None`` when it has none): for pages that may show it but must not wait for it."""
    return _served


def _refresh() -> ServedModel:
    global _served, _checked_at
    with _lock:
        if (
            _served is not None
            and time.monotonic() - _checked_at < settings.SERVING_REFRESH_SECONDS
        ):
            return _served
        production = (
            ModelVersion.objects.production().values("id", "version", "artifact_sha256").first()
        )
        if production is None:
            _served = None
            raise NoModelError()
        if (
            _served is None
            or _served.artifact_sha256 != production["artifact_sha256"]
            or _served.model_version_id != production["id"]
        ):
            _served = None  # the old model is freed before the new one is read
            _served = _load_or_roll_back(production)
        _checked_at = time.monotonic()
        return _served


def _load_or_roll_back(production: dict) -> ServedModel:
    global _unservable
    key = (production["id"], production["artifact_sha256"])
    recent = _unservable is not None and (
        time.monotonic() - _unservable[3] < settings.SERVING_REFRESH_SECONDS
    )
    if recent and _unservable[:2] == key:
        raise _unservable[2]
    try:
        return load(production["id"])
    except ModelUnavailableError as exc:
        try:
            return load(_roll_back(production["id"], exc.message).pk)
        except ModelUnavailableError as none_servable:
            _unservable = (*key, none_servable, time.monotonic())
            raise


def _roll_back(failed_version_id: int, error: str) -> ModelVersion:
    # Imported here: the registry's services use this module to load and reset.
    from predictor.registry.services import model_version_rollback_automatic

    return model_version_rollback_automatic(failed_version_id=failed_version_id, error=error)


# The failure-rate trigger: over the last AUTO_ROLLBACK_WINDOW_SECONDS, a version whose
# share of failed attempts passes AUTO_ROLLBACK_FAILURE_RATE (among at least
# AUTO_ROLLBACK_MIN_ATTEMPTS attempts) is rolled back as an unloadable one is.
def scoring_failed(served: ServedModel, error: BaseException) -> ServedModel | None:
    """Tell the serving layer that ``served`` failed to score a request.

    When the model also fails to score a known-good student (the canary: its first
    stored held-out row, else a generated one) it is broken whatever the input, and it
    is rolled back at once; otherwise it is rolled back when its recent failure rate
    passes the threshold in settings. Returns the model now serving when a rollback
    happened (the caller scores the request again with it), else ``None``. Raises
    ``ModelUnavailableError`` when a rollback was needed and no version can serve.
    """
    global _served, _checked_at
    reason = f"scoring failed ({type(error).__name__}: {error})"[:300]
    if _canary_passes(served) and not _failure_rate_exceeded(served):
        return None
    _roll_back(served.model_version_id, reason)
    with _lock:
        _served = None
        _checked_at = float("-inf")
    return active_model()


def _canary_passes(served: ServedModel) -> bool:
    from ml import synth

    rows = (
        ModelArtifact.objects.filter(pk=served.model_version_id)
        .values_list("holdout", flat=True)
        .first()
    )
    student = rows[0] if rows else synth.generate(n_rows=1, seed=0).iloc[0].to_dict()
    try:
        served.model.predict_one({name: student[name] for name in schema.FEATURE_NAMES})
    except Exception:
        return False
    return True


def _failure_rate_exceeded(served: ServedModel) -> bool:
    from django.db.models import Count, Q
    from django.utils import timezone

    from predictor.models import Prediction

    since = timezone.now() - timedelta(seconds=settings.AUTO_ROLLBACK_WINDOW_SECONDS)
    counts = Prediction.objects.filter(
        model_version_id=served.model_version_id, created_at__gte=since
    ).aggregate(attempts=Count("id"), failed=Count("id", filter=Q(status=Prediction.Status.FAILED)))
    attempts, failed = counts["attempts"], counts["failed"]
    return (
        attempts >= settings.AUTO_ROLLBACK_MIN_ATTEMPTS
        and failed / attempts > settings.AUTO_ROLLBACK_FAILURE_RATE
    )


def reset() -> None:
    """Forget the cached model (tests, and after a change this process made itself)."""
    global _served, _checked_at, _unservable
    with _lock:
        _served = None
        _checked_at = float("-inf")
        _unservable = None
