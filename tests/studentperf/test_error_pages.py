"""Error pages: JSON 404s under /api/, the site's 404 page elsewhere."""

import pytest


@pytest.mark.parametrize("path", ["/api/v1/predictions/abc/", "/api/v1/models/-1/", "/api/v1/nope"])
def test_an_unknown_api_path_is_a_json_404(client, db, path):
    """A script that mistypes a URL under /api/ gets JSON, not an HTML page."""
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "no such endpoint" in response.json()["detail"]


def test_an_unknown_page_is_the_sites_404(client, db):
    """Outside /api/ the 404 is the site's page."""
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]
