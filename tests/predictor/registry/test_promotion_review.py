"""A person's promotion (API and admin): a reason is required, the fairness gate runs and
refuses a version whose ranges miss a group unless overridden with a reason (kept in the
audit trail), and the confirmation page compares both versions' figures and alerts."""

import copy

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from predictor.models import ModelVersion, ModelVersionEvent, MonitoringReport
from predictor.registry.services import model_version_register
from tests.factories import make_prediction, make_students

CHANGELIST = "/admin/predictor/modelversion/"


def promote_url(version: int) -> str:
    return f"/api/v1/models/{version}/promote/"


@pytest.fixture
def scored_live(production_model):
    """200 live predictions by production whose real score is known (students the models
    were not fitted on): the rows the gate replays."""
    for record in make_students(200, seed=9).to_dict("records"):
        make_prediction(
            **{k: v for k, v in record.items() if k != "math_score"},
            model_version=production_model,
            actual_math_score=record["math_score"],
        )


@pytest.fixture
def narrow(trained, scored_live):
    """v2: production's model with ±2-point ranges, which cover far under 83% of any group."""
    result = copy.copy(trained)
    result.model = copy.deepcopy(trained.model)
    result.model.interval_method = "marginal"
    result.model.interval_half_width = 2.0
    return model_version_register(result=result, promote=False, actor_label="tests")[0]


@pytest.fixture
def fair(trained, scored_live):
    """v2: production's model registered again, as fair as production."""
    return model_version_register(result=copy.copy(trained), promote=False)[0]


@pytest.fixture
def staff(db):
    return User.objects.create_superuser("lead", password="pw-lead-12345")


@pytest.fixture
def staff_api(staff):
    client = APIClient()
    client.force_authenticate(staff)
    return client


@pytest.fixture
def admin_client(staff):
    client = Client()
    client.force_login(staff)
    return client


def statuses() -> dict[int, str]:
    return dict(ModelVersion.objects.values_list("version", "status"))


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_the_api_refuses_a_promotion_without_a_reason(staff_api, fair, body):
    """No reason, an empty one or only spaces: 400 naming `reason`; nothing changes."""
    response = staff_api.post(promote_url(2), body, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert statuses() == {1: "production", 2: "candidate"}
    assert not ModelVersionEvent.objects.filter(action="promote", model_version=fair).exists()


def test_the_api_refuses_a_version_that_breaks_the_coverage_floor(staff_api, narrow):
    """409 with the gate's findings; nothing changes and no promotion is audited."""
    response = staff_api.post(promote_url(2), {"reason": "newer"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "fairness_gate_failed"
    assert any("holds for only" in r and "below the floor of 83%" in r for r in body["reasons"])
    assert "override" in body["detail"]
    assert statuses() == {1: "production", 2: "candidate"}
    assert not ModelVersionEvent.objects.filter(action="promote", model_version=narrow).exists()


def test_the_api_promotes_it_with_an_override_and_audits_the_override(staff_api, staff, narrow):
    """override_fairness_gate with a reason: promoted; the audit keeps reason and findings."""
    response = staff_api.post(
        promote_url(2),
        {"reason": "exam board asked for narrow ranges", "override_fairness_gate": True},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "production"
    assert statuses() == {1: "archived", 2: "production"}
    event = ModelVersionEvent.objects.get(action="promote", model_version=narrow)
    assert event.actor == staff
    assert event.reason.startswith("exam board asked for narrow ranges\n\n")
    assert "Fairness gate overridden; it refused: the 90% range holds for only" in event.reason


def test_a_fair_version_is_promoted_with_its_reason_as_given(staff_api, fair):
    """The gate passes: 200, and the audit keeps the reason unchanged."""
    response = staff_api.post(promote_url(2), {"reason": "same model, retrained"}, format="json")
    assert response.status_code == 200
    assert statuses() == {1: "archived", 2: "production"}
    event = ModelVersionEvent.objects.get(action="promote", model_version=fair)
    assert event.reason == "same model, retrained"


def test_the_admin_page_shows_the_refusal_and_needs_the_override(admin_client, staff, narrow):
    """The confirmation page names the gate's findings and offers the override; confirming
    without ticking it changes nothing, ticking it promotes and audits the override."""
    page = admin_client.post(CHANGELIST, {"action": "promote", "_selected_action": [narrow.pk]})
    text = page.content.decode()
    assert "Fairness gate: refused" in text and "holds for only" in text
    assert 'name="override_fairness_gate"' in text
    confirm = {
        "action": "promote",
        "_selected_action": [narrow.pk],
        "confirm": "yes",
        "reason": "exam board",
    }
    response = admin_client.post(CHANGELIST, confirm)
    assert response.status_code == 200
    assert "The fairness gate refused this version" in response.content.decode()
    assert statuses() == {1: "production", 2: "candidate"}
    response = admin_client.post(CHANGELIST, {**confirm, "override_fairness_gate": "on"})
    assert response.status_code == 302
    assert statuses() == {1: "archived", 2: "production"}
    event = ModelVersionEvent.objects.get(action="promote", model_version=narrow)
    assert event.actor == staff and "Fairness gate overridden" in event.reason


def test_the_admin_refuses_a_promotion_without_a_reason(admin_client, fair):
    """Confirm with an empty reason: the page says a reason is needed; nothing changes."""
    response = admin_client.post(
        CHANGELIST,
        {"action": "promote", "_selected_action": [fair.pk], "confirm": "yes", "reason": " "},
    )
    assert response.status_code == 200
    assert "Enter a reason: a promotion is refused without one." in response.content.decode()
    assert statuses() == {1: "production", 2: "candidate"}


def test_the_confirmation_shows_live_figures_alerts_and_warnings(
    admin_client, production_model, students
):
    """Production's live MAE is far over its held-out MAE (an alert) and a scheduled
    report names it; the target was trained on other rows with a worse held-out MAE: both
    warnings are at the top, and the worse figure is marked in words."""
    from ml.train import train

    for _ in range(30):
        make_prediction(model_version=production_model, actual_math_score=20)
    MonitoringReport.objects.create(
        window="24h", alerts=[f"live accuracy: v{production_model.version} MAE 50.00 is 9×"]
    )
    other = train(
        make_students(300, seed=3, noise=12.0),
        seed=5,
        quick=True,
        candidates=["ridge"],
        n_jobs=1,
        fairness_resamples=0,
    )
    target = model_version_register(result=other, promote=False)[0]
    text = admin_client.post(
        CHANGELIST, {"action": "promote", "_selected_action": [target.pk]}
    ).content.decode()
    assert "Before you promote" in text
    assert "v2 is worse than v1 on: held-out MAE (points)" in text
    assert "v2 was scored on other held-out rows than v1" in text
    assert "Live MAE (points)" in text and "Real scores recorded (live)" in text
    assert "live MAE 50.0 points is over 1.5× the held-out MAE (30 real scores)" in text
    assert "scheduled report (24h): live accuracy: v1 MAE 50.00" in text
    assert '<span class="worse-tag">worse</span>' in text


def test_the_version_page_has_promote_and_roll_back_buttons(admin_client, fair):
    """A candidate's page links to Promote, which confirms and promotes back to the page;
    the production version's page then offers Roll back."""
    page = admin_client.get(f"{CHANGELIST}{fair.pk}/change/").content.decode()
    promote = f"{CHANGELIST}{fair.pk}/promote/"
    assert f'href="{promote}"' in page and "Roll back</a>" not in page
    assert "Promote: are you sure?" in admin_client.get(promote).content.decode()
    response = admin_client.post(
        promote,
        {
            "action": "promote",
            "_selected_action": [fair.pk],
            "confirm": "yes",
            "reason": "spring data",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"{CHANGELIST}{fair.pk}/change/"
    assert statuses() == {1: "archived", 2: "production"}
    page = admin_client.get(f"{CHANGELIST}{fair.pk}/change/").content.decode()
    assert f'href="{CHANGELIST}{fair.pk}/roll-back/"' in page and ">Promote</a>" not in page


def test_the_audit_list_keeps_a_short_reason_beside_the_change(admin_client, staff_api, fair):
    """The audit list shows the change, the reason cut to a line (whole on hover), who."""
    long_reason = "spring intake " * 20
    staff_api.post(promote_url(2), {"reason": long_reason}, format="json")
    page = admin_client.get("/admin/predictor/modelversionevent/").content.decode()
    assert "v1 → v2" in page
    assert f'title="{long_reason.strip()}"' in page
    assert "spring intake spring intake" in page and "…" in page


def test_admin_lists_show_rounded_numbers(admin_client, production_model):
    """The versions list rounds R² and MAE; the predictions list rounds the score to one
    decimal and the latency to whole milliseconds."""
    make_prediction(
        model_version=production_model, predicted_math_score=67.83412, latency_ms=3.4567
    )
    versions = admin_client.get(CHANGELIST).content.decode()
    assert f"{production_model.metrics['test_r2']:.3f}</td>" in versions
    assert str(production_model.metrics["test_r2"]) not in versions
    predictions = admin_client.get("/admin/predictor/prediction/").content.decode()
    assert ">67.8</td>" in predictions and "67.834" not in predictions
    assert ">3</td>" in predictions and "3.4567" not in predictions
