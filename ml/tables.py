"""Reading the tables people upload: CSV or tab-separated text in the encodings
spreadsheets write (``ml.text_encoding``), and Excel workbooks (``.xlsx``, read with
openpyxl: ``ml.workbooks``).

Every reader yields frames of raw cells as text, with canonical column names
(``ml.schema.normalize_header``) and, in ``frame.attrs``: ``source_headers`` (the headers as
sent), ``ragged_rows`` (``{row: n_fields}`` of text rows whose width does not fit the
header), ``decimal_commas`` (``{row: "72,0"}`` where a decimal comma split a number in two)
and ``table_format`` (``TableFormat.as_dict``: how the file was written, so that its
scored copy is written alike). ``read_table`` reads a whole upload into one frame;
``table_chunks`` reads it ``chunk_rows`` rows at a time from pieces of bytes, so a job's
memory does not grow with the file.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import pandas as pd

from ml import schema
from ml.errors import DataError
from ml.text_encoding import (  # noqa: F401 (read from here by ml.data and the uploads)
    SPREADSHEET_ENCODINGS,
    UNREADABLE_TEXT,
    PiecesReader,
    decode_text,
    detect_encoding,
)
from ml.workbooks import NOT_A_WORKBOOK, workbook_row_count, workbook_rows  # noqa: F401

CSV, XLSX = "csv", "xlsx"
# Excel writes a workbook as a zip archive; these are its first bytes.
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class TableFormat:
    """How an upload was written: ``file_format`` ``"csv"`` (any delimited text) or
    ``"xlsx"``; for text, its ``delimiter`` and whether it began with a ``byte_order_mark``;
    for a workbook, the ``sheet`` read."""

    file_format: str = CSV
    delimiter: str = ","
    byte_order_mark: bool = False
    sheet: str = ""

    def as_dict(self) -> dict:
        return {
            "file_format": self.file_format,
            "delimiter": self.delimiter,
            "byte_order_mark": self.byte_order_mark,
            "sheet": self.sheet,
        }


def sniff_format(name: str, head: bytes) -> str:
    """``"xlsx"`` for a workbook (named ``.xlsx``/``.xlsm``, or starting as a zip archive
    does), else ``"csv"``."""
    if name.lower().endswith((".xlsx", ".xlsm")) or head.startswith(ZIP_MAGIC):
        return XLSX
    return CSV


# --- Text: rows ------------------------------------------------------------------------------


def _delimiter(first_line: str) -> str:
    """Tab, semicolon or comma: whichever the header line holds most of (comma on a tie)."""
    counts = {",": first_line.count(","), ";": first_line.count(";"), "\t": first_line.count("\t")}
    best = max(counts.values())
    return "," if counts[","] == best else max(counts, key=counts.get)


def _text_rows(lines: Iterator[str]) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """(delimiter, iterator of (line number, cells) of the non-blank records; the first
    record is yielded even when its cells are all empty, as a header without names)."""
    leading = []
    for line in lines:
        leading.append(line.lstrip("\ufeff") if not leading else line)
        if line.strip("\ufeff \t\r\n"):
            break
    if not leading or not leading[-1].strip():
        raise DataError("the file is empty")
    delimiter = _delimiter(leading[-1])

    def chained():
        yield from leading
        yield from lines

    # strict: a quote opened and never closed is an error, not one cell holding the rest
    # of the file.
    reader = csv.reader(
        chained(), delimiter=delimiter, skipinitialspace=delimiter != "\t", strict=True
    )

    def records():
        record_start, first = 1, True
        try:
            for row in reader:
                if any("\x00" in cell for cell in row):
                    raise DataError(UNREADABLE_TEXT)
                if any(cell.strip() for cell in row) or (first and len(row) > 1):
                    first = False
                    yield record_start, row
                record_start = reader.line_num + 1
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise DataError(
                    f"a quote opened on line {record_start} is never closed, so the rest of "
                    "the file would be one cell"
                ) from None
            raise DataError(f"line {reader.line_num} is not readable CSV ({exc})") from None
        except UnicodeDecodeError:
            raise DataError(UNREADABLE_TEXT) from None

    return delimiter, records()


# --- Frames ----------------------------------------------------------------------------------


def canonical_headers(headers: list[str]) -> list[str]:
    """The canonical names of a header row (``schema.normalize_header``). Raises
    ``DataError`` when two columns have no name or a column appears twice."""
    columns = [schema.normalize_header(h) for h in headers]
    unnamed = [i + 1 for i, c in enumerate(columns) if not c]
    if len(unnamed) > 1:
        listed = ", ".join(map(str, unnamed))
        raise DataError(f"columns {listed} of the header have no name; name them or remove them")
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise DataError(f"column '{duplicated[0]}' appears more than once")
    return columns


_DIGITS = re.compile(r"[+-]?[0-9]+")


def _decimal_comma(row: list[str], width: int) -> str | None:
    """The number a decimal comma split in two (``"72,0"``), when a too-long row of a
    comma file has two cells of digits side by side and cutting one field would fit."""
    if len(row) != width + 1:
        return None
    for left, right in zip(row, row[1:], strict=False):
        if _DIGITS.fullmatch(left.strip()) and re.fullmatch(r"[0-9]+", right.strip()):
            return f"{left.strip()},{right.strip()}"
    return None


@dataclass
class _Source:
    """A table being read: its header (line number, cells), its body records, format."""

    header_line: int
    headers: list[str]
    body: Iterator[tuple[int, list[str]]]
    table_format: TableFormat
    where: str  # "line" for text, "row" for a sheet

    @property
    def is_text(self) -> bool:
        return self.table_format.file_format == CSV


def _source(
    records: Iterator[tuple[int, list[str]]], table_format: TableFormat, where: str
) -> _Source:
    first = next(records, None)
    if first is None:
        raise DataError(
            f"sheet '{table_format.sheet}' is empty" if where == "row" else "the file is empty"
        )
    line, header = first
    # A trailing empty column (a spreadsheet's stray cell, a trailing comma) is no column.
    while header and not header[-1].strip():
        header = header[:-1]
    if not header:
        raise DataError(f"the header ({where} {line}) has no column names")
    named = [cell for cell in header if cell.strip()]
    if len(named) == 1:
        # A title above the table ("Class 7B, spring term") is what a one-cell first row is.
        nxt = next(records, None)
        if nxt is not None and sum(1 for cell in nxt[1] if cell.strip()) > 1:
            place = f"sheet '{table_format.sheet}'" if where == "row" else "the file"
            raise DataError(
                f"{place} is not a table: its first {where} ({where} {line}) holds only "
                f"'{schema.shown(named[0].strip())}', and the column names are further down; "
                "remove the rows above the header so that the column names (gender, "
                "reading score, …) are in the first row"
            )
        if nxt is not None:
            records = _prepend(nxt, records)
    canonical_headers(header)
    return _Source(line, header, records, table_format, where)


def _prepend(item, iterator):
    yield item
    yield from iterator


def _frame(source: _Source, columns: list[str], rows: list[list[str]]) -> pd.DataFrame:
    width = len(columns)
    needed = {*schema.FEATURE_NAMES, schema.TARGET}
    body, ragged, decimals = [], {}, {}
    for index, row in enumerate(rows):
        # Trailing empty cells past the header (trailing commas, stray formatting) are
        # what spreadsheets export: no fields at all.
        while len(row) > width and not row[-1].strip():
            row = row[:-1]
        # A longer text row is malformed; so is a shorter one that lacks a cell of a
        # column the schema reads (a missing optional last column, such as reference, is
        # not). A sheet's rows cannot shift: its short rows end in empty cells.
        if source.is_text and (
            len(row) > width or (len(row) < width and needed & set(columns[len(row) :]))
        ):
            ragged[index] = len(row)
            split = _decimal_comma(row, width) if source.table_format.delimiter == "," else None
            if split:
                decimals[index] = split
        body.append(row[:width] + [""] * (width - len(row)))
    frame = pd.DataFrame(body, columns=columns, dtype=str)
    frame.attrs = {
        "source_headers": [str(h) for h in source.headers],
        "ragged_rows": ragged,
        "decimal_commas": decimals,
        "table_format": source.table_format.as_dict(),
    }
    return frame


def _frames(source: _Source, chunk_rows: int | None, skip_rows: int) -> Iterator[pd.DataFrame]:
    columns = canonical_headers(source.headers)
    rows: list[list[str]] = []
    seen = 0
    for _, row in source.body:
        seen += 1
        if seen <= skip_rows:
            continue
        rows.append(row)
        if chunk_rows and len(rows) >= chunk_rows:
            yield _frame(source, columns, rows)
            rows = []
    if rows or not chunk_rows:
        yield _frame(source, columns, rows)


def _text_source(pieces: Callable[[], Iterable[bytes]]) -> _Source:
    encoding, bom = detect_encoding(pieces())
    text = io.TextIOWrapper(
        io.BufferedReader(PiecesReader(pieces())), encoding=encoding, newline=""
    )
    try:
        delimiter, records = _text_rows(iter(text))
    except UnicodeDecodeError:
        raise DataError(UNREADABLE_TEXT) from None
    return _source(records, TableFormat(CSV, delimiter, bom), "line")


def _sheet_source(file, sheet: str) -> _Source:
    title, records = workbook_rows(file, sheet)
    return _source(records, TableFormat(XLSX, "", False, title), "row")


@contextlib.contextmanager
def _opened(pieces: Callable[[], Iterable[bytes]], file_format: str, sheet: str):
    """The ``_Source`` of the table in ``pieces()``: text read as it streams; a workbook
    spooled to a temporary file first, since a zip is read from its end."""
    if file_format != XLSX:
        yield _text_source(pieces)
        return
    with tempfile.TemporaryFile() as spool:
        for piece in pieces():
            spool.write(piece)
        spool.seek(0)
        yield _sheet_source(spool, sheet)


def table_chunks(
    pieces: Callable[[], Iterable[bytes]],
    *,
    file_format: str = CSV,
    sheet: str = "",
    chunk_rows: int | None = None,
    skip_rows: int = 0,
) -> Iterator[pd.DataFrame]:
    """The table in ``pieces()`` (called again for each pass over the bytes) as frames of
    ``chunk_rows`` rows (the last shorter; ``None``: one frame of every row, even none),
    after the first ``skip_rows`` rows. ``file_format`` ``"xlsx"`` reads ``sheet`` (or the
    first) of a workbook, spooled to a temporary file, since a zip is read from its end.
    Row numbers in ``attrs["ragged_rows"]`` count from each frame's first row.

    Raises ``DataError`` naming the cause: an empty file or sheet, an encoding no
    spreadsheet writes, a quote never closed, a header without names or with a column
    twice, a title row above the header, a file that is no workbook, a missing sheet.
    """
    with _opened(pieces, file_format, sheet) as source:
        yield from _frames(source, chunk_rows, skip_rows)


def table_survey(
    pieces: Callable[[], Iterable[bytes]],
    *,
    file_format: str = CSV,
    sheet: str = "",
    head_rows: int = 1,
    max_rows: int | None = None,
) -> tuple[pd.DataFrame, int]:
    """(a frame of the first ``head_rows`` rows, the number of rows) of the table in
    ``pieces()``, read to its end without building the other rows' frames: a check that
    the whole file reads, and its size. Stops counting past ``max_rows`` (the count is
    then ``max_rows + 1``). Raises ``DataError`` as ``table_chunks`` does."""

    def survey(source: _Source) -> tuple[pd.DataFrame, int]:
        columns = canonical_headers(source.headers)
        head, count = [], 0
        for _, row in source.body:
            count += 1
            if count <= head_rows:
                head.append(row)
            if max_rows is not None and count > max_rows:
                break
        return _frame(source, columns, head), count

    with _opened(pieces, file_format, sheet) as source:
        return survey(source)


def read_table(data: bytes, *, file_format: str = CSV, sheet: str = "") -> pd.DataFrame:
    """A whole upload (text or workbook) as one frame (``table_chunks``)."""
    return next(table_chunks(lambda: [data], file_format=file_format, sheet=sheet))


def read_csv_text(text: str) -> pd.DataFrame:
    """Parse CSV text into a frame of strings with canonical column names.

    Accepts comma-, semicolon- or tab-separated text, quoted or not, with or without a
    BOM; blank lines, trailing empty columns and trailing empty cells are skipped. A row
    with more fields than the header, or fewer when a schema column is among those
    missing, keeps its row (cut or padded to the header's width) and is listed in
    ``frame.attrs["ragged_rows"]`` as ``{row_index: n_fields}`` so that validation
    rejects it alone. Raises ``DataError`` as ``table_chunks`` does.
    """
    if not text.strip():
        raise DataError("the file is empty")
    delimiter, records = _text_rows(iter(io.StringIO(text, newline="")))
    source = _source(records, TableFormat(CSV, delimiter, text.startswith("\ufeff")), "line")
    return next(_frames(source, None, 0))


def read_csv_bytes(data: bytes) -> pd.DataFrame:
    """Decode bytes (``detect_encoding``: UTF-8, UTF-16, Windows-1252, ...) and parse them
    as CSV or tab-separated text. Raises ``DataError`` as ``table_chunks`` does."""
    if not data.strip():
        raise DataError("the file is empty")
    return read_table(data)


def ragged_row_error(frame: pd.DataFrame, index: int) -> str | None:
    """The message for row ``index`` of a frame whose number of fields does not fit its
    header, naming a decimal comma when one split a number in two, else ``None``."""
    n_fields = frame.attrs.get("ragged_rows", {}).get(index)
    if n_fields is None:
        return None
    message = f"has {n_fields} fields; the header has {len(frame.columns)}"
    split = frame.attrs.get("decimal_commas", {}).get(index)
    if split:
        whole = split.split(",")[0]
        message += (
            f": the decimal comma in {split} splits it into two fields; write scores as "
            f"whole numbers ({whole}), or save the file with semicolons"
        )
    return message


def frame_from_records(records: list) -> pd.DataFrame:
    """A frame of raw values from a list of JSON objects, columns named as ``read_csv_text``
    names them.

    Columns are the union of the objects' keys in first-seen order (kept as sent in
    ``frame.attrs["source_headers"]``); a key an object lacks is ``None`` in its row.
    Raises ``DataError`` when the list is empty or an item is not an object.
    """
    if not records:
        raise DataError("the list is empty")
    headers: dict[str, None] = {}
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise DataError(f"item {index} is not an object")
        headers.update(dict.fromkeys(map(str, record)))
    columns = list(headers)
    rows = [[record.get(c) for c in columns] for record in records]
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    frame.columns = canonical_headers(columns)
    frame.attrs["source_headers"] = columns
    return frame
