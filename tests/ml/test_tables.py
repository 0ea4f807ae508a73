"""ml.tables: reading CSV, tab-separated text and workbooks, whole or chunk by chunk."""

import io

import openpyxl
import pytest

from ml import tables
from ml.errors import DataError

TEXT = "gender,reading score\n" + "".join(f"male,{i}\n" for i in range(10))


def pieces(data: bytes, size: int):
    return lambda: [data[i : i + size] for i in range(0, len(data), size)]


def test_chunks_of_a_stream_equal_the_whole_table():
    """Read in 3-byte pieces and 4-row chunks, after skipping 3 rows, the rows are those of
    the whole read, in order, each chunk at most 4 rows."""
    data = TEXT.encode()
    whole = tables.read_table(data)
    chunks = list(tables.table_chunks(pieces(data, 3), chunk_rows=4, skip_rows=3))
    assert [len(c) for c in chunks] == [4, 3]
    streamed = [r for c in chunks for r in c.to_dict("records")]
    assert streamed == whole.iloc[3:].to_dict("records")
    assert chunks[0].attrs["source_headers"] == ["gender", "reading score"]


def test_a_utf16_tab_file_read_in_odd_pieces_keeps_its_text():
    """Excel's "Unicode text" (UTF-16 with a BOM, tabs), split mid-character, reads right."""
    data = "gender\tparental level of education\nfemale\tbachelor’s degree\n".encode("utf-16")
    (frame,) = tables.table_chunks(pieces(data, 5), chunk_rows=10)
    assert frame.iloc[0]["parental_level_of_education"] == "bachelor’s degree"
    assert frame.attrs["table_format"]["delimiter"] == "\t"


def test_a_workbook_is_read_chunk_by_chunk_with_cells_as_text():
    """A sheet's numbers come as the text a CSV export holds; chunks keep the header."""
    book = openpyxl.Workbook()
    book.active.append(["gender", "reading score", None])
    for i in range(5):
        book.active.append(["male", float(i), None])
    out = io.BytesIO()
    book.save(out)
    chunks = list(
        tables.table_chunks(pieces(out.getvalue(), 1000), file_format="xlsx", chunk_rows=2)
    )
    assert [len(c) for c in chunks] == [2, 2, 1]
    assert list(chunks[0].columns) == ["gender", "reading_score"]
    assert chunks[2].iloc[0]["reading_score"] == "4"


def test_an_empty_sheet_is_refused_by_name():
    """A workbook whose sheet holds nothing: the message names the sheet."""
    out = io.BytesIO()
    openpyxl.Workbook().save(out)
    with pytest.raises(DataError, match="sheet 'Sheet' is empty"):
        tables.read_table(out.getvalue(), file_format="xlsx")


def test_a_file_named_csv_that_is_a_workbook_is_read_as_one():
    """The zip signature tells a workbook whatever its name."""
    assert tables.sniff_format("class.csv", b"PK\x03\x04rest") == "xlsx"
    assert tables.sniff_format("class.XLSX", b"") == "xlsx"
    assert tables.sniff_format("class.csv", b"gender,") == "csv"


def workbook_bytes(rows, *, write_only=False) -> bytes:
    book = openpyxl.Workbook(write_only=write_only)
    sheet = book.create_sheet() if write_only else book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_that_unpacks_to_far_more_than_its_size_is_refused_unread():
    """A "zip bomb" (a few kilobytes holding megabytes of one repeated text) is refused
    from its zip directory, naming both sizes, before openpyxl reads any of it."""
    data = workbook_bytes(
        [["gender", "name"]] + [["male", f"{i}" + "x" * 30_000] for i in range(200)]
    )
    assert len(data) < 200_000
    with pytest.raises(DataError, match=r"unpacks to [\d,]+ bytes from [\d,]+"):
        tables.read_table(data, file_format=tables.XLSX)
    with pytest.raises(DataError, match="unpacks to"):
        tables.workbook_row_count(io.BytesIO(data))


def test_counting_a_sheet_without_a_recorded_size_stops_past_the_limit():
    """A writer that records no used range (openpyxl's write-only mode): the count reads
    rows only until it passes ``at_most``, and is exact below it."""
    data = workbook_bytes([["gender"]] + [["male"]] * 300, write_only=True)
    assert tables.workbook_row_count(io.BytesIO(data)) == 300
    assert tables.workbook_row_count(io.BytesIO(data), at_most=50) == 51
