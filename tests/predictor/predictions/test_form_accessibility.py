"""The form at / as assistive technology reads it: labels, help and errors tied to fields."""

from html.parser import HTMLParser

from ml import schema
from tests.factories import STUDENT


class _Controls(HTMLParser):
    """Collects the form's inputs and selects, the labels' targets and every element id."""

    def __init__(self):
        super().__init__()
        self.controls: dict[str, dict] = {}
        self.label_targets: set[str] = set()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "label" and "for" in attrs:
            self.label_targets.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            self.controls[attrs["name"]] = attrs


def _parse(response) -> _Controls:
    parser = _Controls()
    parser.feed(response.content.decode())
    return parser


def test_every_field_has_a_label_and_its_help_is_tied_to_it(client, db):
    """Each control has a <label for>, and aria-describedby names its help text's element."""
    page = _parse(client.get("/"))
    assert set(page.controls) == {*schema.FEATURE_NAMES, "reference"}
    for name, attrs in page.controls.items():
        assert attrs["id"] in page.label_targets, name
        assert "aria-invalid" not in attrs, name
        for described in attrs.get("aria-describedby", "").split():
            assert described in page.ids, (name, described)
    assert page.controls["reading_score"]["aria-describedby"] == "id_reading_score_helptext"


def test_an_invalid_field_is_marked_and_points_at_its_message(client, production_model):
    """aria-invalid on the bad field only; its aria-describedby includes the error's id."""
    response = client.post("/", {**STUDENT, "reading_score": "150", "lunch": ""})
    assert response.status_code == 400
    page = _parse(response)
    invalid = {name for name, attrs in page.controls.items() if attrs.get("aria-invalid") == "true"}
    assert invalid == {"reading_score", "lunch"}
    for name in invalid:
        described = page.controls[name]["aria-describedby"].split()
        assert f"id_{name}_error" in described and f"id_{name}_error" in page.ids
    assert page.controls["reading_score"]["aria-describedby"] == (
        "id_reading_score_helptext id_reading_score_error"
    )
