"""What studentperf stores, one module per concern: the model registry (versions, their
artifacts and audit events) and the predictions (every attempt, and the batches)."""

from predictor.models.monitoring import HourlyRollup, MonitoringReport
from predictor.models.predictions import (
    Batch,
    BatchJob,
    BatchJobUpload,
    OwnedQuerySet,
    Prediction,
)
from predictor.models.registry import ModelArtifact, ModelVersion, ModelVersionEvent

__all__ = [
    "Batch",
    "BatchJob",
    "BatchJobUpload",
    "HourlyRollup",
    "ModelArtifact",
    "ModelVersion",
    "ModelVersionEvent",
    "MonitoringReport",
    "OwnedQuerySet",
    "Prediction",
]
