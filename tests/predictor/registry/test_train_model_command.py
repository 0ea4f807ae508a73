"""python manage.py train_model: trains, registers, promotes only when earned."""

import pytest
from django.core.management import CommandError, call_command

from predictor.models import ModelVersion, ModelVersionEvent
from tests.factories import make_students


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "students.csv"
    make_students(150, seed=11).to_csv(path, index=False)
    return path


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("train_model", *args, stdout=out)
    return out.getvalue()


def test_it_trains_registers_and_promotes_the_first_version(db, csv_path):
    """With nothing in production, the new version is promoted, and the leaderboard printed."""
    output = run("--data", str(csv_path), "--quick", "--candidates", "ridge,xgboost", "--jobs", "1")
    version = ModelVersion.objects.get()
    assert version.status == "production" and version.version == 1
    assert "rank candidate" in output and "xgboost" in output
    assert "Held-out (30 rows, scored once)" in output
    assert "promoted to production" in output
    assert version.rows == {"total": 150, "train": 120, "test": 30}
    assert version.data_report["rows_kept"] == 150
    assert len(bytes(version.artifact.data)) == version.artifact_bytes
    assert list(
        ModelVersionEvent.objects.filter(model_version=version).values_list("action", flat=True)
    ) == ["promote", "register"]


def test_no_promote_keeps_a_candidate(db, csv_path):
    """--no-promote registers without touching production."""
    run("--data", str(csv_path), "--quick", "--candidates", "ridge", "--jobs", "1")
    output = run(
        "--data", str(csv_path), "--quick", "--candidates", "ridge", "--jobs", "1", "--no-promote"
    )
    assert "kept as a candidate" in output
    assert dict(ModelVersion.objects.values_list("version", "status")) == {
        1: "production",
        2: "candidate",
    }


def test_a_version_that_does_not_beat_production_stays_a_candidate(db, csv_path):
    """Retraining the same model on the same data does not beat production, and says why."""
    args = ("--data", str(csv_path), "--quick", "--candidates", "ridge", "--jobs", "1")
    run(*args)
    output = run(*args)
    assert "does not beat production" in output
    assert ModelVersion.objects.get(version=2).status == "candidate"


def test_if_none_does_nothing_when_a_model_is_in_production(db, csv_path):
    """`make run` calls --if-none, which must not retrain on every start."""
    run("--data", str(csv_path), "--quick", "--candidates", "ridge", "--jobs", "1")
    output = run("--data", str(csv_path), "--if-none")
    assert "nothing to do" in output
    assert ModelVersion.objects.count() == 1


def test_bad_data_exits_with_the_reports_plain_message(db, tmp_path):
    """A CSV missing a column is a CommandError naming it (non-zero exit, no traceback)."""
    path = tmp_path / "bad.csv"
    make_students(80, seed=1).drop(columns=["writing_score"]).to_csv(path, index=False)
    with pytest.raises(CommandError, match="column 'writing_score' is missing"):
        run("--data", str(path), "--quick")
    assert not ModelVersion.objects.exists()


def test_an_unknown_candidate_is_refused(db, csv_path):
    """--candidates with a typo names the choices."""
    with pytest.raises(CommandError, match="unknown candidate 'lasso'"):
        run("--data", str(csv_path), "--candidates", "lasso")


@pytest.mark.parametrize(
    "args, message",
    [
        (("--seed", "-1"), "--seed must be between 0 and"),
        (("--seed", "99999999999"), "--seed must be between 0 and"),
        (("--jobs", "0"), "--jobs must be a positive number"),
    ],
)
def test_out_of_range_options_get_a_plain_message(db, csv_path, args, message):
    """Seeds and job counts scikit-learn would refuse are refused first, in plain words."""
    with pytest.raises(CommandError, match=message):
        run("--data", str(csv_path), "--quick", *args)


def test_a_constant_target_is_refused_plainly(db, tmp_path):
    """A file where every math_score is the same has nothing to learn from."""
    path = tmp_path / "flat.csv"
    frame = make_students(80, seed=2)
    frame["math_score"] = 50
    frame.to_csv(path, index=False)
    with pytest.raises(CommandError, match="math_score has the same value in every row"):
        run("--data", str(path), "--quick", "--candidates", "ridge", "--jobs", "1")


def test_exclude_features_trains_without_them_and_stores_the_policy_and_report(db, csv_path):
    """--exclude-features gender,race_ethnicity: the version records the five features it
    uses, group-conditional intervals, the fairness report (lunch only: the attributes it
    was not allowed are neither reported per variant nor used to calibrate) and the
    unusual-student profile; its predictions give 0 points to the excluded features."""
    output = run(
        "--data",
        str(csv_path),
        "--quick",
        "--candidates",
        "ridge",
        "--jobs",
        "1",
        "--exclude-features",
        " gender, race_ethnicity ",
    )
    version = ModelVersion.objects.get()
    assert "Without gender, race_ethnicity: the model uses" in output
    assert version.features == [
        "parental_level_of_education",
        "lunch",
        "test_preparation_course",
        "reading_score",
        "writing_score",
    ]
    assert version.interval_calibration["method"] == "conditional"
    assert version.interval_calibration["conditional"]["attributes"] == [
        "lunch",
        "test_preparation_course",
    ]
    assert version.fairness["features"] == version.features
    assert list(version.fairness["without"]) == ["lunch"]
    assert {r["group"] for r in version.fairness["model"]["groups"]["gender"]} == {
        "female",
        "male",
    }
    assert version.unusual["training_rows"] == 120
    assert "Held-out by group" in output and "gender: female n=" in output


def test_an_unknown_feature_to_exclude_is_refused_naming_the_valid_ones(db, csv_path):
    """A misspelt name is a CommandError (non-zero exit) listing the seven names, before
    any data is read or model trained."""
    with pytest.raises(CommandError) as raised:
        run("--data", str(csv_path), "--quick", "--exclude-features", "gender,ethnicity")
    message = str(raised.value)
    assert "unknown feature 'ethnicity'" in message
    assert "race_ethnicity" in message and "writing_score" in message
    assert not ModelVersion.objects.exists()
