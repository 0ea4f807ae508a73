"""Batch jobs: a large upload stored, then scored by a worker in chunks, exactly once.

The queue is django-tasks' (the standard ``django.tasks`` API, backported) on its database
backend: ``batch_job_create`` enqueues ``batch_job_run``, and ``manage.py db_worker``
(the backend's own command) claims it with ``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL, an exclusive transaction on SQLite. Nothing here queues anything itself.

Each chunk of ``BATCH_JOB_CHUNK_ROWS`` rows is scored outside any transaction, then its
rows, the batch's counts and the job's ``rows_done`` commit together, so a crash leaves
either the whole chunk or none of it; ``batch_chunk_store`` also skips rows already
stored. The backend never gives a claimed task back when its worker dies, so
``batch_jobs_recover`` (run by ``manage.py batch_jobs_recover`` at worker start and every
minute by the scheduler) enqueues a new task for a job whose heartbeat stopped, with a
higher ``attempt``: the new worker resumes at ``rows_done``, and the old one, should it
wake, stops at its next chunk.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from ml.data import frame_from_records, read_csv_bytes
from ml.errors import DataError
from predictor.errors import ServiceError
from predictor.models import Batch, BatchJob, BatchJobUpload
from predictor.predictions import batches, services

logger = logging.getLogger(__name__)

UPLOAD_PART_BYTES = 1024 * 1024


class WorkerLost(Exception):
    """Recorded on a django-tasks result whose worker stopped heartbeating."""


@task()
def batch_job_run(job_id: str, attempt: int) -> dict:
    """The django-tasks task: process one attempt of a batch job (``batch_job_process``)."""
    job = batch_job_process(job_id=uuid.UUID(job_id), attempt=attempt)
    return {"status": job.status, "rows_done": job.rows_done, "rows_total": job.rows_total}


def batch_job_from_upload(*, upload, owner=None, session_key: str | None = None) -> BatchJob:
    """``batch_job_create`` for an upload as ``predictions.uploads`` measured it: its job
    limits checked first (``TooLargeError``, 413), then stored and enqueued."""
    upload.check_job_limits()
    return batch_job_create(
        parts=upload.parts(),
        kind=upload.kind,
        rows_total=upload.rows,
        size_bytes=upload.size,
        owner=owner,
        session_key=session_key,
        source_name=upload.source_name,
    )


def batch_job_create(
    *,
    parts: Iterable[bytes],
    kind: str,
    rows_total: int,
    size_bytes: int,
    owner=None,
    session_key: str | None = None,
    source_name: str = "",
) -> BatchJob:
    """Store an upload piece by piece and enqueue its job, in one transaction.

    ``parts``: the file's bytes in order, in pieces of any size (an ``UploadedFile``'s
    ``chunks()``); they are stored in rows of ``UPLOAD_PART_BYTES``, so the upload is never
    whole in memory. ``kind``: ``"csv"`` or ``"json"`` (a JSON list of objects).
    ``rows_total``: the count shown until the worker has parsed the file.
    """
    attribution = services._attribution(owner, session_key)
    with transaction.atomic():
        job = BatchJob.objects.create(
            kind=kind,
            rows_total=rows_total,
            size_bytes=size_bytes,
            source_name=source_name[:200],
            **attribution,
        )
        index, pending = 0, bytearray()
        for piece in parts:
            pending += piece
            while len(pending) >= UPLOAD_PART_BYTES:
                BatchJobUpload.objects.create(
                    job=job, index=index, data=bytes(pending[:UPLOAD_PART_BYTES])
                )
                del pending[:UPLOAD_PART_BYTES]
                index += 1
        if pending:
            BatchJobUpload.objects.create(job=job, index=index, data=bytes(pending))
        # The task row commits with the job: a worker never sees one without the other.
        result = batch_job_run.enqueue(str(job.pk), job.attempt)
        job.task_id = str(result.id)
        job.save(update_fields=["task_id"])
    return job


def _upload_frame(job: BatchJob) -> pd.DataFrame:
    data = b"".join(
        bytes(part)
        for part in BatchJobUpload.objects.filter(job=job)
        .order_by("index")
        .values_list("data", flat=True)
        .iterator(chunk_size=8)
    )
    try:
        if job.kind == BatchJob.Kind.JSON:
            records = json.loads(data)
            if not isinstance(records, list):
                raise ServiceError("send a JSON list of objects, one per student")
            return frame_from_records(records)
        return read_csv_bytes(data)
    except (DataError, ValueError) as exc:
        raise ServiceError(str(exc)) from None


def _rows(frame: pd.DataFrame, start: int, stop: int) -> pd.DataFrame:
    """Rows ``start``–``stop`` of the file, with the file's headers and its ragged rows
    renumbered from ``start`` (``ml.data.validate_rows`` reads them so)."""
    part = frame.iloc[start:stop]
    part.attrs = {
        **frame.attrs,
        "ragged_rows": {
            i - start: n for i, n in frame.attrs.get("ragged_rows", {}).items() if start <= i < stop
        },
    }
    return part


def _claim(job_id: uuid.UUID, attempt: int) -> BatchJob | None:
    """Lock the job; ``None`` when this attempt no longer owns it (finished, or enqueued
    again after its worker was presumed dead)."""
    job = BatchJob.objects.select_for_update().get(pk=job_id)
    if job.attempt != attempt or job.status in (BatchJob.Status.DONE, BatchJob.Status.FAILED):
        return None
    return job


def _fail(job_id: uuid.UUID, attempt: int, message: str) -> BatchJob:
    with transaction.atomic():
        job = _claim(job_id, attempt)
        if job is None:
            return BatchJob.objects.get(pk=job_id)
        job.status, job.error, job.finished_at = BatchJob.Status.FAILED, message, timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        BatchJobUpload.objects.filter(job=job).delete()
    return job


def batch_job_process(*, job_id: uuid.UUID, attempt: int) -> BatchJob:
    """Parse the job's upload and score and store its rows from ``rows_done`` on, chunk by
    chunk; returns the job as this attempt left it.

    A file that cannot be read, or lacks a feature column, fails the job with the reason
    in ``error`` and stores nothing; so does a model that cannot serve, after storing
    that chunk's rows as failed (the rows before it stay scored)."""
    with transaction.atomic():
        job = _claim(job_id, attempt)
        if job is None:
            return BatchJob.objects.get(pk=job_id)
        now = timezone.now()
        job.status, job.heartbeat_at = BatchJob.Status.RUNNING, now
        job.started_at = job.started_at or now
        job.save(update_fields=["status", "heartbeat_at", "started_at"])
    try:
        frame = _upload_frame(job)
        if len(frame) > settings.BATCH_JOB_MAX_ROWS:
            raise ServiceError(
                f"the upload has {len(frame):,} rows; a job takes at most "
                f"{settings.BATCH_JOB_MAX_ROWS:,} (BATCH_JOB_MAX_ROWS)"
            )
        batch = batches.batch_new(
            frame=frame, owner=job.owner, session_key=job.session_key, source_name=job.source_name
        )
    except ServiceError as exc:
        return _fail(job_id, attempt, exc.message)
    batch.id = job.batch_id
    with transaction.atomic():
        job = _claim(job_id, attempt)
        if job is None:
            return BatchJob.objects.get(pk=job_id)
        if not Batch.objects.filter(pk=batch.pk).exists():
            batch.save(force_insert=True)
        job.rows_total = max(len(frame), job.rows_done)
        job.save(update_fields=["rows_total"])

    size = settings.BATCH_JOB_CHUNK_ROWS
    for start in range(job.rows_done, len(frame), size):
        chunk = batches.batch_chunk_score(
            frame=_rows(frame, start, start + size), batch=batch, first_row=start
        )
        with transaction.atomic():
            job = _claim(job_id, attempt)
            if job is None:
                return BatchJob.objects.get(pk=job_id)
            batch = Batch.objects.select_for_update().get(pk=job.batch_id)
            batches.batch_chunk_store(batch=batch, chunk=chunk)
            job.rows_done = max(job.rows_done, start + len(chunk.predictions))
            job.heartbeat_at = timezone.now()
            job.save(update_fields=["rows_done", "heartbeat_at"])
        if chunk.model_error is not None:
            return _fail(job_id, attempt, chunk.model_error.message)

    with transaction.atomic():
        job = _claim(job_id, attempt)
        if job is None:
            return BatchJob.objects.get(pk=job_id)
        job.status, job.finished_at = BatchJob.Status.DONE, timezone.now()
        job.heartbeat_at = job.finished_at
        job.save(update_fields=["status", "finished_at", "heartbeat_at"])
        BatchJobUpload.objects.filter(job=job).delete()
    return job


def batch_jobs_recover(*, stale_seconds: float | None = None) -> list[BatchJob]:
    """Enqueue again every job whose worker is presumed dead; returns them.

    Presumed dead: the job is running and its heartbeat is older than ``stale_seconds``
    (default ``BATCH_JOB_STALE_SECONDS``), or it is queued and its task was claimed that
    long ago without the job starting. The old task result is marked failed
    (``WorkerLost``) through the backend's own model, the job's ``attempt`` goes up by
    one, and a new task for it goes into the queue in the same transaction. Safe to run
    from several hosts at once: each job is locked (skipping those another run holds).
    """
    stale = timedelta(seconds=stale_seconds or settings.BATCH_JOB_STALE_SECONDS)
    cutoff = timezone.now() - stale
    recovered = []
    with transaction.atomic():
        candidates = BatchJob.objects.select_for_update(skip_locked=True).filter(
            status__in=[BatchJob.Status.QUEUED, BatchJob.Status.RUNNING]
        )
        for job in candidates:
            result = DBTaskResult.objects.filter(pk=job.task_id or None).first()
            if job.status == BatchJob.Status.RUNNING:
                if job.heartbeat_at is not None and job.heartbeat_at >= cutoff:
                    continue
            elif result is None or result.status != "RUNNING" or result.started_at >= cutoff:
                continue
            if result is not None and result.status == "RUNNING":
                result.set_failed(WorkerLost(f"no heartbeat for {stale.total_seconds():.0f} s"))
            job.attempt += 1
            job.status = BatchJob.Status.QUEUED
            job.task_id = str(batch_job_run.enqueue(str(job.pk), job.attempt).id)
            job.save(update_fields=["attempt", "status", "task_id"])
            logger.warning("batch job %s re-enqueued (attempt %d)", job.pk, job.attempt)
            recovered.append(job)
    return recovered
