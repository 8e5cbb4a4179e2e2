"""The /maps routes of the API (they need the seeded data of this package)."""

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.routes import maps as maps_routes
from maps import publish
from maps.data import list_scopes


@pytest.fixture
def client_session(seeded: Session) -> Session:
    """The `client` fixture's app reads the seeded session of this package."""
    return seeded


@pytest.fixture(autouse=True)
def empty_map_cache() -> Iterator[None]:
    """Each test starts and ends with an empty map cache."""
    maps_routes.CACHE.clear()
    yield
    maps_routes.CACHE.clear()


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Record every map the routes render (they import the renderer on first use)."""
    calls: list[tuple] = []
    original = publish.render_scope_map

    def counting(*args: object) -> str:
        calls.append(args[1:])
        return original(*args)

    monkeypatch.setattr(publish, "render_scope_map", counting)
    return calls


def test_index_links_every_region_and_area(client, seeded):
    response = client.get("/maps/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    links = re.findall(r'href="([^"]+)"', response.text)
    assert "campania/coverage" in links and "campania/napoli/gaps" in links
    assert len(links) == 2 * len(list_scopes(seeded))


def test_region_map_is_cached_until_the_services_change(client, renders, seeded):
    first = client.get("/maps/campania/coverage")
    assert first.status_code == 200
    assert "Copertura dei servizi — Campania" in first.text
    again = client.get("/maps/campania/coverage")
    assert again.headers["etag"] == first.headers["etag"]
    assert len(renders) == 1
    unchanged = client.get(
        "/maps/campania/coverage", headers={"If-None-Match": first.headers["etag"]}
    )
    assert unchanged.status_code == 304
    with seeded.begin_nested() as savepoint:
        seeded.execute(text("DELETE FROM service WHERE source_key = 'private'"))
        changed = client.get("/maps/campania/coverage")
        savepoint.rollback()
    assert changed.headers["etag"] != first.headers["etag"]
    assert len(renders) == 2


def test_area_gap_map_in_english(client):
    response = client.get("/maps/campania/napoli/gaps", params={"lang": "en"})
    assert response.status_code == 200
    assert "Service gaps — Napoli (Campania)" in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/maps/atlantide/coverage",
        "/maps/campania/palermo/gaps",
        "/maps/campania/coverage?category=XYZ",
    ],
)
def test_unknown_region_area_or_category_is_404(client, path):
    assert client.get(path).status_code == 404


def test_unknown_map_kind_is_rejected(client):
    response = client.get("/maps/campania/heatmap")
    assert response.status_code == 400
    assert "kind" in response.json()["detail"]
