"""Features Part 3 (CQL2 filter, queryables) and the Part 1 details (sortby, properties).

Every filter is checked against the same condition written in SQL over `service_public`.
"""

import json

import pytest

from tests.api.features.conftest import SERVICES
from tests.helpers import assert_problem, run_sql

ITEMS = "/collections/services/items"
NAPOLI_BOX = "14.15,40.78,14.35,40.92"


def _ids(api_client, **params):
    """Every id the items answer for `params` (one page holds them all)."""
    response = api_client.get(ITEMS, params={"limit": 10_000, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["numberMatched"] == body["numberReturned"] == len(body["features"])
    return sorted(feature["id"] for feature in body["features"])


def _sql_ids(url, where, params=None):
    statement = f"SELECT id FROM service_public s WHERE {where}"  # noqa: S608 (test SQL)
    return sorted(run_sql(url, statement, params))


# (cql2-text, the same condition in SQL over service_public)
TEXT_CASES = [
    ("category = 'LEG'", "s.category_code = 'LEG'"),
    ("category <> 'LEG'", "s.category_code <> 'LEG'"),
    ("'SAN-ASL' = category", "s.category_code = 'SAN-ASL'"),
    ("municipality_code < 63000", "s.municipality_code < 63000"),
    ("municipality_code >= 63049", "s.municipality_code >= 63049"),
    ("municipality_code <= 63049 AND municipality_code > 62000",
     "s.municipality_code BETWEEN 62001 AND 63049"),
    ("mediation_available = TRUE", "s.mediation_available"),
    ("mediation_available", "s.mediation_available"),
    ("NOT mediation_available = TRUE", "NOT s.mediation_available"),
    ("category = 'LEG' OR category = 'MED'", "s.category_code IN ('LEG', 'MED')"),
    ("cost IS NULL", "s.cost IS NULL"),
    ("phone IS NOT NULL", "s.phone IS NOT NULL"),
    ("name LIKE 'Servizio 1%'", "s.name LIKE 'Servizio 1%'"),
    ("name NOT LIKE '%7'", "s.name NOT LIKE '%7'"),
    ("CASEI(category) = CASEI('leg')", "lower(s.category_code) = 'leg'"),
    ("municipality_code BETWEEN 63001 AND 63099", "s.municipality_code BETWEEN 63001 AND 63099"),
    ("municipality_code NOT BETWEEN 63001 AND 63099",
     "s.municipality_code NOT BETWEEN 63001 AND 63099"),
    ("category IN ('LEG', 'MED', 'PAT')", "s.category_code IN ('LEG', 'MED', 'PAT')"),
    ("category NOT IN ('LEG', 'MED')", "s.category_code NOT IN ('LEG', 'MED')"),
    ("municipality_code IN (63049, 82053)", "s.municipality_code IN (63049, 82053)"),
    ("A_CONTAINS(languages, ('ar'))", "s.languages @> '{ar}'"),
    ("A_CONTAINS(languages, ('it', 'ar'))", "s.languages @> '{it,ar}'"),
    ("A_CONTAINEDBY(languages, ('it', 'ar', 'en'))", "s.languages <@ '{it,ar,en}'"),
    ("A_OVERLAPS(target_groups, ('stp', 'eni'))", "s.target_groups && '{stp,eni}'"),
    ("A_EQUALS(target_groups, ('stp'))", "s.target_groups = '{stp}'"),
    ("A_OVERLAPS(languages, ('arabic'))", "FALSE"),  # never truncated to varchar(3)
    ("S_INTERSECTS(geometry, BBOX(14.15, 40.78, 14.35, 40.92))",
     "s.geom && ST_MakeEnvelope(14.15, 40.78, 14.35, 40.92, 4326)"),
    ("S_WITHIN(geometry, POLYGON((14 40, 15 40, 15 41.5, 14 41.5, 14 40)))",
     "ST_Within(s.geom, ST_MakeEnvelope(14, 40, 15, 41.5, 4326))"),
    ("S_CONTAINS(POLYGON((14 40, 15 40, 15 41.5, 14 41.5, 14 40)), geometry)",
     "ST_Within(s.geom, ST_MakeEnvelope(14, 40, 15, 41.5, 4326))"),
    ("S_DISJOINT(geometry, BBOX(14, 40, 15, 41.5))",
     "NOT ST_Intersects(s.geom, ST_MakeEnvelope(14, 40, 15, 41.5, 4326))"),
    ("S_DWITHIN(geometry, POINT(14.2681 40.8518), 5000, meters)",
     "ST_DWithin(s.geom::geography, ST_MakePoint(14.2681, 40.8518)::geography, 5000)"),
    ("S_DWITHIN(geometry, POINT(13.3615 38.1157), 12.5, kilometers) AND category LIKE 'SAN%'",
     "ST_DWithin(s.geom::geography, ST_MakePoint(13.3615, 38.1157)::geography, 12500) "
     "AND s.category_code LIKE 'SAN%'"),
    ("T_BEFORE(updated_at, TIMESTAMP('2000-01-01T00:00:00Z'))", "s.updated_at < '2000-01-01Z'"),
    ("T_AFTER(updated_at, TIMESTAMP('2000-01-01T00:00:00Z'))", "s.updated_at > '2000-01-01Z'"),
    ("T_INTERSECTS(updated_at, INTERVAL('2000-01-01T00:00:00Z', '..'))",
     "s.updated_at >= '2000-01-01Z'"),
    ("T_DURING(updated_at, INTERVAL('..', '2000-01-01T00:00:00Z'))",
     "s.updated_at < '2000-01-01Z'"),
    ("T_DISJOINT(updated_at, INTERVAL('1990-01-01', '2000-01-01'))",
     "s.updated_at NOT BETWEEN '1990-01-01' AND '2000-01-01'"),
    ("updated_at > DATE('2001-02-03')", "s.updated_at > '2001-02-03'"),
    ("name = 'x''; DROP TABLE service; --'", "s.name = 'x''; DROP TABLE service; --'"),
    ("name = 'Robert''); DELETE FROM service WHERE (''1''=''1'", "FALSE"),
]


@pytest.mark.parametrize(("cql", "where"), TEXT_CASES)
def test_cql2_text_selects_what_the_same_sql_selects(api_client, api_database_url, cql, where):
    ids = _ids(api_client, filter=cql)
    assert ids == _sql_ids(api_database_url, where), cql


def test_the_filters_split_the_data(api_client, api_database_url):
    """The cases above are not all-or-nothing: each basic operator keeps some, drops some."""
    for cql in ("category IN ('LEG', 'MED', 'PAT')", "A_CONTAINS(languages, ('ar'))",
                "mediation_available", "S_DWITHIN(geometry, POINT(14.2681 40.8518), 5000, m)"):
        assert 0 < len(_ids(api_client, filter=cql)) < SERVICES, cql
    assert run_sql(api_database_url, "SELECT count(*) FROM service") == [SERVICES]


def test_cql2_json_equals_cql2_text(api_client):
    tree = {
        "op": "and",
        "args": [
            {"op": "a_overlaps", "args": [{"property": "languages"}, ["ar", "ur"]]},
            {"op": "s_intersects", "args": [
                {"property": "geometry"},
                {"type": "Polygon", "coordinates": [[[14, 40], [16, 40], [16, 42], [14, 42],
                                                     [14, 40]]]},
            ]},
            {"op": "not", "args": [{"op": "like", "args": [{"property": "name"}, "%1"]}]},
        ],
    }
    text = ("A_OVERLAPS(languages, ('ar', 'ur')) AND "
            "S_INTERSECTS(geometry, POLYGON((14 40, 16 40, 16 42, 14 42, 14 40))) "
            "AND NOT name LIKE '%1'")
    by_json = _ids(api_client, filter=json.dumps(tree), **{"filter-lang": "cql2-json"})
    assert by_json == _ids(api_client, filter=text) and by_json


def test_filter_crs_epsg_4326_reads_latitude_first(api_client):
    lon_lat = _ids(api_client, filter="S_INTERSECTS(geometry, BBOX(14.15, 40.78, 14.35, 40.92))")
    lat_lon = _ids(
        api_client,
        filter="S_INTERSECTS(geometry, BBOX(40.78, 14.15, 40.92, 14.35))",
        **{"filter-crs": "http://www.opengis.net/def/crs/EPSG/0/4326"},
    )
    point = _ids(
        api_client,
        filter="S_DWITHIN(geometry, POINT(40.8518 14.2681), 5, km)",
        **{"filter-crs": "EPSG:4326"},
    )
    assert lon_lat == lat_lon == _ids(api_client, bbox=NAPOLI_BOX) and lon_lat
    assert point and set(point) <= set(_ids(api_client, bbox="14.1,40.7,14.4,41.0"))


def test_filter_combines_with_bbox_paging_and_count(api_client, api_database_url):
    cql = "A_CONTAINS(languages, ('en'))"
    expected = _sql_ids(
        api_database_url,
        "s.languages @> '{en}' AND s.geom && ST_MakeEnvelope(14.15, 40.78, 14.35, 40.92, 4326)",
    )
    page = api_client.get(ITEMS, params={"filter": cql, "bbox": NAPOLI_BOX, "limit": 5}).json()
    assert page["numberMatched"] == len(expected) > 5
    assert [f["id"] for f in page["features"]] == expected[:5]
    assert "next" in {link["rel"] for link in page["links"]}
    unfenced = api_client.get(ITEMS, params={"filter": cql, "limit": 5}).json()
    assert unfenced["numberMatched"] == len(_sql_ids(api_database_url, "s.languages @> '{en}'"))


def test_queryables_as_plain_parameters(api_client, api_database_url):
    assert _ids(api_client, name="Servizio 17") == _sql_ids(
        api_database_url, "s.name = 'Servizio 17'"
    )
    assert _ids(api_client, mediation_available="true") == _sql_ids(
        api_database_url, "s.mediation_available"
    )
    assert _ids(api_client, languages="it,zh") == _sql_ids(
        api_database_url, "s.languages @> '{it,zh}'"
    )
    both = _ids(api_client, languages="zh", filter="mediation_available")
    assert both == _sql_ids(api_database_url, "s.languages @> '{zh}' AND s.mediation_available")
    assert_problem(api_client.get(ITEMS, params={"mediation_available": "perhaps"}), 400,
                   "mediation_available", "perhaps")


@pytest.mark.parametrize(
    ("params", "fragments"),
    [
        ({"filter": "bogus = 1"}, ("unknown property 'bogus'", "queryables")),
        ({"filter": "category = "}, ("not valid cql2-text",)),
        ({"filter": "category = 3"}, ("type mismatch", "category", "3")),
        ({"filter": "municipality_code = 'x''; DROP TABLE service; --'"},
         ("type mismatch", "municipality_code", "DROP TABLE")),
        ({"filter": "name LIKE 3"}, ("LIKE", "3")),
        ({"filter": "languages = 'ar'"}, ("languages", "A_EQUALS")),
        ({"filter": "A_CONTAINS(languages, (3))"}, ("A_CONTAINS", "3", "string")),
        ({"filter": "S_INTERSECTS(name, POINT(1 2))"}, ("S_INTERSECTS", "name")),
        ({"filter": "T_AFTER(name, TIMESTAMP('2020-01-01T00:00:00Z'))"}, ("T_AFTER", "name")),
        ({"filter": "S_DWITHIN(geometry, POINT(1 2), 5, furlongs)"}, ("furlongs",)),
        ({"filter": "S_INTERSECTS(geometry, POLYGON((14 40, 15 41, 14 40)))"}, ("not closed",)),
        ({"filter": "S_WITHIN(geometry, POLYGON((14 40, 15 41, 15 40, 14 41)))"},
         ("not closed",)),
        ({"filter": "S_WITHIN(geometry, LINESTRING(14 40))"}, ("malformed",)),
        ({"filter": "S_INTERSECTS(geometry, POINT(200 40))"}, ("Point", "outside")),
        ({"filter": "S_INTERSECTS(geometry, POINT(95 14))", "filter-crs": "EPSG:4326"},
         ("latitude first",)),
        ({"filter": "category = NULL"}, ("IS NULL",)),
        ({"filter": "name"}, ("name", "not boolean")),
        ({"filter": "municipality_code + 1 = 2"}, ("'+'", "not supported")),
        ({"filter": "{\"op\": \"=\", \"args\": [{\"property\": \"secret\"}, 1]}",
          "filter-lang": "cql2-json"}, ("unknown property 'secret'",)),
        ({"filter": "{not json", "filter-lang": "cql2-json"}, ("not valid JSON",)),
        ({"filter": "category = 'LEG'", "filter-lang": "sql"}, ("filter-lang",)),
        ({"filter": "category = 'LEG'", "filter-crs": "EPSG:3003"}, ("filter-crs", "EPSG:3003")),
        ({"filter-lang": "cql2-text"}, ("need a filter",)),
        ({"bogus": "1"}, ("unknown query parameter bogus",)),
        ({"bogus": "1", "zz": "2"}, ("bogus, zz",)),
        ({"sortby": "-nonesuch"}, ("sortby", "nonesuch")),
        ({"sortby": "name,"}, ("sortby", "empty")),
        ({"properties": "name,secret"}, ("properties", "'secret'")),
        ({"filter": "source = 'seed'"}, ("unknown property 'source'",)),
        ({"filter": "private_fields IS NULL"}, ("unknown property 'private_fields'",)),
    ],
)
def test_bad_parameters_are_400_problems_naming_the_token(api_client, params, fragments):
    assert_problem(api_client.get(ITEMS, params=params), 400, *fragments)


def test_the_service_table_survives_sql_looking_literals(api_client, api_database_url):
    for cql in ("name = 'x''; DROP TABLE service; --'", "name LIKE '%''; --'"):
        assert api_client.get(ITEMS, params={"filter": cql}).status_code == 200
    assert run_sql(api_database_url, "SELECT count(*) FROM service") == [SERVICES]


def test_private_fields_and_points_cannot_be_queried(api_client, api_database_url):
    """Filters see the public view: an exact private point or a private phone matches nothing."""
    service_id, x, y, phone = run_sql(
        api_database_url,
        "SELECT json_build_array(id, ST_X(geom), ST_Y(geom), phone) FROM service "
        "WHERE municipality_code = 63049 ORDER BY id LIMIT 1",
    )[0]
    near = f"S_DWITHIN(geometry, POINT({x} {y}), 1, meters)"
    assert service_id in _ids(api_client, filter=near)
    assert service_id in _ids(api_client, filter=f"phone = '{phone}'")
    run_sql(
        api_database_url,
        "UPDATE service SET private_fields = '{address_1,phone}' WHERE id = :id RETURNING id",
        {"id": service_id},
    )
    try:
        assert service_id not in _ids(api_client, filter=near)
        assert service_id not in _ids(api_client, filter=f"phone = '{phone}'")
        assert service_id in _ids(api_client, filter="phone IS NULL")
    finally:
        run_sql(
            api_database_url,
            "UPDATE service SET private_fields = '{}' WHERE id = :id RETURNING id",
            {"id": service_id},
        )


def test_sortby_breaks_ties_by_id_in_the_last_keys_direction(api_client, api_database_url):
    page = api_client.get(ITEMS, params={"sortby": "-name", "limit": 7}).json()
    expected = run_sql(
        api_database_url, "SELECT id FROM service_public ORDER BY name DESC, id DESC LIMIT 7"
    )
    assert [f["id"] for f in page["features"]] == expected
    page = api_client.get(
        ITEMS, params={"sortby": "+category,-municipality_code", "limit": 9, "offset": 3,
                       "filter": "mediation_available"}
    ).json()
    expected = run_sql(
        api_database_url,
        "SELECT id FROM service_public WHERE mediation_available "
        "ORDER BY category_code, municipality_code DESC, id DESC LIMIT 9 OFFSET 3",
    )
    assert [f["id"] for f in page["features"]] == expected
    fenced = api_client.get(
        ITEMS, params={"sortby": "name", "bbox": NAPOLI_BOX, "limit": 4}
    ).json()
    expected = run_sql(
        api_database_url,
        "SELECT id FROM service_public WHERE geom && "
        "ST_MakeEnvelope(14.15, 40.78, 14.35, 40.92, 4326) ORDER BY name, id LIMIT 4",
    )
    assert [f["id"] for f in fenced["features"]] == expected


def test_properties_keeps_only_those_with_id_and_geometry(api_client):
    feature = api_client.get(ITEMS, params={"properties": "name,category", "limit": 1}).json()[
        "features"
    ][0]
    assert list(feature["properties"]) == ["name", "category"]
    assert feature["id"] and feature["geometry"]["type"] == "Point"
    empty = api_client.get(ITEMS, params={"properties": "", "limit": 1}).json()["features"][0]
    assert empty["properties"] == {} and empty["geometry"]


def test_queryables_are_a_json_schema_for_every_collection(api_client):
    from jsonschema import Draft202012Validator

    for collection in api_client.get("/collections").json()["collections"]:
        rels = {link["rel"]: link["href"] for link in collection["links"]}
        response = api_client.get(rels["http://www.opengis.net/def/rel/ogc/1.0/queryables"])
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/schema+json"
        schema = response.json()
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["properties"]["geometry"]["x-ogc-role"] == "primary-geometry"
    services = api_client.get("/collections/services/queryables").json()["properties"]
    assert services["languages"]["type"] == "array"
    assert services["languages"]["items"] == {"type": "string"}
    assert services["updated_at"]["format"] == "date-time"
    assert services["category"]["title"].startswith("Categoria")
    assert "LEG" in services["category"]["enum"]
    assert "private_fields" not in services and "source" not in services
    page = api_client.get("/collections/services/queryables", params={"f": "html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Categoria / Category" in page.text


def test_gaps_collections_filter_and_sort(api_client, api_database_url):
    from tests.api.features.conftest import GAPS_CATEGORY

    url = f"/collections/gaps-{GAPS_CATEGORY}/items"
    body = api_client.get(
        url, params={"filter": "is_gap AND demand > 100", "sortby": "-demand", "limit": 10_000}
    ).json()
    demands = [f["properties"]["demand"] for f in body["features"]]
    assert demands and demands == sorted(demands, reverse=True) and min(demands) > 100
    assert all(f["properties"]["is_gap"] for f in body["features"])


def test_conformance_declares_filtering_sorting_and_properties(api_client):
    classes = set(api_client.get("/conformance").json()["conformsTo"])
    for name in ("ogcapi-features-3/1.0/conf/filter", "ogcapi-features-3/1.0/conf/features-filter",
                 "ogcapi-features-3/1.0/conf/queryables", "cql2/1.0/conf/cql2-text",
                 "cql2/1.0/conf/cql2-json", "cql2/1.0/conf/basic-cql2",
                 "cql2/1.0/conf/advanced-comparison-operators",
                 "cql2/1.0/conf/basic-spatial-functions", "cql2/1.0/conf/spatial-functions",
                 "cql2/1.0/conf/temporal-functions", "cql2/1.0/conf/array-functions",
                 "ogcapi-features-8/1.0/conf/sorting",
                 "ogcapi-features-6/1.0/conf/property-selection"):
        assert f"http://www.opengis.net/spec/{name}" in classes, name


def test_openapi_documents_the_new_parameters(api_client):
    spec = api_client.get("/openapi.json").json()
    items = spec["paths"]["/collections/{collection_id}/items"]["get"]
    names = {parameter["name"] for parameter in items["parameters"]}
    assert {"filter", "filter-lang", "filter-crs", "sortby", "properties"} <= names
    assert "/collections/{collection_id}/queryables" in spec["paths"]


D1, D2, D3, D4 = "2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01"
TEMPORAL = [  # (function, first interval, second interval, true by CQL2's definition)
    ("T_AFTER", (D3, D4), (D1, D2), True),
    ("T_AFTER", (D1, D2), (D3, D4), False),
    ("T_BEFORE", (D1, D2), (D3, D4), True),
    ("T_BEFORE", (D1, D3), (D2, D4), False),
    ("T_CONTAINS", (D1, D4), (D2, D3), True),
    ("T_CONTAINS", (D2, D3), (D1, D4), False),
    ("T_DISJOINT", (D1, D2), (D3, D4), True),
    ("T_DISJOINT", (D1, D3), (D2, D4), False),
    ("T_DURING", (D2, D3), (D1, D4), True),
    ("T_DURING", (D1, D3), (D1, D4), False),
    ("T_EQUALS", (D1, D2), (D1, D2), True),
    ("T_EQUALS", (D1, D2), (D1, D3), False),
    ("T_FINISHEDBY", (D1, D3), (D2, D3), True),
    ("T_FINISHEDBY", (D2, D3), (D1, D3), False),
    ("T_FINISHES", (D2, D3), (D1, D3), True),
    ("T_FINISHES", (D1, D3), (D2, D3), False),
    ("T_INTERSECTS", (D1, D3), (D2, D4), True),
    ("T_INTERSECTS", (D1, D2), (D3, D4), False),
    ("T_MEETS", (D1, D2), (D2, D3), True),
    ("T_MEETS", (D2, D3), (D1, D2), False),
    ("T_METBY", (D2, D3), (D1, D2), True),
    ("T_METBY", (D1, D2), (D2, D3), False),
    ("T_OVERLAPPEDBY", (D2, D4), (D1, D3), True),
    ("T_OVERLAPPEDBY", (D1, D3), (D2, D4), False),
    ("T_OVERLAPS", (D1, D3), (D2, D4), True),
    ("T_OVERLAPS", (D2, D4), (D1, D3), False),
    ("T_STARTEDBY", (D1, D3), (D1, D2), True),
    ("T_STARTEDBY", (D1, D2), (D1, D3), False),
    ("T_STARTS", (D1, D2), (D1, D3), True),
    ("T_STARTS", (D1, D3), (D1, D2), False),
    ("T_INTERSECTS", ("..", D2), (D1, ".."), True),
    ("T_AFTER", (D2, ".."), ("..", D1), True),
]


@pytest.mark.parametrize(("function", "first", "second", "holds"), TEMPORAL)
def test_every_temporal_function_follows_cql2(api_client, function, first, second, holds):
    """Between two interval literals the filter is the same for every row: all or none."""
    a, b = (f"INTERVAL('{start}', '{end}')" for start, end in (first, second))
    cql = f"{function}({a}, {b})"
    body = api_client.get(ITEMS, params={"filter": cql, "limit": 1}).json()
    assert body["numberMatched"] == (SERVICES if holds else 0), cql


def test_the_other_spatial_functions_match_postgis(api_client, api_database_url):
    x, y = run_sql(
        api_database_url, "SELECT json_build_array(ST_X(geom), ST_Y(geom)) FROM service_public "
        "ORDER BY id LIMIT 1"
    )[0]
    box = "ST_MakeEnvelope(14, 40, 15, 41.5, 4326)"
    line = "ST_GeomFromText('LINESTRING(14 40, 15 41.5)', 4326)"
    cases = [
        (f"S_EQUALS(geometry, POINT({x} {y}))",
         f"ST_Equals(s.geom, ST_SetSRID(ST_MakePoint({x}, {y}), 4326))"),
        ("S_TOUCHES(geometry, BBOX(14, 40, 15, 41.5))", f"ST_Touches(s.geom, {box})"),
        ("S_OVERLAPS(geometry, BBOX(14, 40, 15, 41.5))", f"ST_Overlaps(s.geom, {box})"),
        ("S_CROSSES(geometry, LINESTRING(14 40, 15 41.5))", f"ST_Crosses(s.geom, {line})"),
        ("S_INTERSECTS(geometry, MULTIPOINT((14 40), (15 41)))", "FALSE"),
    ]
    for cql, where in cases:
        assert _ids(api_client, filter=cql) == _sql_ids(api_database_url, where), cql
    assert _ids(api_client, filter=cases[0][0])  # the service's own point


@pytest.mark.parametrize("code", [3857, 32633, 6708])
def test_filter_crs_takes_the_projected_crs_of_part_2(api_client, code):
    from pyproj import Transformer

    to = Transformer.from_crs("EPSG:4326", f"EPSG:{code}")  # the CRS's own axis order
    a, b = to.transform(40.8518, 14.2681)
    crs = {"filter-crs": f"http://www.opengis.net/def/crs/EPSG/0/{code}"}
    near = _ids(api_client, filter=f"S_DWITHIN(geometry, POINT({a} {b}), 5000, meters)", **crs)
    assert near == _ids(api_client, filter="S_DWITHIN(geometry, POINT(14.2681 40.8518), 5, km)")
    (a0, b0), (a1, b1) = to.transform(40.78, 14.15), to.transform(40.92, 14.35)
    box = f"S_INTERSECTS(geometry, BBOX({a0}, {b0}, {a1}, {b1}))"
    inside = set(_ids(api_client, filter=box, **crs))
    lon_lat = set(_ids(api_client, bbox=NAPOLI_BOX))
    assert near and inside and len(inside ^ lon_lat) <= len(lon_lat) // 50  # edges curve


def test_analysis_parameters_belong_to_the_gaps_collections_only(api_client):
    from tests.api.features.conftest import GAPS_CATEGORY

    url = f"/collections/gaps-{GAPS_CATEGORY}/items"
    default = api_client.get(url, params={"filter": "is_gap", "limit": 1})
    wider = api_client.get(url, params={"catchment_km": 60, "filter": "is_gap", "limit": 1})
    assert default.status_code == wider.status_code == 200, wider.text
    assert wider.json()["parameters"]["catchment_km"] == 60
    assert_problem(api_client.get(ITEMS, params={"catchment_km": 60}), 400,
                   "unknown query parameter catchment_km")
