"""Load, validate and clean a CSV of students as people really export it.

``load_dataset`` returns the clean frame (canonical column names from ``ml.schema``,
categories in canonical spelling, integer scores) and a ``DataReport`` that counts the
rows dropped by reason. ``validate_frame`` does the same for a frame already in memory.
Batch scoring keeps every row instead: ``validate_rows`` returns each row's clean values
or its errors, in the input's order. ``validate_outcome_rows`` reads a file of real
scores keyed by prediction id or reference.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ml import schema
from ml.errors import DataError

# Reading files lives in ml.tables; these names stay importable from here.
from ml.tables import (  # noqa: F401
    SPREADSHEET_ENCODINGS,
    UNREADABLE_TEXT,
    decode_text,
    frame_from_records,
    ragged_row_error,
    read_csv_bytes,
    read_csv_text,
)

MIN_ROWS = 50
# Training stops when more than this share of a file's rows would be dropped as invalid:
# past a few stray rows, what is wrong is the file (an encoding, a renamed category), and
# a model fitted on what is left would silently miss whole groups of students.
MAX_DROPPED_SHARE = 0.05


@dataclass
class DataReport:
    """What loading found: row counts, rejections by reason, duplicates.

    ``rejections`` maps a reason such as ``"reading_score out of 0–100"`` to a row count;
    a row is counted once, under the first rule it breaks (columns in schema order).
    ``missing_categories``: ``{feature: [categories]}`` of the schema's choices that no
    kept row has (a model trained on them scores such a student with a warning).
    ``problems`` counts the same rows by their full message, value included (``'lunch
    "caviar" is not one of: standard, free/reduced'``), to name the commonest.
    """

    rows_read: int = 0
    rows_kept: int = 0
    rejections: Counter = field(default_factory=Counter)
    problems: Counter = field(default_factory=Counter)
    duplicate_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    missing_categories: dict[str, list[str]] = field(default_factory=dict)

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - self.rows_kept

    def summary(self) -> str:
        """One line for people, e.g. ``"995 of 1000 rows kept; 5 rows rejected: 2 ..."``."""
        text = f"{self.rows_kept} of {self.rows_read} rows kept"
        if self.rows_rejected:
            reasons = ", ".join(f"{n} {reason}" for reason, n in self.rejections.most_common())
            text += f"; {self.rows_rejected} rows rejected: {reasons}"
        if self.duplicate_rows:
            text += f"; {self.duplicate_rows} duplicate rows (kept)"
        if self.ignored_columns:
            text += f"; ignored columns: {', '.join(self.ignored_columns)}"
        for name, values in self.missing_categories.items():
            listed = ", ".join(f'"{v}"' for v in values)
            text += (
                f"; WARNING: no rows with {name} {listed}: the model will score such a "
                "student as an average of the others, with a warning"
            )
        return text

    def as_dict(self) -> dict:
        return {
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "rows_rejected": self.rows_rejected,
            "rejections": dict(self.rejections),
            "duplicate_rows": self.duplicate_rows,
            "ignored_columns": list(self.ignored_columns),
            "missing_categories": dict(self.missing_categories),
        }


def cell_error(name: str, raw: object) -> str | None:
    """The rule one raw value of column ``name`` breaks (``None`` when it is valid): the
    message of ``schema.clean_feature``'s ``InvalidValue``, e.g. ``"must be between 0 and
    100"`` or ``"is empty"``."""
    try:
        schema.clean_feature(name, raw)
    except schema.InvalidValue as exc:
        return exc.message
    return None


def row_errors(row: dict, *, require_target: bool) -> dict[str, str]:
    """Validate one row of raw values against the schema.

    Returns ``{field: message}`` for each broken rule (empty when the row is valid), with
    the messages of ``cell_error``.
    """
    names = [*schema.FEATURE_NAMES, schema.TARGET] if require_target else schema.FEATURE_NAMES
    errors: dict[str, str] = {}
    for name in names:
        error = cell_error(name, row.get(name))
        if error is not None:
            errors[name] = error
    return errors


def rejection_reason(name: str, message: str) -> str:
    """A short reason to count rows by, e.g. ``"reading_score out of 0–100"``, from one
    of ``row_errors``' messages."""
    if message.startswith("must be between"):
        return f"{name} out of {schema.SCORE_MIN}–{schema.SCORE_MAX}"
    if message == schema.EMPTY:
        return f"{name} empty"
    if message.startswith(schema.SCORE_NOT_WHOLE):
        return f"{name} not a whole number"
    if message.startswith("must be at most"):
        return f"{name} too long"
    if name in schema.CATEGORICAL_FEATURES:
        return f"{name} unknown category"
    return f"{name} malformed"


def clean_row(row: dict, *, require_target: bool) -> dict:
    """Canonical values of a valid row: categories normalised, scores as ``int``."""
    names = [*schema.FEATURE_NAMES, schema.TARGET] if require_target else schema.FEATURE_NAMES
    return {name: schema.clean_feature(name, row[name]) for name in names}


@dataclass
class CheckedRow:
    """One input row after validation.

    ``values``: clean values (categories canonical, scores ``int``) of the features that
    passed; ``errors``: ``{feature: message}`` for those that did not (empty when the row
    can be scored).
    """

    values: dict
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


FOUND_COLUMNS_SHOWN = 20


def require_columns(frame: pd.DataFrame, required) -> None:
    """Raise ``DataError`` naming every one of ``required`` that ``frame`` lacks, at once,
    with the columns found: the first ``FOUND_COLUMNS_SHOWN``, each quoted short
    (``schema.shown``), so that a header of thousands of columns does not become the
    message. E.g. ``"columns 'lunch' and 'writing_score' are missing (found columns: ...)"``."""
    missing = [name for name in required if name not in frame.columns]
    if not missing:
        return
    names = [schema.shown(str(c)) for c in frame.columns]
    found = ", ".join(names[:FOUND_COLUMNS_SHOWN]) or "none"
    if len(names) > FOUND_COLUMNS_SHOWN:
        found += f" and {len(names) - FOUND_COLUMNS_SHOWN:,} more"
    quoted = [f"'{name}'" for name in missing]
    if len(quoted) == 1:
        what = f"column {quoted[0]} is missing"
    else:
        what = f"columns {', '.join(quoted[:-1])} and {quoted[-1]} are missing"
    raise DataError(f"{what} (found columns: {found})")


def validate_rows(frame: pd.DataFrame) -> list[CheckedRow]:
    """Check every row of a frame of raw values against the schema, keeping them all.

    ``frame``: raw cells with canonical column names (``read_csv_bytes`` or
    ``frame_from_records``); extra columns are ignored. Returns one ``CheckedRow`` per
    row, in order, with the messages of ``row_errors``. Raises ``DataError`` naming the
    first missing feature column.
    """
    require_columns(frame, schema.FEATURE_NAMES)
    # A class's file repeats a handful of spellings thousands of times: check each
    # distinct cell once per column instead of once per row.
    checked: dict[tuple, tuple[object, str | None]] = {}
    rows = []
    cells = frame[list(schema.FEATURE_NAMES)].to_numpy(dtype=object, na_value=None).tolist()
    for record in cells:
        values, errors = {}, {}
        for name, raw in zip(schema.FEATURE_NAMES, record, strict=True):
            # The type is part of the key because True == 1 and 72.5 != 72 must not share.
            key = (name, type(raw), raw if isinstance(raw, (str, int, float)) else repr(raw))
            if key not in checked:
                try:
                    checked[key] = (schema.clean_feature(name, raw), None)
                except schema.InvalidValue as exc:
                    checked[key] = (None, exc.message)
            value, error = checked[key]
            if error is None:
                values[name] = value
            else:
                errors[name] = error
        rows.append(CheckedRow(values, errors))
    for index in frame.attrs.get("ragged_rows", {}):
        if index < len(rows):
            # Its cells may sit under the wrong columns: the row error alone, no values.
            rows[index] = CheckedRow({}, {"row": ragged_row_error(frame, index)})
    return rows


def validate_frame(
    frame: pd.DataFrame,
    *,
    require_target: bool = True,
    min_rows: int = MIN_ROWS,
    max_dropped_share: float | None = None,
) -> tuple[pd.DataFrame, DataReport]:
    """Check columns, drop invalid rows (counted by reason) and return the clean frame.

    ``frame`` holds raw values with canonical column names. The clean frame has the seven
    features (and ``math_score`` when ``require_target``) in schema order, categories as
    strings and scores as int64, with a fresh 0..n-1 index.
    Raises ``DataError`` naming the first missing column; when more than
    ``max_dropped_share`` (a fraction; ``None``: no limit) of the rows are invalid, naming
    the commonest problem; or when fewer than ``min_rows`` valid rows remain.
    """
    required = [*schema.FEATURE_NAMES, schema.TARGET] if require_target else schema.FEATURE_NAMES
    require_columns(frame, required)
    report = DataReport(rows_read=len(frame))
    report.ignored_columns = [c for c in frame.columns if c not in required]
    kept = []
    for index, record in enumerate(frame[required].to_dict("records")):
        errors = row_errors(record, require_target=require_target)
        if ragged_row_error(frame, index):
            reason = "row with more or fewer fields than the header"
            report.rejections[reason] += 1
            report.problems[reason] += 1
            continue
        if errors:
            name, message = next(iter(errors.items()))
            report.rejections[rejection_reason(name, message)] += 1
            report.problems[f"{name} {message}"] += 1
            continue
        kept.append(clean_row(record, require_target=require_target))
    report.rows_kept = len(kept)
    if max_dropped_share is not None and report.rows_rejected > max_dropped_share * len(frame):
        problem, count = report.problems.most_common(1)[0]
        raise DataError(
            f"{report.rows_rejected:,} of {report.rows_read:,} rows "
            f"({report.rows_rejected / report.rows_read:.0%}) would be dropped, more than the "
            f"{max_dropped_share:.0%} allowed, mostly ({count:,} rows): {problem}"
        )
    if report.rows_kept < min_rows:
        raise DataError(
            f"only {report.rows_kept} valid rows; at least {min_rows} are needed "
            f"({report.summary()})"
        )
    clean = pd.DataFrame(kept, columns=required)
    for name in schema.SCORE_COLUMNS:
        if name in clean.columns:
            clean[name] = clean[name].astype("int64")
    report.duplicate_rows = int(clean.duplicated().sum())
    for name in schema.CATEGORICAL_FEATURES:
        present = set(clean[name])
        missing = [c for c in schema.FEATURES_BY_NAME[name].choices if c not in present]
        if missing:
            report.missing_categories[name] = missing
    return clean, report


def load_dataset(path: str | Path, *, min_rows: int = MIN_ROWS) -> tuple[pd.DataFrame, DataReport]:
    """Read and validate a training CSV.

    Returns ``(frame, report)`` as ``validate_frame`` does, with the target required.
    Raises ``DataError`` when the file is missing or unreadable, a column is missing, more
    than ``MAX_DROPPED_SHARE`` (5%) of its rows are invalid, or fewer than ``min_rows``
    (default 50) valid rows remain.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise DataError(f"{path} is a directory, not a CSV file") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from None
    return validate_frame(
        read_csv_bytes(data),
        require_target=True,
        min_rows=min_rows,
        max_dropped_share=MAX_DROPPED_SHARE,
    )


def fingerprint(frame: pd.DataFrame) -> str:
    """sha256 (hex) of the clean data, independent of the file's formatting."""
    canonical = frame.to_csv(index=False, lineterminator="\n").encode()
    return hashlib.sha256(canonical).hexdigest()


def row_hashes(frame: pd.DataFrame) -> list[str]:
    """A short hash (16 hex characters of sha256) of each row's feature and target values.

    Lets a later training run tell which of its held-out rows an older model was fitted
    on, without storing the rows themselves. Shape: one string per row, in order.
    """
    columns = [c for c in (*schema.FEATURE_NAMES, schema.TARGET) if c in frame.columns]
    return [
        hashlib.sha256("\x1f".join(map(str, values)).encode()).hexdigest()[:16]
        for values in frame[columns].itertuples(index=False, name=None)
    ]


# Headers a file of real scores may use, after ``schema.normalize_header``.
_OUTCOME_ALIASES = {
    "id": "prediction_id",
    "prediction": "prediction_id",
    "math_score": "actual_math_score",
    "actual": "actual_math_score",
    "actual_score": "actual_math_score",
}


@dataclass
class OutcomeRow:
    """One row of a file of real scores: which prediction (by id or by reference) and the
    score, or ``errors`` as ``{column: message}``."""

    prediction_id: int | None
    reference: str
    actual_math_score: int | None
    errors: dict[str, str]

    @property
    def blank_score(self) -> bool:
        """The score cell is empty and nothing else is wrong: a row to skip, not an error
        (a class's file filled in halfway)."""
        return self.errors == {"actual_math_score": schema.EMPTY}


def _coalesce_aliases(frame: pd.DataFrame, aliases: dict[str, str]) -> pd.DataFrame:
    """Rename alias columns to their canonical name; where a file has both (``id`` and
    ``prediction_id``), each row takes the first non-empty value, in column order."""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        name = aliases.get(column, column)
        values = frame[column]
        if name in out.columns:
            current = out[name]
            empty = current.isna() | (current.astype(str).str.strip() == "")
            out[name] = current.where(~empty, values)
        else:
            out[name] = values
    return out


def validate_outcome_rows(frame: pd.DataFrame) -> list[OutcomeRow]:
    """Read real math scores from a frame of raw cells (``read_csv_bytes``), in order.

    Columns: ``actual_math_score`` (or ``math score``, ``actual``) and ``prediction_id``
    (or ``id``) and/or ``reference``. A row names its prediction by id when it has one,
    else by reference. Raises ``DataError`` when the score column or both key columns
    are missing.
    """
    frame = _coalesce_aliases(frame, _OUTCOME_ALIASES)
    if "actual_math_score" not in frame.columns:
        raise DataError("column 'actual_math_score' is missing (also read as 'math score')")
    if "prediction_id" not in frame.columns and "reference" not in frame.columns:
        raise DataError("a column 'prediction_id' (or 'id') or 'reference' is needed")
    rows = []
    for record in frame.to_dict("records"):
        errors, prediction_id, score = {}, None, None
        raw_reference = record.get("reference")
        reference = "" if schema.is_blank(raw_reference) else str(raw_reference).strip()
        raw_id = record.get("prediction_id")
        if not schema.is_blank(raw_id):
            try:
                prediction_id = schema.clean_prediction_id(raw_id)
            except schema.InvalidValue as exc:
                errors["prediction_id"] = exc.message
        elif not reference:
            errors["prediction_id"] = "is empty, and so is reference: give one of them"
        try:
            score = schema.clean_score(record["actual_math_score"])
        except schema.InvalidValue as exc:
            errors["actual_math_score"] = exc.message
        rows.append(OutcomeRow(prediction_id, reference, score, errors))
    return rows
