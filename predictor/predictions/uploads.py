"""Turning an uploaded file or a JSON list into a frame of raw cells for the services.

Limits come from settings: a body over ``BATCH_MAX_BYTES`` or a table over
``BATCH_MAX_ROWS`` rows raises ``TooLargeError`` (413); an empty, undecodable or
non-tabular upload raises ``ServiceError`` (400) with ``ml.data``'s plain message.
"""

from __future__ import annotations

import pandas as pd
from django.conf import settings

from ml.data import OutcomeRow, frame_from_records, read_csv_bytes, validate_outcome_rows
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


def csv_frame(data: bytes) -> pd.DataFrame:
    """A CSV upload as a frame of strings with canonical column names (``ml.data``)."""
    check_size(len(data))
    try:
        return _check_rows(read_csv_bytes(data))
    except DataError as exc:
        raise ServiceError(str(exc)) from None


def json_frame(records) -> pd.DataFrame:
    """A JSON list of objects as a frame of raw values with canonical column names."""
    if not isinstance(records, list):
        raise ServiceError("send a JSON list of objects, one per student")
    try:
        return _check_rows(frame_from_records(records))
    except DataError as exc:
        raise ServiceError(str(exc)) from None


def file_frame(upload) -> pd.DataFrame:
    """An uploaded CSV file (Django ``UploadedFile``) as ``csv_frame`` reads it, its size
    checked before it is read."""
    check_size(upload.size)
    return csv_frame(upload.read())


def outcome_rows(frame: pd.DataFrame) -> list[OutcomeRow]:
    """The rows of a table of real scores (``ml.data.validate_outcome_rows``)."""
    try:
        return validate_outcome_rows(frame)
    except DataError as exc:
        raise ServiceError(str(exc)) from None
