"""The one place that loads the production model: lazily, cached per process.

``active_model()`` returns the cached model and, at most every
``SERVING_REFRESH_SECONDS``, asks the database which version is in production (one
indexed query on two small columns). When that changed, it loads the new artifact, so a
promotion reaches every web process on every host within a few seconds, with no restart
and no shared disk.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings

from ml import artifact
from ml.errors import ArtifactError
from ml.predict import FittedModel
from predictor.errors import ModelUnavailableError, NoModelError
from predictor.models import ModelVersion


@dataclass(frozen=True)
class ServedModel:
    """The production model of this process: its row's id, version number and sha256, and
    ``row``, its ModelVersion with only ``id`` and ``version`` loaded (other fields load on
    access), so that a new Prediction can point at it without fetching the artifact."""

    model_version_id: int
    version: int
    artifact_sha256: str
    model: FittedModel
    row: ModelVersion


# The version this request was scored with, for the request's log line
# (``studentperf.requestlog`` resets it at the start of every request).
served_version: ContextVar[int | None] = ContextVar("served_version", default=None)

_lock = threading.Lock()
_served: ServedModel | None = None
_checked_at = float("-inf")
# Versions no longer in production, loaded to explain their own old predictions; a couple
# are enough (pages about old predictions are rare) and each holds a whole model.
_former: OrderedDict[int, ServedModel] = OrderedDict()
FORMER_CACHE_SIZE = 2


def active_model() -> ServedModel:
    """The production model, loading or swapping it when the database says so.

    Raises ``NoModelError`` when no version is in production and
    ``ModelUnavailableError`` when its artifact fails verification.
    """
    served = _served
    if served is None or time.monotonic() - _checked_at >= settings.SERVING_REFRESH_SECONDS:
        served = _refresh()
    served_version.set(served.version)
    return served


def _refresh() -> ServedModel:
    global _served, _checked_at
    with _lock:
        if (
            _served is not None
            and time.monotonic() - _checked_at < settings.SERVING_REFRESH_SECONDS
        ):
            return _served
        current = (
            ModelVersion.objects.production().values("id", "version", "artifact_sha256").first()
        )
        if current is None:
            _served = None
            raise NoModelError()
        if (
            _served is None
            or _served.artifact_sha256 != current["artifact_sha256"]
            or (_served.model_version_id != current["id"])
        ):
            _served = _load(current)
        _checked_at = time.monotonic()
        return _served


def version_model(*, model_version_id: int) -> ServedModel:
    """The model of one version, in production or not (to explain its own predictions).

    The production version comes from ``active_model()``; any other is loaded once and
    kept in a small per-process cache. Raises ``NoModelError`` when the version no longer
    exists and ``ModelUnavailableError`` when its artifact fails verification.
    """
    try:
        served = active_model()
    except (NoModelError, ModelUnavailableError):
        # A broken or missing production model must not stop an old version explaining itself.
        served = None
    if served is not None and served.model_version_id == model_version_id:
        return served
    with _lock:
        cached = _former.get(model_version_id)
        if cached is not None:
            _former.move_to_end(model_version_id)
            return cached
    row = (
        ModelVersion.objects.filter(pk=model_version_id)
        .values("id", "version", "artifact_sha256")
        .first()
    )
    if row is None:
        raise NoModelError(f"model version {model_version_id} no longer exists")
    loaded = _load(row)
    with _lock:
        _former[model_version_id] = loaded
        while len(_former) > FORMER_CACHE_SIZE:
            _former.popitem(last=False)
    return loaded


def _load(current: dict) -> ServedModel:
    data = ModelVersion.objects.values_list("artifact", flat=True).get(pk=current["id"])
    try:
        model = artifact.loads(bytes(data), current["artifact_sha256"])
    except ArtifactError as exc:
        raise ModelUnavailableError(
            f"model v{current['version']} cannot be served: {exc}"
        ) from None
    row = ModelVersion.objects.only("id", "version").get(pk=current["id"])
    return ServedModel(current["id"], current["version"], current["artifact_sha256"], model, row)


def reset() -> None:
    """Forget the cached model (tests, and after a change this process made itself)."""
    global _served, _checked_at
    with _lock:
        _served = None
        _checked_at = float("-inf")
        _former.clear()
