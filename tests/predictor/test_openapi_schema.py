"""The OpenAPI schema generates and validates without a single warning."""

from django.core.management import call_command


def test_the_schema_validates_with_fail_on_warn(db, tmp_path):
    """`manage.py spectacular --validate --fail-on-warn` succeeds and lists our endpoints."""
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/predictions/batch/",
        "/api/v1/predictions/{id}/outcome/",
        "/api/v1/predictions/outcomes/",
    ):
        assert f"{path}:" in text
