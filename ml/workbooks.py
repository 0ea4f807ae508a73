"""Excel workbooks (``.xlsx``) read with openpyxl in read-only mode: a sheet chosen by name
(or the first), its rows as the text a CSV export of it would hold."""

from __future__ import annotations

import datetime
import zipfile
from collections.abc import Iterator

from ml import schema
from ml.errors import DataError

NOT_A_WORKBOOK = (
    "the file is not an Excel workbook (.xlsx) that can be read; an older .xls or a "
    "renamed file? Save it from Excel as 'Excel Workbook (.xlsx)' or 'CSV UTF-8'"
)


def _cell_text(value) -> str:
    """A workbook cell as the text a CSV export of it holds: ``72`` and ``72.0`` → "72",
    ``72.5`` → "72.5", a date → ISO 8601, ``True`` → "TRUE", empty → ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


# A workbook is a zip: what it unpacks to is read into memory (shared strings whole).
# Real workbooks unpack to 5–20 times their size; a "zip bomb" to thousands.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_UNPACKED_RATIO = 100


def _check_unpacked_size(file) -> None:
    """Raise ``DataError`` when the workbook would unpack to more than
    ``MAX_UNPACKED_BYTES``, or more than ``MAX_UNPACKED_RATIO`` times its own size, as its
    zip directory says (read without unpacking anything)."""
    start = file.tell() if hasattr(file, "tell") else 0
    try:
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DataError(NOT_A_WORKBOOK) from None
    finally:
        file.seek(start)
    unpacked = sum(info.file_size for info in infos)
    packed = max(sum(info.compress_size for info in infos), 1)
    if unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_UNPACKED_RATIO * packed:
        raise DataError(
            f"the workbook unpacks to {unpacked:,} bytes from {packed:,}: more than a table "
            "of students holds; save it again from Excel, or as CSV"
        )


def _open_sheet(file, sheet: str):
    """(workbook, worksheet) of ``sheet`` (case and surrounding spaces ignored), or of the
    first sheet when ``sheet`` is blank, opened read-only. Raises ``DataError``."""
    import openpyxl  # a workbook upload is rare; keep it off every other import's path
    from openpyxl.utils.exceptions import InvalidFileException

    _check_unpacked_size(file)
    try:
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise DataError(NOT_A_WORKBOOK) from None
    if sheet.strip():
        names = {name.strip().lower(): name for name in book.sheetnames}
        if sheet.strip().lower() not in names:
            listed = ", ".join(f"'{schema.shown(n)}'" for n in book.sheetnames)
            book.close()
            raise DataError(
                f"the workbook has no sheet named '{schema.shown(sheet)}' (its sheets: {listed})"
            )
        worksheet = book[names[sheet.strip().lower()]]
    else:
        worksheet = book.worksheets[0]
    if not hasattr(worksheet, "iter_rows"):
        book.close()
        raise DataError(f"sheet '{worksheet.title}' is a chart, not a table of students")
    return book, worksheet


def workbook_row_count(file, sheet: str = "", *, at_most: int | None = None) -> int:
    """The rows after the first in the used range that ``sheet`` records (Excel writes it;
    counted when a writer did not, stopping past ``at_most``, so a large sheet is not read
    whole to learn it is large): good enough to choose between now and a job."""
    book, worksheet = _open_sheet(file, sheet)
    try:
        if worksheet.max_row is None:
            worksheet.reset_dimensions()
            counted = 0
            for _ in worksheet.iter_rows(values_only=True):
                counted += 1
                if at_most is not None and counted > at_most + 1:
                    break
            return max(counted - 1, 0)
        return max(worksheet.max_row - 1, 0)
    finally:
        book.close()


def workbook_rows(file, sheet: str) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """(sheet title, iterator of (row number, cells as text) of the non-blank rows)."""
    book, worksheet = _open_sheet(file, sheet)
    # Some writers record a wrong used range; read what the sheet holds instead.
    worksheet.reset_dimensions()

    def records():
        try:
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                cells = [_cell_text(v) for v in values]
                if any(cell.strip() for cell in cells):
                    yield number, cells
        finally:
            book.close()

    return worksheet.title, records()
