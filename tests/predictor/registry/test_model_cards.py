"""/models/ and /models/<version>/: the list and each version's card."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.template.defaultfilters import floatformat
from django.test import Client

from ml import schema


@pytest.fixture
def client():
    return Client()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_list_shows_each_version_with_coverage_and_width(client, production_model):
    """Every version links to its card and shows held-out coverage and mean width."""
    response = client.get("/models/")
    assert response.status_code == 200
    html = response.content.decode()
    metrics = production_model.metrics
    assert f'href="/models/{production_model.version}/"' in html
    assert f"{metrics['interval_coverage']:.3f}" in html
    assert f"{metrics['interval_width']:.1f} points" in html


def test_the_card_shows_staff_metrics_search_data_libraries_and_history(
    client, production_model, admin_user
):
    """To staff: algorithm, parameters, leaderboard, fingerprint and rows, interval
    figures, library versions, training time and the status history with its reasons."""
    client.force_login(admin_user)
    response = client.get(f"/models/{production_model.version}/")
    assert response.status_code == 200
    words = text_of(response.content.decode())
    mv = production_model
    assert f"Model v{mv.version}: Ridge regression" in words
    assert f"alpha {mv.params['alpha']}" in words
    assert "Leaderboard of the search" in words
    assert mv.data_fingerprint in words
    assert "300 (240 training, 60 held out)" in words
    assert f"90% range coverage {mv.metrics['interval_coverage']:.3f} (target 0.90)" in words
    assert f"{mv.metrics['interval_width']:.1f} points" in words
    assert f"scikit-learn {mv.library_versions['scikit-learn']}" in words
    # training_seconds has two decimals, so ties occur: round as the template does.
    assert f"in {floatformat(mv.training_seconds, 1)} s" in words
    assert "Promote by tests: no version was in production" in words
    assert "Register by tests" in words


def test_the_card_shows_errors_by_group_with_sizes_and_the_largest_gap(client, production_model):
    """One table per categorical feature with each group's size, MAE and signed error,
    and the largest gap in a sentence."""
    html = client.get(f"/models/{production_model.version}/").content.decode()
    words = text_of(html)
    groups = production_model.subgroup_errors["groups"]
    for name in schema.CATEGORICAL_FEATURES:
        assert f"<caption>{schema.FEATURES_BY_NAME[name].label}</caption>" in html
        for row in groups[name]:
            assert f"{row['value']} {row['n']} {row['mae']:.2f}" in words, (name, row)
    gap = production_model.subgroup_errors["largest_gap"]
    label = schema.FEATURES_BY_NAME[gap["feature"]].label.lower()
    assert f"The largest gap between groups is by {label}" in words
    assert f"{gap['mae_gap']:.1f} points apart" in words


def test_an_unknown_version_is_a_404(client, db):
    """A card for a version that does not exist is not found."""
    assert client.get("/models/99/").status_code == 404


def test_the_list_says_how_to_train_when_empty(client, db):
    """With no versions, the list says which command trains one."""
    assert "python manage.py train_model" in client.get("/models/").content.decode()


def test_the_card_opens_with_a_plain_summary_use_provenance_and_limits(client, production_model):
    """A head teacher reads first the typical error and the 9-in-10 range in whole points,
    then what it is for and not for, where its data comes from and its limits, in that
    order, before any metric table."""
    words = text_of(client.get(f"/models/{production_model.version}/").content.decode())
    m = production_model.metrics
    summary = (
        f"usually within about {m['test_mae']:.0f} points of the real one; for 9 students "
        f"in 10 it is within about ±{m['interval_width'] / 2:.0f} points"
    )
    assert summary in words
    order = [
        summary,
        "Not for: placing students in sets or tracks, grading",
        "Where its data comes from",
        '"Group A" to "group E" are anonymised labels',
        "Known limits",
        "Fairness: how it does for each group",
        "How well it predicts",
    ]
    positions = [words.index(text) for text in order]
    assert positions == sorted(positions)


def test_the_card_shows_the_fairness_report_per_protected_attribute(client, production_model):
    """One table per protected attribute: each group's count, MAE, bias with its
    confidence interval, coverage with its interval, and the bias without the attribute;
    the sign convention is said in words; groups under 30 students are greyed."""
    html = client.get(f"/models/{production_model.version}/").content.decode()
    words = text_of(html)
    report = production_model.fairness
    assert "a positive number means the model predicts higher scores" in words
    for caption in ("By gender", "By race/ethnicity group", "By lunch"):
        assert f"<caption>{caption}</caption>" in html
    assert "Bias without gender" in words
    female = next(r for r in report["model"]["groups"]["gender"] if r["group"] == "female")
    without = next(
        r for r in report["without"]["gender"]["groups"]["gender"] if r["group"] == "female"
    )
    bias = female["bias"]

    def signed(x):
        text = f"{abs(x):.1f}"
        return text if float(text) == 0 else ("+" if x > 0 else "\u2212") + text

    row = (
        f"female {female['count']} {female['mae']['estimate']:.1f} {signed(bias['estimate'])} "
        f"({signed(bias['low'])} to {signed(bias['high'])}) "
        f"{female['coverage']['estimate']:.0%}"
    )
    assert row in words
    assert signed(without["bias"]["estimate"]) in words
    small = [r for r in report["model"]["groups"]["race_ethnicity"] if r["count"] < 30]
    assert html.count('class="small-group"') >= len(small) > 0


def test_the_trade_off_sentences_of_a_version_without_gender_are_on_its_card(client, db):
    """A version trained without gender says so, lists no bias-without-gender column,
    and shows its own report's sentences (here a sentence written into the report)."""
    from ml.train import train
    from predictor.registry.services import model_version_register
    from tests.factories import make_students

    result = train(
        make_students(300, seed=5),
        seed=0,
        quick=True,
        candidates=["ridge"],
        n_jobs=1,
        exclude_features=["gender"],
        fairness_resamples=50,
    )
    result.fairness["sentences"] = ["The model over-predicts female students by about 6 points."]
    version, _, _ = model_version_register(result=result, promote=False)
    words = text_of(client.get(f"/models/{version.version}/").content.decode())
    assert "It was deliberately trained without gender" in words
    assert "The model over-predicts female students by about 6 points." in words
    assert "Bias without gender" not in words
    assert "By gender" in words


def test_technical_details_are_for_staff_only(client, production_model):
    """Anyone sees the card; hashes, paths and library versions only staff."""
    words = text_of(client.get(f"/models/{production_model.version}/").content.decode())
    assert production_model.data_fingerprint not in words
    assert production_model.artifact_sha256 not in words
    assert "Library versions" not in words
    assert "Technical details" not in words
