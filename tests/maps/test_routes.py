"""The /maps routes of the API (they need the seeded data of this package)."""

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.routes import maps as maps_routes
from maps import publish
from maps.data import categories, list_scopes


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
    assert "sicilia/gaps?category=SAN-STP" in links and "calabria/coverage?category=LEG" in links
    every = 1 + len(categories(seeded, "it"))
    scopes = len(list_scopes(seeded))
    maps = [link for link in links if not link.startswith("?")]
    assert len(set(maps)) == len(maps) - scopes == 2 * every * scopes  # + each scope's name
    assert '<a href="campania/napoli/coverage">Napoli</a>' in response.text
    assert "Tutela legale" in response.text
    assert "SAN<span class=\"visually-hidden\"> – Salute</span>" in response.text


def test_index_links_each_category_to_its_maps_of_every_scope(client, seeded):
    index = client.get("/maps/").text
    assert '<a href="?category=SAN">SAN</a>' in index
    response = client.get("/maps/", params={"category": "SAN", "lang": "en"})
    assert response.status_code == 200
    links = re.findall(r'href="([^"]+)"', response.text)
    maps = {link for link in links if not link.startswith("?")}
    scopes = list_scopes(seeded)
    assert maps == {f"{s.path}/{kind}?category=SAN&amp;lang=en"
                    for s in scopes for kind in ("coverage", "gaps")}
    assert "Category: Health (SAN)" in response.text
    assert client.get("/maps/", params={"category": "XYZ"}).status_code == 404


def _legend_and_panel(page: str) -> tuple[str, str]:
    legend = re.search(r'<div class="obs-legend-title">([^<]*)</div>', page).group(1)
    panel = re.search(r'<details class="obs-parameters">(.*?)</details>', page, re.S).group(1)
    return legend, panel


def test_the_legend_and_panel_state_the_parameters_asked_for(client):
    near = client.get("/maps/basilicata/gaps", params={"category": "SAN", "catchment_km": 5})
    far = client.get("/maps/basilicata/gaps", params={"category": "SAN", "catchment_km": 30})
    assert near.status_code == far.status_code == 200
    assert near.headers["etag"] != far.headers["etag"]
    (near_legend, near_panel), (far_legend, far_panel) = map(
        _legend_and_panel, (near.text, far.text)
    )
    assert "<dt>Bacino (km)</dt><dd>5,0</dd>" in near_panel
    assert "<dt>Bacino (km)</dt><dd>30,0</dd>" in far_panel
    assert "<dt>Categoria</dt><dd>Salute</dd>" in near_panel
    missing_near = client.get("/maps/basilicata/gaps", params={"catchment_km": 5}).text
    missing_far = client.get("/maps/basilicata/gaps", params={"catchment_km": 30}).text
    assert "Categorie senza servizi entro 5,0 km" in _legend_and_panel(missing_near)[0]
    assert "Categorie senza servizi entro 30,0 km" in _legend_and_panel(missing_far)[0]
    coverage = client.get("/maps/basilicata/coverage", params={"demand": "residents"}).text
    legend = _legend_and_panel(coverage)[0]
    assert re.fullmatch(r"Accessibilità \(indice 2SFCA\) per 10\.000 residenti \(\d{4}\)", legend)
    assert "<dt>Domanda</dt><dd>residenti (" in _legend_and_panel(coverage)[1]


def test_an_impossible_parameter_is_400(client):
    response = client.get("/maps/basilicata/coverage", params={"method": "3sfca"})
    assert response.status_code == 400
    assert "method" in response.json()["detail"]


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
    # the route commits the run it computed, so the change is made and undone by statements
    rename = "UPDATE service SET name = name || :suffix WHERE source_key = 'private'"
    assert seeded.execute(text(rename), {"suffix": " (rinominato)"}).rowcount == 1
    changed = client.get("/maps/campania/coverage")
    seeded.execute(
        text("UPDATE service SET name = left(name, -13) WHERE source_key = 'private'")
    )
    assert changed.headers["etag"] != first.headers["etag"]
    assert len(renders) == 2


def test_area_gap_map_in_english(client):
    response = client.get("/maps/campania/napoli/gaps", params={"lang": "en"})
    assert response.status_code == 200
    assert "Missing categories — Napoli (Campania)" in response.text
    health = client.get("/maps/campania/napoli/gaps", params={"lang": "en", "category": "SAN"})
    assert "Service gaps — Napoli (Campania)" in health.text


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
