"""The task queue's state, read from django-tasks' database backend (for /readyz)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks_db.models import DBTaskResult


def queue_state() -> dict:
    """``{"depth": tasks ready to run, "oldest_waiting_seconds": age of the oldest of them
    (``None`` when none waits)}``; tasks deferred to a later time do not count."""
    ready = DBTaskResult.objects.ready()
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    return {
        "depth": ready.count(),
        "oldest_waiting_seconds": (
            round((timezone.now() - oldest).total_seconds(), 1) if oldest else None
        ),
    }
