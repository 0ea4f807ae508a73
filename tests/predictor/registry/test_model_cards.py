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


def test_the_card_shows_metrics_search_data_libraries_and_history(client, production_model):
    """Algorithm, parameters, leaderboard, fingerprint and rows, interval figures,
    library versions, training time and the status history with its reasons."""
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
