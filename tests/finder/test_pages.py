"""The finder's pages over a real PostGIS database: search, service, comune, area, errors."""

from __future__ import annotations

import gzip
import re

import pytest

from tests.finder.conftest import (
    HOSTILE_NAME,
    NAPOLI_CODE,
    POZZUOLI_CODE,
    PRIVATE_ADDRESS,
    PRIVATE_PHONE,
    PRIVATE_POINT,
)

pytestmark = pytest.mark.db


def _service_links(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'href="/trova/servizio/(\d+)\?', html)]


def test_home_lists_categories_with_icons_and_languages(finder_client):
    response = finder_client.get("/trova/", headers={"accept-language": "it"})
    assert response.status_code == 200
    html = response.text
    assert '<html lang="it" dir="ltr">' in html
    assert "Salute" in html and "Tutela legale" in html
    assert html.count('class="icon"') >= 14
    assert '<option value="ar">arabo</option>' in html
    assert 'role="search"' in html


def test_search_by_comune_orders_results_by_distance(finder_client, finder_db):
    response = finder_client.get("/trova/", params={"q": "napoli", "lang": "it"})
    assert response.status_code == 200
    html = response.text
    assert "Servizi più vicini a Napoli (NA)" in html
    ids = _service_links(html)
    assert len(ids) == 20
    shown = re.findall(r"<span>([\d.,]+) km</span>", html)
    distances = [float(km.replace(",", ".")) for km in shown]
    assert distances == sorted(distances) and len(distances) == 20
    assert finder_db.ids["closed"] not in ids  # only active services


def test_search_filters_by_category_and_language(finder_client, finder_db):
    html = finder_client.get(
        "/trova/", params={"comune": NAPOLI_CODE, "cat": "DOC", "lingua": "sq", "lang": "it"}
    ).text
    ids = _service_links(html)
    assert ids[0] == finder_db.ids["sportello"]
    assert "albanese" in html
    children = finder_client.get(
        "/trova/", params={"comune": NAPOLI_CODE, "cat": "LIN", "lingua": "zh"}
    ).text
    assert finder_db.ids["example"] in _service_links(children)


def test_search_by_address_places_it_in_its_comune(finder_client):
    address = "Via Toledo 10, 80134 Napoli"
    html = finder_client.get("/trova/", params={"q": address, "lang": "it"}).text
    assert "Servizi più vicini a Napoli (NA)" in html
    assert "Indirizzo collocato nel comune di Napoli (NA)" in html
    by_cap = finder_client.get("/trova/", params={"q": "80078", "lang": "it"}).text
    assert "Servizi più vicini a Pozzuoli (NA)" in by_cap


def test_search_by_point_and_unknown_place(finder_client):
    html = finder_client.get("/trova/", params={"lat": "40.85", "lon": "14.27"}).text
    assert "Servizi più vicini al punto scelto" in html and len(_service_links(html)) == 20
    unknown = finder_client.get("/trova/", params={"q": "Xqzzvv", "lang": "it"}).text
    assert "Non abbiamo trovato il luogo «Xqzzvv»" in unknown
    homonyms = finder_client.get("/trova/", params={"q": "San Marco", "lang": "it"}).text
    assert "Quale luogo intendi?" in homonyms


@pytest.mark.parametrize(
    ("params", "token"),
    [({"cat": "XYZ"}, "'XYZ'"), ({"lat": "91", "lon": "14"}, "lat '91'"),
     ({"lat": "abc", "lon": "14"}, "'abc'"), ({"lang": "de"}, "'de'"),
     ({"lingua": "arabic!"}, "'arabic!'"), ({"comune": "999999"}, "'999999'")],
)
def test_bad_parameters_are_a_400_page_naming_the_token(finder_client, params, token):
    response = finder_client.get("/trova/", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert token in response.text.replace("&#39;", "'")


def test_suggestions_ignore_accents_and_case(finder_client):
    found = finder_client.get("/trova/comuni", params={"q": "paterno"}).json()
    assert {"code", "name", "province", "label"} <= found[0].keys()
    assert any(place["name"] == "Paternò" for place in found)
    assert finder_client.get("/trova/comuni", params={"q": "NAPO"}).json()[0]["name"] == "Napoli"


def test_service_page_shows_public_fields_in_words(finder_client, finder_db):
    html = finder_client.get(f"/trova/servizio/{finder_db.ids['sportello']}?lang=it").text
    assert "<h1>Sportello immigrazione Medina</h1>" in html
    assert "Comune di Napoli" in html and "Via Medina 1" in html
    assert 'lunedì–mercoledì: <span dir="ltr">09:00–13:00</span>' in html
    assert 'giovedì: <span dir="ltr">15:00–17:30</span>' in html
    assert "arabo, albanese e ucraino" in html
    assert "Richiedenti asilo" in html and "Accesso libero e Su appuntamento" in html
    assert "gratuito" in html and "Posizione esatta" in html
    assert "https://www.openstreetmap.org/directions?route=%3B40.8518%2C14.2681" in html
    assert "Ultimo aggiornamento:" in html
    assert "Dati di esempio" not in html
    english = finder_client.get(f"/trova/servizio/{finder_db.ids['sportello']}?lang=en").text
    assert "Monday–Wednesday: <span" in english and "Arabic, Albanian, and Ukrainian" in english
    assert "Walk-in and By appointment" in english
    arabic = finder_client.get(f"/trova/servizio/{finder_db.ids['sportello']}?lang=ar").text
    assert '<html lang="ar" dir="rtl">' in arabic and "العربية" in arabic
    assert "طالبو اللجوء" in arabic and "العربية والألبانية والأوكرانية" in arabic  # CLDR list


def test_service_page_never_shows_private_fields_or_point(finder_client, finder_db):
    html = finder_client.get(f"/trova/servizio/{finder_db.ids['private']}?lang=it").text
    assert "Mediatrice volontaria Pozzuoli" in html
    for secret in (PRIVATE_PHONE, PRIVATE_ADDRESS, "maria.rossi", "Maria Rossi"):
        assert secret not in html
    lon, lat = PRIVATE_POINT
    assert f"{lat}" not in html and f"{lon}" not in html
    assert "Posizione approssimata" in html
    search = finder_client.get("/trova/", params={"comune": POZZUOLI_CODE, "lingua": "ar"}).text
    assert PRIVATE_ADDRESS not in search and str(PRIVATE_POINT[1]) not in search


def test_example_service_says_so(finder_client, finder_db):
    html = finder_client.get(f"/trova/servizio/{finder_db.ids['example']}?lang=fr").text
    assert 'role="note"' in html and "exemple" in html.lower()


def test_comune_page_services_missing_categories_and_residents(finder_client):
    html = finder_client.get(f"/trova/comune/{NAPOLI_CODE}?lang=it").text
    assert "<h1>Napoli" in html
    assert "Cittadini stranieri residenti" in html
    assert "Cosa manca entro 20,0 km" in html
    assert "Servizi per categoria" in html and "Sportello immigrazione Medina" in html
    assert re.search(r"Cittadini stranieri residenti</dt><dd>[\d.]+ <bdi>\(\d{4}, ISTAT\)", html)


def test_area_page(finder_client):
    html = finder_client.get("/trova/area/napoli?lang=it").text
    assert "Comuni dell'area" in html and "Napoli" in html and "Pozzuoli" in html
    assert "Cosa manca entro" in html


def test_unknown_objects_are_404_pages(finder_client):
    for path in ("/trova/servizio/999999999", "/trova/comune/1", "/trova/area/nowhere",
                 "/trova/servizio/abc"):
        response = finder_client.get(path)
        assert response.status_code == 404, path
        assert "Pagina non trovata" in response.text or "Page not found" in response.text


def test_language_from_accept_language_and_switch_keeps_the_query(finder_client):
    html = finder_client.get(
        "/trova/", params={"q": "Napoli"}, headers={"accept-language": "fr-FR,fr;q=0.9,en;q=0.5"}
    ).text
    assert '<html lang="fr"' in html
    assert 'href="/trova/?q=Napoli&amp;lang=ar" lang="ar" hreflang="ar"' in html
    assert 'lang="zh" hreflang="zh">中文</a>' in html


def test_pages_are_gzipped_and_light(finder_client, finder_db):
    response = finder_client.get("/trova/", params={"q": "Napoli"},
                                 headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) < 20_000
    css = finder_client.get(
        "/trova/static/finder.css", headers={"accept-encoding": "gzip"}
    )
    assert css.status_code == 200 and "immutable" in css.headers["cache-control"]
    assert len(gzip.compress(css.content)) < 10_000


def test_landing_page_links_the_finder(finder_client):
    links = finder_client.get("/", params={"f": "json"}).json()["links"]
    assert any(link["href"].endswith("/trova/") for link in links)


ASSET = re.compile(r'(?:href|src)="(/trova/static/[^"]+)"')


@pytest.mark.parametrize("path", ["/trova/?comune=63049&lang=ar", "/trova/comune/63049",
                                  "/trova/area/napoli"])
def test_a_page_with_its_css_and_scripts_is_under_150_kb_on_the_wire(finder_client, path):
    headers = {"accept-encoding": "gzip"}
    first = finder_client.get(path, headers=headers)
    assets = ASSET.findall(first.text)
    assert any("leaflet.js" in asset for asset in assets) or "comune/" in path or "area/" in path
    responses = [first, *(finder_client.get(asset, headers=headers) for asset in assets)]
    assert all(r.status_code == 200 for r in responses)
    wire = sum(int(r.headers["content-length"]) + len(str(r.headers)) for r in responses)
    assert wire < 150_000


def test_names_are_escaped_and_only_web_links_are_linked(finder_client, finder_db):
    html = finder_client.get(f"/trova/servizio/{finder_db.ids['hostile']}?lang=it").text
    assert HOSTILE_NAME not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert "javascript:" not in html
    search = finder_client.get("/trova/", params={"comune": NAPOLI_CODE, "cat": "INF"}).text
    assert HOSTILE_NAME not in search
    assert "\\u003cimg" in search  # inside the map's JSON too, < is escaped


def test_an_unknown_lang_is_explained_in_the_reader_s_language(finder_client):
    response = finder_client.get("/trova/?lang=xx", headers={"accept-language": "fr"})
    assert response.status_code == 400
    assert '<html lang="fr"' in response.text and "Requête non valide" in response.text
