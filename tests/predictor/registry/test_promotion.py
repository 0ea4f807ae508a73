"""The promotion gate: a new version replaces production only when it beats it on the
same held-out rows, neither model having been fitted on them; otherwise it stays a
candidate and says why."""

from __future__ import annotations

from dataclasses import replace
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from ml.data import row_hashes
from ml.train import train
from predictor.models import ModelVersion, ModelVersionEvent
from predictor.registry.services import model_version_register
from tests.factories import make_students


def shuffled_target_result(seed: int):
    """A model trained on students whose math scores were shuffled: it learnt nothing."""
    frame = make_students(300, seed=seed)
    frame["math_score"] = np.random.default_rng(seed).permutation(frame["math_score"].to_numpy())
    return train(frame, seed=seed, quick=True, candidates=["ridge"], n_jobs=1)


@pytest.fixture(scope="module")
def useless():
    return shuffled_target_result(5)


def test_a_better_version_is_promoted_and_archives_production(db, useless, trained):
    """Beating production on the same held-out rows promotes the new version, archives
    the old one and records why."""
    old, promoted, _ = model_version_register(result=useless, actor_label="tests")
    assert promoted
    new, promoted, reason = model_version_register(result=trained, actor_label="tests")
    assert promoted
    assert reason.startswith("beats production: RMSE ")
    assert f"for production v{old.version} on the same 60 held-out rows" in reason
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status) == ("archived", "production")
    event = ModelVersionEvent.objects.get(model_version=new, action="promote")
    assert event.previous_production == old and event.reason == reason


def test_a_worse_version_stays_a_candidate_and_says_why(db, production_model, trained, useless):
    """Losing to production keeps the new version a candidate, production unchanged."""
    # Same held-out rows as a real run, but a model that learnt nothing.
    worse = replace(trained, model=useless.model)
    new, promoted, reason = model_version_register(result=worse, actor_label="tests")
    assert not promoted
    assert reason.startswith("does not beat production: RMSE ")
    new.refresh_from_db()
    assert new.status == "candidate"
    assert ModelVersion.objects.production().get() == production_model
    assert not ModelVersionEvent.objects.filter(model_version=new, action="promote").exists()
    assert ModelVersionEvent.objects.get(model_version=new, action="register").reason == reason


def test_it_compares_only_on_rows_production_was_not_fitted_on(db, students, production_model):
    """A rival split of the same data holds out rows production trained on; those are
    left out of the comparison."""
    rival = train(students, seed=7, quick=True, candidates=["ridge"], n_jobs=1)
    seen = set(production_model.artifact.train_row_hashes)
    unseen = sum(h not in seen for h in row_hashes(rival.holdout))
    assert 0 < unseen < len(rival.holdout)
    _, _, reason = model_version_register(result=rival, actor_label="tests")
    assert f"on the same {unseen} held-out rows" in reason


def test_train_model_reports_when_it_keeps_a_candidate(db, tmp_path):
    """The command promotes the first version, then keeps an equal second one as a
    candidate and prints the comparison that decided it."""
    csv = tmp_path / "students.csv"
    make_students(300, seed=11).to_csv(csv, index=False)
    args = ["train_model", "--data", str(csv), "--quick", "--candidates", "ridge", "--jobs", "1"]
    first, second = StringIO(), StringIO()
    call_command(*args, stdout=first)
    call_command(*args, stdout=second)
    assert "Registered v1: promoted to production (no version was in production)" in (
        first.getvalue()
    )
    assert "Registered v2: kept as a candidate (does not beat production: RMSE" in (
        second.getvalue()
    )
    assert "for production v1 on the same 60 held-out rows" in second.getvalue()
    assert dict(ModelVersion.objects.values_list("version", "status")) == {
        1: "production",
        2: "candidate",
    }
