"""/healthz and /readyz."""


def test_healthz_answers_while_the_process_lives(client, db):
    """/healthz is 200 with no model and no request to the database needed."""
    assert client.get("/healthz").status_code == 200


def test_readyz_is_503_until_a_model_is_in_production(client, db):
    """/readyz says why it is not ready."""
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "train_model" in response.json()["reason"]


def test_readyz_is_200_with_a_model(client, production_model):
    """/readyz names the version it serves."""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["model_version"] == production_model.version
