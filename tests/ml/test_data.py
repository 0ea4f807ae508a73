"""ml.data.load_dataset: CSVs as people export them, and every kind of bad row."""

import pandas as pd
import pytest

from ml.data import MIN_ROWS, load_dataset
from ml.errors import DataError
from tests.factories import make_students

KAGGLE_HEADER = (
    "gender,race/ethnicity,parental level of education,lunch,test preparation course,"
    "math score,reading score,writing score"
)


def write_students(path, n=60, *, sep=",", bom=False, quote=False, header=None):
    frame = make_students(n, seed=1)
    frame = frame[
        [
            "gender",
            "race_ethnicity",
            "parental_level_of_education",
            "lunch",
            "test_preparation_course",
            "math_score",
            "reading_score",
            "writing_score",
        ]
    ]
    lines = [header or sep.join(frame.columns)]
    for row in frame.itertuples(index=False):
        cells = [f'"{v}"' if quote else str(v) for v in row]
        lines.append(sep.join(cells))
    text = "\n".join(lines) + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return frame


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"sep": ";"},
        {"bom": True},
        {"quote": True},
        {"header": KAGGLE_HEADER},
        {"sep": ";", "bom": True, "quote": True},
    ],
)
def test_it_reads_the_common_export_formats(tmp_path, options):
    """Comma or semicolon, BOM or not, quoted or not, Kaggle's headers: the same clean frame."""
    path = tmp_path / "students.csv"
    if "header" in options:
        options = {**options, "header": options["header"].replace(",", options.get("sep", ","))}
    original = write_students(path, **options)
    frame, report = load_dataset(path)
    assert report.rows_kept == len(original) == len(frame)
    assert frame["reading_score"].dtype == "int64"
    assert frame["race_ethnicity"].iloc[0] == original["race_ethnicity"].iloc[0]


def test_it_names_a_missing_column(tmp_path):
    """A CSV without the lunch column fails with one plain error naming it."""
    path = tmp_path / "students.csv"
    frame = make_students(60, seed=1).drop(columns=["lunch"])
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match="column 'lunch' is missing"):
        load_dataset(path)


def test_it_drops_bad_rows_and_counts_them_by_reason(tmp_path):
    """Empty, non-numeric, out-of-range scores and unknown categories are dropped and counted."""
    path = tmp_path / "students.csv"
    frame = make_students(200, seed=2).astype(object)
    frame.loc[0, "reading_score"] = 120
    frame.loc[1, "reading_score"] = -3
    frame.loc[2, "writing_score"] = "abc"
    frame.loc[3, "math_score"] = ""
    frame.loc[4, "lunch"] = "caviar"
    frame.loc[5, "writing_score"] = 71.5
    frame.to_csv(path, index=False)
    clean, report = load_dataset(path)
    assert len(clean) == 194 and report.rows_rejected == 6
    assert report.rejections["reading_score out of 0–100"] == 2
    assert report.rejections["writing_score not a whole number"] == 2
    assert report.rejections["math_score empty"] == 1
    assert report.rejections["lunch unknown category"] == 1
    assert "6 rows rejected: 2 reading_score out of 0–100" in report.summary()


def test_it_refuses_too_few_valid_rows(tmp_path):
    """Fewer than MIN_ROWS valid rows is a plain error that says how many were valid."""
    path = tmp_path / "students.csv"
    make_students(MIN_ROWS - 1, seed=3).to_csv(path, index=False)
    with pytest.raises(DataError, match=f"only {MIN_ROWS - 1} valid rows"):
        load_dataset(path)


def test_it_reports_duplicate_rows(tmp_path):
    """Exact duplicate rows are kept and counted in the report."""
    path = tmp_path / "students.csv"
    frame = make_students(60, seed=4)
    frame = pd.concat([frame, frame.iloc[:3]], ignore_index=True)
    frame.to_csv(path, index=False)
    _, report = load_dataset(path)
    assert report.duplicate_rows == 3
    assert "3 duplicate rows" in report.summary()


@pytest.mark.parametrize(
    "content, message",
    [(b"", "empty"), (b"\x00\x01garbage\nx;y,z\n1,2;3;4\n", "not text in an encoding")],
)
def test_it_refuses_files_that_are_not_student_tables(tmp_path, content, message):
    """An empty or unrelated file gives a plain DataError, never a traceback."""
    path = tmp_path / "students.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        load_dataset(path)


def test_it_says_when_the_file_does_not_exist(tmp_path):
    """A wrong path is named in the error."""
    with pytest.raises(DataError, match="no such file"):
        load_dataset(tmp_path / "nope.csv")


def test_a_row_with_too_many_fields_is_rejected_alone(tmp_path):
    """One ragged line drops that row, counted by reason; the others are kept."""
    path = tmp_path / "students.csv"
    make_students(60, seed=7).to_csv(path, index=False)
    lines = path.read_text().splitlines()
    lines[5] += ",extra,cells"
    lines.insert(8, "")  # a blank line is not a student
    path.write_text("\n".join(lines) + "\n")
    clean, report = load_dataset(path)
    assert report.rows_read == 60 and len(clean) == 59
    assert report.rejections["row with more or fewer fields than the header"] == 1


def test_a_column_named_twice_is_refused(tmp_path):
    """Two 'gender' columns are ambiguous: a plain error, not a silent pick."""
    path = tmp_path / "students.csv"
    frame = make_students(60, seed=8)
    frame.insert(1, "Gender", frame["gender"])
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match="column 'gender' appears more than once"):
        load_dataset(path)


def test_unnamed_header_columns_are_named_by_position():
    """Two empty header cells: say which columns have no name, not "'' appears twice"."""
    from ml.data import read_csv_text

    with pytest.raises(DataError, match="columns 2, 4 of the header have no name"):
        read_csv_text("gender,,lunch,,reference\nfemale,1,standard,2,7B\n")


def curly_students(n: int, seed: int = 5) -> pd.DataFrame:
    """Students whose education levels are typed with a curly apostrophe (U+2019), as Excel
    on Windows autocorrects them."""
    frame = make_students(n, seed=seed)
    frame["parental_level_of_education"] = frame["parental_level_of_education"].str.replace(
        "'", "\u2019"
    )
    return frame


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_files_in_the_encodings_spreadsheets_write_train_on_every_row(tmp_path, encoding):
    """Windows-1252 ("bachelor’s degree" with byte 0x92), UTF-16 with or without a BOM and
    UTF-8 with a BOM: every row is read, curly apostrophes as the schema's straight ones."""
    students = curly_students(300)
    path = tmp_path / "students.csv"
    path.write_bytes(students.to_csv(index=False).encode(encoding))
    frame, report = load_dataset(path)
    assert report.rows_kept == report.rows_read == 300 and not report.rejections
    expected = make_students(300, seed=5)["parental_level_of_education"]
    assert frame["parental_level_of_education"].tolist() == expected.tolist()
    assert "bachelor's degree" in set(frame["parental_level_of_education"])


def test_a_latin1_file_with_accents_reads_them():
    """A short Latin-1 file (too short for detection to be sure) reads as Windows-1252,
    which agrees with Latin-1 on every printable character."""
    from ml.data import decode_text

    text = "gender,reference\nfemale,Élodie Müller\n"
    assert decode_text(text.encode("latin-1")) == text


def test_a_training_file_with_many_bad_rows_stops_naming_the_main_reason(tmp_path):
    """30% of rows with an unknown category stop loading with a DataError that gives the
    count, the share and the commonest problem, instead of training on the rest."""
    frame = make_students(200, seed=6).astype(object)
    frame.loc[:59, "lunch"] = "caviar"
    frame.loc[60:61, "reading_score"] = 101
    path = tmp_path / "students.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    assert str(caught.value) == (
        "62 of 200 rows (31%) would be dropped, more than the 5% allowed, mostly (60 rows): "
        'lunch "caviar" is not one of: standard, free/reduced'
    )


def test_a_few_bad_rows_under_the_limit_are_dropped_and_counted(tmp_path):
    """MAX_DROPPED_SHARE of the rows may be dropped; training goes on with the rest."""
    from ml.data import MAX_DROPPED_SHARE

    frame = make_students(200, seed=6).astype(object)
    bad = int(200 * MAX_DROPPED_SHARE)
    frame.loc[: bad - 1, "lunch"] = "caviar"
    path = tmp_path / "students.csv"
    frame.to_csv(path, index=False)
    clean, report = load_dataset(path)
    assert len(clean) == 200 - bad and report.rejections["lunch unknown category"] == bad


STUDENT_ROW = "male,group B,some college,standard,none,70,70"
HEADER = (
    "gender,race/ethnicity,parental level of education,lunch,test preparation course,"
    "reading score,writing score,reference"
)


def test_a_quote_never_closed_is_an_error_not_one_cell_holding_the_rest():
    """Without this, the rows after it vanished into one row's reference."""
    from ml.data import read_csv_text

    text = f'{HEADER}\n{STUDENT_ROW},"Smith, J\n{STUDENT_ROW},r2\n{STUDENT_ROW},r3\n'
    with pytest.raises(DataError, match="quote opened on line 2 is never closed"):
        read_csv_text(text)


def test_a_header_of_empty_names_is_named_not_replaced_by_the_first_row():
    from ml.data import read_csv_text

    with pytest.raises(DataError, match=r"the header \(line 1\) has no column names"):
        read_csv_text(f",,\n{STUDENT_ROW},a,b\n")


def test_a_short_row_is_malformed_unless_only_optional_columns_are_missing():
    """Six fields under an eight-column header is a malformed row, not "writing_score is
    empty"; a row without its trailing reference is a whole student."""
    from ml.data import read_csv_text, validate_rows

    text = (
        f"{HEADER}\n{STUDENT_ROW},7B\n{STUDENT_ROW}\nmale,group B,some college,standard,none,70\n"
    )
    rows = validate_rows(read_csv_text(text))
    assert [row.errors for row in rows] == [{}, {}, {"row": "has 6 fields; the header has 8"}]
    assert rows[2].values == {}
