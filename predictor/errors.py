"""The app's one exception type, with the HTTP status each case maps to, and how a
``{field: messages}`` error reads as one line."""

from ml import schema


class ServiceError(Exception):
    """A failure a person can act on. ``status_code`` is the HTTP status it maps to and
    ``code`` a stable machine-readable name."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NoModelError(ServiceError):
    status_code = 503
    code = "no_model"

    def __init__(self, message: str = ""):
        super().__init__(
            message or "no model yet: run `python manage.py train_model` to train and promote one"
        )


class ModelUnavailableError(ServiceError):
    """The production model exists but cannot be loaded (hash or library mismatch)."""

    status_code = 503
    code = "model_unavailable"


class ScoringError(ServiceError):
    status_code = 500
    code = "scoring_failed"


class LifecycleError(ServiceError):
    """A promotion or rollback that cannot be done, e.g. no previous version."""

    status_code = 409
    code = "lifecycle_conflict"


class PreflightError(ServiceError):
    """A version that failed its pre-flight (it does not load, or does not reproduce its
    held-out metrics), so it cannot be put in production."""

    status_code = 409
    code = "preflight_failed"


class ReasonRequiredError(ServiceError):
    """A promotion asked for without saying why (issue 15: promotion requires a reason)."""

    code = "reason_required"


class FairnessGateError(ServiceError):
    """A promotion the fairness gate refused (``predictor.registry.fairness_gate``);
    ``reasons`` says why, one sentence each. An override with a reason lets it through."""

    status_code = 409
    code = "fairness_gate_failed"

    def __init__(self, message: str, reasons: list[str]):
        super().__init__(message)
        self.reasons = reasons


class TooLargeError(ServiceError):
    """An upload over the limits in settings (``BATCH_MAX_BYTES``, ``BATCH_MAX_ROWS``)."""

    status_code = 413
    code = "too_large"


class NotScoredError(ServiceError):
    """An actual score sent for a prediction that has no predicted score to compare it with."""

    status_code = 409
    code = "not_scored"


class InvalidCredentialsError(ServiceError):
    code = "invalid_credentials"


class LengthRequiredError(ServiceError):
    """A body sent in chunks without a length, which Django under WSGI reads as empty."""

    status_code = 411
    code = "length_required"


# The key of a raw payload stored cut short (predictions.services.bounded_payload).
TRUNCATED_PAYLOAD = "truncated_json"


def error_message(messages) -> str:
    """One field's ``message`` or ``[messages]`` (DRF's shape) as one string."""
    if isinstance(messages, list | tuple):
        return " ".join(map(str, messages))
    return str(messages)


def error_text(errors, *, labels: bool = False) -> str:
    """``{field: message or [messages]}`` as one line: ``"reading_score must be ...; ..."``,
    or with ``labels`` for a page: ``"Reading score: must be ...; ..."``."""

    def lead(name: str) -> str:
        if not labels:
            return f"{name} "
        feature = schema.FEATURES_BY_NAME.get(name)
        return f"{feature.label if feature else name.capitalize()}: "

    return "; ".join(lead(name) + error_message(m) for name, m in (errors or {}).items())
