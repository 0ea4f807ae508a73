"""train_model on files as spreadsheets save them: encodings, and too many bad rows."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from predictor.models import ModelVersion
from tests.factories import make_students

ROOT = Path(__file__).resolve().parents[3]


def excel_on_windows_csv(path: Path, n: int = 150) -> None:
    """``n`` students saved as Windows-1252 with curly apostrophes (byte 0x92)."""
    frame = make_students(n, seed=11)
    frame["parental_level_of_education"] = frame["parental_level_of_education"].str.replace(
        "'", "\u2019"
    )
    path.write_bytes(frame.to_csv(index=False).encode("cp1252"))


def test_a_windows_1252_file_trains_on_every_row(db, tmp_path):
    """Excel's "CSV" on Windows: all 150 rows kept, every education level seen."""
    path = tmp_path / "excel.csv"
    excel_on_windows_csv(path)
    out = StringIO()
    call_command(
        "train_model",
        "--data",
        str(path),
        "--quick",
        "--candidates",
        "ridge",
        "--jobs",
        "1",
        stdout=out,
    )
    assert "150 of 150 rows kept" in out.getvalue()
    version = ModelVersion.objects.get()
    assert version.data_report["rows_kept"] == 150 and version.data_report["rows_rejected"] == 0


def test_a_file_with_30_percent_bad_rows_exits_1_with_the_main_reason(tmp_path):
    """Instead of training on the rest, `manage.py train_model` exits 1 with one plain line
    naming the share dropped and the commonest problem; no traceback."""
    frame = make_students(200, seed=12).astype(object)
    frame.loc[:59, "race_ethnicity"] = "group F"
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "train_model", "--data", str(path), "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "60 of 200 rows (30%) would be dropped, more than the 5% allowed" in done.stderr
    assert 'mostly (60 rows): race_ethnicity "group F" is not one of: group A' in done.stderr
    assert "Traceback" not in done.stderr
