from fastapi.testclient import TestClient

from api.main import create_app
from observatory.db import downgrade, upgrade


def test_healthz_answers_ok(use_database):
    with TestClient(create_app()) as client:
        assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_ok_with_geography_loaded(use_database):
    with TestClient(create_app()) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["municipalities"] > 1000 and body["areas"] > 0


def test_readyz_is_503_without_geography(monkeypatch, empty_database_url):
    upgrade(empty_database_url)
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    from observatory import db
    from observatory.settings import get_settings

    get_settings.cache_clear()
    db.get_engine.cache_clear()
    with TestClient(create_app()) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "geo load" in response.json()["detail"]
    db.get_engine(empty_database_url).dispose()
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    downgrade(empty_database_url)
