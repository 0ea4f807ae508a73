"""Batch jobs: a large upload stored, then scored by a worker in chunks, exactly once.

The queue is django-tasks' (the standard ``django.tasks`` API, backported) on its database
backend: ``batch_job_create`` enqueues ``batch_job_run``, and ``manage.py db_worker``
(the backend's own command) claims it with ``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL, an exclusive transaction on SQLite. Nothing here queues anything itself.

The worker reads the stored upload as a stream (``ml.tables.table_chunks``: text decoded
piece by piece, a workbook through openpyxl's read-only mode), so its memory stays flat
whatever the file's size: a first pass checks the columns and counts the rows, then each
chunk of ``BATCH_JOB_CHUNK_ROWS`` rows is parsed, scored outside any transaction, then its
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
from collections.abc import Iterable, Iterator
from datetime import timedelta

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from ml import tables
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
    limits checked first (``TooLargeError``, 413), then its head as a small batch checks a
    whole file (``ServiceError``, 400: empty, not a table, no rows, a column missing), so
    such a file is refused at once rather than as a failed job; then stored and enqueued."""
    upload.check_job_limits()
    _check_head(upload)
    return batch_job_create(
        parts=upload.parts(),
        kind=upload.kind,
        sheet_name=upload.sheet,
        rows_total=upload.rows,
        size_bytes=upload.size,
        owner=owner,
        session_key=session_key,
        source_name=upload.source_name,
    )


# Rows of an upload read within the request before it becomes a job.
HEAD_ROWS = 50


def _check_head(upload) -> None:
    try:
        if upload.kind == BatchJob.Kind.JSON:
            records = upload.records or []
            head = tables.frame_from_records(records[:HEAD_ROWS]) if records else None
        else:
            chunks = tables.table_chunks(
                upload.parts, file_format=upload.kind, sheet=upload.sheet, chunk_rows=HEAD_ROWS
            )
            head = next(chunks, None)
            chunks.close()
    except (DataError, ValueError) as exc:
        raise ServiceError(str(exc)) from None
    if head is None or len(head) == 0:
        raise ServiceError("the file has a header but no rows")
    batches.batch_new(frame=head)


def batch_job_create(
    *,
    parts: Iterable[bytes],
    kind: str,
    rows_total: int,
    size_bytes: int,
    owner=None,
    session_key: str | None = None,
    source_name: str = "",
    sheet_name: str = "",
) -> BatchJob:
    """Store an upload piece by piece and enqueue its job, in one transaction.

    ``parts``: the file's bytes in order, in pieces of any size (an ``UploadedFile``'s
    ``chunks()``); they are stored in rows of ``UPLOAD_PART_BYTES``, so the upload is never
    whole in memory. ``kind``: ``"csv"``, ``"xlsx"`` (its ``sheet_name``, blank for the
    first) or ``"json"`` (a JSON list of objects).
    ``rows_total``: the count shown until the worker has parsed the file.
    """
    attribution = services._attribution(owner, session_key)
    with transaction.atomic():
        job = BatchJob.objects.create(
            kind=kind,
            rows_total=rows_total,
            size_bytes=size_bytes,
            source_name=source_name[:200],
            sheet_name=sheet_name[:100],
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


def _upload_pieces(job: BatchJob) -> Iterator[bytes]:
    """The stored upload's bytes, one stored part (``UPLOAD_PART_BYTES``) at a time: a
    query per part, so nothing holds the file or a cursor across the chunks' commits."""
    indexes = list(
        BatchJobUpload.objects.filter(job=job).order_by("index").values_list("index", flat=True)
    )
    for index in indexes:
        yield bytes(
            BatchJobUpload.objects.filter(job=job, index=index).values_list("data", flat=True)[0]
        )


def _upload_chunks(job: BatchJob, *, skip_rows: int = 0) -> Iterator[pd.DataFrame]:
    """The job's table as frames of ``BATCH_JOB_CHUNK_ROWS`` rows after the first
    ``skip_rows``, parsed as they are read (a JSON list, already one object in the API's
    memory, is parsed whole). Raises ``ServiceError`` with the reader's plain message."""
    size = settings.BATCH_JOB_CHUNK_ROWS
    try:
        if job.kind == BatchJob.Kind.JSON:
            records = json.loads(b"".join(_upload_pieces(job)))
            if not isinstance(records, list):
                raise ServiceError("send a JSON list of objects, one per student")
            frame = tables.frame_from_records(records)
            for start in range(skip_rows, len(frame), size):
                part = frame.iloc[start : start + size]
                part.attrs = dict(frame.attrs)
                yield part
            return
        yield from tables.table_chunks(
            lambda: _upload_pieces(job),
            file_format=job.kind,
            sheet=job.sheet_name,
            chunk_rows=size,
            skip_rows=skip_rows,
        )
    except (DataError, ValueError) as exc:
        raise ServiceError(str(exc)) from None


def _batch_checked(job: BatchJob) -> tuple[Batch, int]:
    """A first pass over the upload: the unsaved ``Batch`` (``batches.batch_new``: its
    columns checked) and the number of rows. Raises ``ServiceError`` for a file that
    cannot be read to its end or holds more than ``BATCH_JOB_MAX_ROWS`` rows, before any
    row is stored."""
    limit = settings.BATCH_JOB_MAX_ROWS
    try:
        if job.kind == BatchJob.Kind.JSON:
            head = next(_upload_chunks(job), None)
            rows = job.rows_total if head is not None else 0
        else:
            # Rows counted, not turned into frames: this pass only checks and measures.
            head, rows = tables.table_survey(
                lambda: _upload_pieces(job),
                file_format=job.kind,
                sheet=job.sheet_name,
                max_rows=limit,
            )
    except (DataError, ValueError) as exc:
        raise ServiceError(str(exc)) from None
    if rows > limit:
        raise ServiceError(
            f"the upload has more than {limit:,} rows; a job takes at most {limit:,} "
            "(BATCH_JOB_MAX_ROWS)"
        )
    if head is None or rows == 0:
        raise ServiceError("the file has a header but no rows")
    batch = batches.batch_new(
        frame=head, owner=job.owner, session_key=job.session_key, source_name=job.source_name
    )
    return batch, rows


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
    """Read the job's upload as a stream and score and store its rows from ``rows_done``
    on, chunk by chunk; returns the job as this attempt left it.

    The first attempt to get this far reads the whole file once to check it: a file that
    cannot be read, lacks a feature column or holds too many rows fails the job with the
    reason in ``error`` and stores nothing; so does a model that cannot serve, after storing
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
        batch = Batch.objects.filter(pk=job.batch_id).first()
        rows_total = None
        if batch is None:
            batch, rows_total = _batch_checked(job)
            batch.id = job.batch_id
    except ServiceError as exc:
        return _fail(job_id, attempt, exc.message)
    with transaction.atomic():
        job = _claim(job_id, attempt)
        if job is None:
            return BatchJob.objects.get(pk=job_id)
        if not Batch.objects.filter(pk=batch.pk).exists():
            batch.save(force_insert=True)
        if rows_total is not None:
            job.rows_total = max(rows_total, job.rows_done)
            job.save(update_fields=["rows_total"])

    start = job.rows_done
    try:
        for frame in _upload_chunks(job, skip_rows=start):
            chunk = batches.batch_chunk_score(frame=frame, batch=batch, first_row=start)
            with transaction.atomic():
                job = _claim(job_id, attempt)
                if job is None:
                    return BatchJob.objects.get(pk=job_id)
                batch = Batch.objects.select_for_update().get(pk=job.batch_id)
                batches.batch_chunk_store(batch=batch, chunk=chunk)
                start += len(chunk.predictions)
                job.rows_done = max(job.rows_done, start)
                job.heartbeat_at = timezone.now()
                job.save(update_fields=["rows_done", "heartbeat_at"])
            if chunk.model_error is not None:
                return _fail(job_id, attempt, chunk.model_error.message)
    except ServiceError as exc:
        return _fail(job_id, attempt, exc.message)

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
