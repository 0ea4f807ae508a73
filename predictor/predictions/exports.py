"""CSV and workbook renderings of stored predictions: the history export, a batch's scored
file (written as its upload was: the same delimiter and byte-order mark, or a workbook),
and the empty templates a class's file starts from.

All are rendered from database rows, never from stored files; the CSV ones yield one row
at a time so that a long list streams.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import PurePath

from ml import schema
from predictor.errors import TRUNCATED_PAYLOAD, error_text
from predictor.models import Batch, Prediction

BATCH_RESULT_COLUMNS = ("predicted_math_score", "interval_low", "interval_high", "status", "error")

HISTORY_COLUMNS = (
    "id",
    "created_at",
    "channel",
    "status",
    "reference",
    *schema.FEATURE_NAMES,
    "predicted_math_score",
    "interval_low",
    "interval_high",
    "interval_level",
    "model_version",
    "actual_math_score",
    "actual_recorded_at",
    "batch_id",
    "batch_row",
    "error",
)

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV
# injection"); free text gets a leading apostrophe so that it stays text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value) -> str:
    """``value`` as a CSV cell (header or body) that a spreadsheet shows as text."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def _points(value: float | None, decimal: str = ".") -> str:
    return "" if value is None else f"{value:.1f}".replace(".", decimal)


_ECHOED_FIELDS = frozenset((*schema.FEATURE_NAMES, "reference"))


def batch_rows(
    batch: Batch, predictions: Iterable[Prediction], *, decimal: str = "."
) -> Iterator[list[str]]:
    """The input's columns as sent, then ``BATCH_RESULT_COLUMNS``; one row per prediction,
    in the order given (the caller passes them by ``batch_row``). ``decimal``: the mark in
    the scores written (``","`` for a semicolon file, as the Excel that wrote it reads)."""
    columns = list(batch.columns)
    # Where a row's cells were too long to keep as sent (services.bounded_payload), its
    # features and reference are echoed from their own columns instead.
    stored = {c: n for c in columns if (n := schema.normalize_header(c)) in _ECHOED_FIELDS}
    # The header row comes from the uploader's file too: escaped like any cell.
    yield [*(_text(c) for c in columns), *BATCH_RESULT_COLUMNS]
    for p in predictions:
        raw = p.raw_payload if isinstance(p.raw_payload, dict) else {}
        if TRUNCATED_PAYLOAD in raw:
            raw = {c: getattr(p, n) for c, n in stored.items()}
        yield [
            *(_text(raw.get(c)) for c in columns),
            _points(p.predicted_math_score, decimal),
            _points(p.interval_low, decimal),
            _points(p.interval_high, decimal),
            p.status,
            _text(error_text(p.errors)),
        ]


def history_rows(predictions: Iterable[Prediction]) -> Iterator[list[str]]:
    """``HISTORY_COLUMNS``, then one row per prediction (times in ISO 8601, UTC offset)."""
    yield [_text(c) for c in HISTORY_COLUMNS]
    for p in predictions:
        yield [
            str(p.pk),
            p.created_at.isoformat(),
            p.channel,
            p.status,
            _text(p.reference),
            *(_text(getattr(p, name)) for name in schema.FEATURE_NAMES),
            _points(p.predicted_math_score),
            _points(p.interval_low),
            _points(p.interval_high),
            "" if p.interval_level is None else str(p.interval_level),
            str(p.model_version.version) if p.model_version_id else "",
            _text(p.actual_math_score),
            p.actual_recorded_at.isoformat() if p.actual_recorded_at else "",
            _text(p.batch_id),
            _text(p.batch_row),
            _text(error_text(p.errors)),
        ]


class _Line:
    # csv.writer wants a file; this one hands back what was written.
    def write(self, value: str) -> str:
        return value


def csv_lines(
    rows: Iterable[list[str]], *, delimiter: str = ",", byte_order_mark: bool = False
) -> Iterator[str]:
    """Each row as one CSV line (``\\r\\n`` ends, as RFC 4180 says), for streaming, split by
    ``delimiter`` and, with ``byte_order_mark``, the first preceded by one (so that Excel
    reads the file as UTF-8)."""
    writer = csv.writer(_Line(), delimiter=delimiter or ",")
    for number, row in enumerate(rows):
        line = writer.writerow(row)
        yield "\ufeff" + line if byte_order_mark and number == 0 else line


def batch_filename(batch: Batch, extension: str) -> str:
    """The scored file's name: the upload's name with ``-scored`` (``class-7B.xlsx`` →
    ``class-7B-scored.xlsx``), only letters, digits, ``-``, ``_`` and ``.`` kept (it goes
    in a header); ``batch-<id>-scored`` for an upload without a name."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", PurePath(batch.source_name or "").stem).strip("._")
    return f"{stem[:100] or f'batch-{batch.pk}'}-scored.{extension}"


def _sheet_value(text: str):
    # Numbers stay numbers in a workbook: a score typed 72 comes back as 72, not "72".
    if re.fullmatch(r"-?[0-9]{1,15}", text):
        return int(text)
    if re.fullmatch(r"-?[0-9]{1,15}\.[0-9]+", text):
        return float(text)
    return text


def xlsx_file(rows: Iterable[list[str]], *, title: str = "Scored"):
    """The rows as an Excel workbook of one sheet, in a temporary file opened for reading
    (openpyxl's write-only mode: the rows are not all held at once). Text cells stay
    text, escaped as in the CSV, since a workbook runs formulas too."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    for number, row in enumerate(rows):
        sheet.append(row if number == 0 else [_sheet_value(cell) for cell in row])
    file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response that sends it)
    book.save(file)
    file.seek(0)
    return file


def template_rows() -> list[list[str]]:
    """A class's file to fill in: the columns a batch reads, a name column, one example."""
    return [
        ["name", *schema.FEATURE_NAMES, "reference"],
        [
            "Example Student",
            "female",
            "group B",
            "bachelor's degree",
            "standard",
            "none",
            "72",
            "74",
            "7B-01",
        ],
    ]


OUTCOME_TEMPLATE_ROWS = [
    ["prediction_id", "reference", "actual_math_score"],
    ["", "7B-01", ""],
]


def csv_text(rows: Iterable[list[str]]) -> str:
    """All rows as one CSV string."""
    return "".join(csv_lines(rows))
