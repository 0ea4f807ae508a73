"""Turning an uploaded file or a JSON list into a frame of raw cells for the services.

Limits come from settings: a body over ``BATCH_MAX_BYTES`` or a table over
``BATCH_MAX_ROWS`` rows raises ``TooLargeError`` (413); an empty, undecodable or
non-tabular upload raises ``ServiceError`` (400) with ``ml.tables``' plain message.
A file is CSV or tab-separated text, or an Excel workbook (``.xlsx``: its first sheet,
or the one named).
An upload past ``BATCH_SYNC_MAX_ROWS`` rows (``Upload.as_job``) is scored as a batch job
instead, up to ``BATCH_JOB_MAX_ROWS`` rows and ``BATCH_JOB_MAX_BYTES`` bytes.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd
from django.conf import settings
from django.core.files import File

from ml import tables
from ml.data import OutcomeRow, validate_outcome_rows
from ml.errors import DataError
from predictor.errors import LengthRequiredError, ServiceError, TooLargeError


def check_length(meta: dict) -> None:
    """Raise ``LengthRequiredError`` (411) for a body sent with ``Transfer-Encoding:
    chunked`` and no ``Content-Length``: Django reads such a body as empty under WSGI,
    which would be answered as a file with no rows or a student with no fields."""
    chunked = "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked and not int(meta.get("CONTENT_LENGTH") or 0):
        raise LengthRequiredError(
            "the body came in chunks without a Content-Length, which this server cannot "
            "read; send it with its length (curl --data-binary @file does)"
        )


def check_size(n_bytes: int) -> None:
    """Raise ``TooLargeError`` when ``n_bytes`` is over ``BATCH_MAX_BYTES``."""
    limit = settings.BATCH_MAX_BYTES
    if n_bytes > limit:
        raise TooLargeError(
            f"the upload is {n_bytes:,} bytes; the limit is {limit:,} bytes "
            "(split the file into smaller ones)"
        )


def _check_rows(frame: pd.DataFrame) -> pd.DataFrame:
    limit = settings.BATCH_MAX_ROWS
    if len(frame) > limit:
        raise TooLargeError(
            f"the upload has {len(frame):,} rows; at most {limit:,} are scored at once "
            "(split the file into smaller ones)"
        )
    if len(frame) == 0:
        raise ServiceError("the file has a header but no rows")
    return frame


def csv_frame(data: bytes, *, file_format: str = tables.CSV, sheet: str = "") -> pd.DataFrame:
    """An upload (CSV/TSV text, or an ``.xlsx`` workbook's ``sheet``) as a frame of strings
    with canonical column names (``ml.tables.read_table``)."""
    check_size(len(data))
    if file_format == tables.CSV and not data.strip():
        raise ServiceError("the file is empty")
    try:
        return _check_rows(tables.read_table(data, file_format=file_format, sheet=sheet))
    except DataError as exc:
        raise ServiceError(str(exc)) from None


def json_frame(records) -> pd.DataFrame:
    """A JSON list of objects as a frame of raw values with canonical column names."""
    if not isinstance(records, list):
        raise ServiceError("send a JSON list of objects, one per student")
    for number, record in enumerate(records):
        nested = [
            key
            for key, value in (record.items() if isinstance(record, dict) else ())
            if isinstance(value, dict | list)
        ]
        if nested:
            # A CSV cell cannot hold one either; stored, it would read as Python's repr.
            raise ServiceError(
                f"item {number}: {', '.join(repr(k)[:40] for k in nested[:5])} must be text, "
                "a number or null, not an object or a list"
            )
    try:
        return _check_rows(tables.frame_from_records(records))
    except DataError as exc:
        raise ServiceError(str(exc)) from None


def file_frame(upload, *, sheet: str = "") -> pd.DataFrame:
    """An uploaded file (Django ``UploadedFile``: text, or a workbook by its name or its
    first bytes) as ``csv_frame`` reads it, its size checked before it is read."""
    check_size(upload.size)
    data = upload.read()
    return csv_frame(data, file_format=tables.sniff_format(upload.name or "", data), sheet=sheet)


def outcome_rows(frame: pd.DataFrame) -> list[OutcomeRow]:
    """The rows of a table of real scores (``ml.data.validate_outcome_rows``)."""
    try:
        return validate_outcome_rows(frame)
    except DataError as exc:
        raise ServiceError(str(exc)) from None


# --- Large uploads: counted as they stream, then scored now or as a job -----------------


def prefers_async(meta: dict) -> bool:
    """Whether the request asks for an answer before the work is done (RFC 7240:
    ``Prefer: respond-async``)."""
    tokens = meta.get("HTTP_PREFER", "").replace(";", ",").split(",")
    return any(token.strip().lower() == "respond-async" for token in tokens)


def check_job_size(n_bytes: int) -> None:
    """Raise ``TooLargeError`` (413) when ``n_bytes`` is over ``BATCH_JOB_MAX_BYTES``."""
    limit = settings.BATCH_JOB_MAX_BYTES
    if n_bytes > limit:
        raise TooLargeError(
            f"the upload is {n_bytes:,} bytes; the limit is {limit:,} bytes "
            "(BATCH_JOB_MAX_BYTES; split the file into smaller ones)"
        )


@dataclass
class Upload:
    """A table as uploaded, not yet parsed: ``kind`` ``"csv"``, ``"xlsx"`` or ``"json"``,
    ``rows`` (a CSV's non-blank lines after the header, a sheet's used rows after the
    first, a JSON list's length), ``size`` in bytes, ``parts()``, its bytes again in pieces
    (a spooled file is never read whole), and for a workbook the ``sheet`` to read."""

    kind: str
    rows: int
    size: int
    parts: Callable[[], Iterable[bytes]]
    source_name: str = ""
    records: list | None = None
    sheet: str = ""

    @property
    def as_job(self) -> bool:
        """Past ``BATCH_SYNC_MAX_ROWS`` rows or ``BATCH_MAX_BYTES`` bytes it is a job."""
        return self.rows > settings.BATCH_SYNC_MAX_ROWS or self.size > settings.BATCH_MAX_BYTES

    def check_job_limits(self) -> None:
        """Raise ``TooLargeError`` (413) past ``BATCH_JOB_MAX_ROWS`` rows or
        ``BATCH_JOB_MAX_BYTES`` bytes."""
        check_job_size(self.size)
        limit = settings.BATCH_JOB_MAX_ROWS
        if self.rows > limit:
            raise TooLargeError(
                f"the upload has {self.rows:,} rows; a job takes at most {limit:,} "
                "(BATCH_JOB_MAX_ROWS; split the file into smaller ones)"
            )

    def frame(self) -> pd.DataFrame:
        """The table now, for a batch scored within the request (``csv_frame``,
        ``json_frame``: their limits and messages)."""
        if self.kind == "json":
            return json_frame(self.records)
        return csv_frame(b"".join(self.parts()), file_format=self.kind, sheet=self.sheet)


def _count_rows(pieces: Iterable[bytes]) -> tuple[int, int]:
    """(non-blank lines after the first, bytes) of a text read in pieces. A quoted cell
    holding a line break counts twice: good enough to choose, corrected once parsed."""
    lines, size, tail = 0, 0, b""
    for piece in pieces:
        size += len(piece)
        chunk = tail + piece
        *complete, tail = chunk.split(b"\n")
        lines += sum(1 for line in complete if line.strip())
    lines += 1 if tail.strip() else 0
    return max(lines - 1, 0), size


def file_upload(upload, *, sheet: str = "") -> Upload:
    """An uploaded file (Django ``UploadedFile``, on disk past
    ``FILE_UPLOAD_MAX_MEMORY_SIZE``): text counted piece by piece, a workbook by the used
    range its sheet records. Raises ``ServiceError`` (400) for a workbook that cannot be
    opened or lacks ``sheet``."""
    check_job_size(upload.size)
    upload.seek(0)
    kind = tables.sniff_format(upload.name or "", upload.read(len(tables.ZIP_MAGIC)))
    if kind == tables.XLSX:
        upload.seek(0)
        try:
            rows = tables.workbook_row_count(upload, sheet, at_most=settings.BATCH_SYNC_MAX_ROWS)
        except DataError as exc:
            raise ServiceError(str(exc)) from None
        return Upload(kind, rows, upload.size, upload.chunks, upload.name or "", sheet=sheet)
    rows, size = _count_rows(upload.chunks())
    return Upload("csv", rows, size, upload.chunks, source_name=upload.name or "")


def stream_upload(stream) -> Upload:
    """A ``text/csv`` request body read from ``stream`` (``None`` when empty) in pieces
    into a temporary file (in memory up to ``FILE_UPLOAD_MAX_MEMORY_SIZE``, on disk past
    it)."""
    # Closed with the request's last reference to it, as Django's own upload files are.
    spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    size = 0
    while stream is not None and (piece := stream.read(PIECE_BYTES)):
        size += len(piece)
        check_job_size(size)
        spool.write(piece)
    file = File(spool)
    rows, _ = _count_rows(file.chunks(PIECE_BYTES))
    return Upload("csv", rows, size, lambda: file.chunks(PIECE_BYTES))


def records_upload(records) -> Upload:
    """A JSON list already parsed by the API; as a job it is stored as JSON again."""
    if not isinstance(records, list):
        raise ServiceError("send a JSON list of objects, one per student")
    encoded = None

    def parts():
        nonlocal encoded
        encoded = encoded or json.dumps(records, ensure_ascii=False).encode()
        return [encoded]

    return Upload("json", len(records), 0, parts, records=records)


PIECE_BYTES = 1024 * 1024
