"""The app's one exception type, with the HTTP status each case maps to."""


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
