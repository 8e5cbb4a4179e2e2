import pytest

from tests.api.features.conftest import GAPS_CATEGORY, SERVICES
from tests.helpers import assert_problem, assert_valid_feature_collection, run_sql

ITEMS = "/collections/services/items"


def _rels(body):
    return {link["rel"]: link for link in body["links"]}


def test_landing_links_description_conformance_and_data(api_client):
    response = api_client.get("/")
    assert response.status_code == 200
    rels = _rels(response.json())
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"


def test_conformance_lists_core_geojson_oas30_and_html(api_client):
    classes = api_client.get("/conformance").json()["conformsTo"]
    features = {
        c.rsplit("/", 1)[1] for c in classes if "/ogcapi-features-" in c and "-features-3/" not in c
    }
    assert features == {
        "core", "geojson", "oas30", "html", "crs", "create-replace-delete", "update",
        "property-selection", "sorting",
    }


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/conformance",
        "/collections",
        "/collections/services",
        f"{ITEMS}?limit=3",
        f"{ITEMS}/1",
    ],
)
def test_every_resource_has_an_html_view_linked_as_alternate(api_client, path):
    alternate = _rels(api_client.get(path).json())["alternate"]
    assert alternate["type"] == "text/html" and "f=html" in alternate["href"]
    page = api_client.get(alternate["href"])
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.startswith("<!doctype html>")
    assert "</table>" in page.text or path == "/"


def test_browsers_get_html_and_clients_get_json(api_client):
    browser = api_client.get("/collections", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.headers["content-type"].startswith("text/html")
    gdal = api_client.get("/collections", headers={"Accept": "application/json"})
    assert gdal.headers["content-type"] == "application/json"


def test_items_html_escapes_values(api_client):
    page = api_client.get(ITEMS, params={"limit": 2, "f": "html"}).text
    assert "Servizio" in page and "<script" not in page


def test_openapi_document_is_version_30(api_client):
    document = api_client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.0")
    assert "/collections/{collection_id}/items" in document["paths"]


def test_collections_list_geography_services_and_gaps(api_client):
    body = api_client.get("/collections").json()
    ids = [c["id"] for c in body["collections"]]
    assert ids[:5] == ["services", "municipalities", "areas", "provinces", "regions"]
    assert f"gaps-{GAPS_CATEGORY}" in ids
    services = body["collections"][0]
    assert (
        services["extent"]["spatial"]["bbox"][0][0]
        < 15
        < services["extent"]["spatial"]["bbox"][0][2]
    )
    assert _rels(services)["items"]["type"] == "application/geo+json"
    assert "language" in services["filters"]


def test_collection_unknown_is_404_naming_the_collections(api_client):
    assert_problem(api_client.get("/collections/schools"), 404, "services, municipalities")


def test_items_default_page_has_next_but_no_prev(api_client):
    response = api_client.get(ITEMS)
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert_valid_feature_collection(body)
    assert body["numberReturned"] == 100 and body["numberMatched"] == SERVICES
    rels = _rels(body)
    assert "offset=100" in rels["next"]["href"] and "prev" not in rels
    assert rels["collection"]["href"].endswith("/collections/services")


def test_items_pages_follow_each_other_without_overlap(api_client):
    first = api_client.get(ITEMS, params={"limit": 7}).json()
    second = api_client.get(_rels(first)["next"]["href"]).json()
    back = api_client.get(_rels(second)["prev"]["href"]).json()
    first_ids = [f["id"] for f in first["features"]]
    second_ids = [f["id"] for f in second["features"]]
    assert len(second_ids) == 7 and not set(first_ids) & set(second_ids)
    assert first_ids == [f["id"] for f in back["features"]]
    assert first_ids == sorted(first_ids)


def test_items_last_page_has_no_next(api_client):
    body = api_client.get(ITEMS, params={"limit": 100, "offset": SERVICES - 5}).json()
    assert body["numberReturned"] == 5 and "next" not in _rels(body)


def test_items_bbox_returns_only_points_inside(api_client):
    bbox = (14.15, 40.80, 14.35, 40.92)
    body = api_client.get(ITEMS, params={"bbox": ",".join(map(str, bbox)), "limit": 1000}).json()
    assert_valid_feature_collection(body)
    assert body["numberReturned"] > 0
    for feature in body["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]


@pytest.mark.parametrize(
    ("bbox", "fragment"),
    [
        ("14,40,15", "four comma-separated"),
        ("a,40,15,41", "not a number"),
        ("15,40,14,41", "minimum exceeds maximum"),
        ("14,40,15,95", "outside"),
        ("14,40,nan,41", "finite"),
    ],
)
def test_items_bad_bbox_is_400(api_client, bbox, fragment):
    assert_problem(api_client.get(ITEMS, params={"bbox": bbox}), 400, fragment)


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 10_001}, {"offset": -1}, {"limit": "x"}]
)
def test_items_limit_or_offset_out_of_range_is_400(api_client, params):
    assert_problem(api_client.get(ITEMS, params=params), 400, next(iter(params)))


def test_items_category_includes_its_children(api_client):
    body = api_client.get(ITEMS, params={"category": "SAN", "limit": 1000}).json()
    categories = {f["properties"]["category"] for f in body["features"]}
    assert categories and all(code.startswith("SAN-") for code in categories)
    leaf = api_client.get(ITEMS, params={"category": "san-asl"}).json()
    assert 0 < leaf["numberMatched"] < body["numberMatched"]


def test_items_language_filter_keeps_speakers_of_any_language(api_client):
    body = api_client.get(ITEMS, params={"language": "ar,ZH", "limit": 1000}).json()
    assert body["numberReturned"] > 0
    assert all({"ar", "zh"} & set(f["properties"]["languages"]) for f in body["features"])


def test_items_target_group_filter(api_client):
    body = api_client.get(ITEMS, params={"target_group": "stp", "limit": 1000}).json()
    assert body["numberReturned"] > 0
    assert all("stp" in f["properties"]["target_groups"] for f in body["features"])


@pytest.mark.parametrize(
    ("params", "prefix"),
    [({"area": "napoli"}, "63"), ({"region": "Basilicata"}, "7"), ({"region": "18"}, "")],
)
def test_items_place_filters(api_client, params, prefix):
    body = api_client.get(ITEMS, params={**params, "limit": 1000}).json()
    assert body["numberReturned"] > 0
    codes = {str(f["properties"]["municipality_code"]) for f in body["features"]}
    assert all(code.startswith(prefix) for code in codes)


def test_items_municipality_code_filter(api_client):
    body = api_client.get(ITEMS, params={"municipality_code": 63049}).json()
    assert body["numberMatched"] > 0
    assert {f["properties"]["municipality_code"] for f in body["features"]} == {63049}


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"category": "XYZ"}, "unknown category 'XYZ'"),
        ({"category": "not a code"}, "not a code such as"),
        ({"area": "atlantide"}, "unknown area"),
        ({"region": "Lombardia"}, "unknown region"),
        ({"municipality_code": 1001}, "unknown municipality_code"),
        ({"language": "ara"}, "ISO 639-1"),
        ({"language": ","}, "at least one"),
        ({"target_group": "tourists"}, "unknown target_group tourists"),
    ],
)
def test_items_unknown_filter_value_is_400(api_client, params, fragment):
    assert_problem(api_client.get(ITEMS, params=params), 400, fragment)


def test_items_filter_the_collection_lacks_is_400(api_client):
    assert_problem(
        api_client.get("/collections/regions/items", params={"language": "en"}),
        400,
        "unknown query parameter language",
    )


def test_item_returns_one_feature_with_links(api_client):
    first = api_client.get(ITEMS, params={"limit": 1}).json()["features"][0]
    response = api_client.get(f"{ITEMS}/{first['id']}")
    assert response.headers["content-type"] == "application/geo+json"
    feature = response.json()
    assert feature["id"] == first["id"] and feature["properties"] == first["properties"]
    assert {"self", "collection", "alternate"} == {link["rel"] for link in feature["links"]}


@pytest.mark.parametrize("feature_id", ["999999999", "abc", "99999999999999999999999"])
def test_item_unknown_is_404(api_client, feature_id):
    assert_problem(api_client.get(f"{ITEMS}/{feature_id}"), 404, "no feature")


def test_private_fields_are_not_published(api_client, api_database_url):
    [service_id] = run_sql(
        api_database_url,
        "UPDATE service SET private_fields = '{phone,email}' "
        "WHERE id = (SELECT min(id) FROM service) RETURNING id",
    )
    try:
        properties = api_client.get(f"{ITEMS}/{service_id}").json()["properties"]
        assert properties["phone"] is None and properties["email"] is None
        assert properties["name"]
    finally:
        run_sql(api_database_url, "UPDATE service SET private_fields = '{}' RETURNING id")


@pytest.mark.parametrize(
    ("collection", "params", "count"),
    [
        ("regions", {}, 5),
        ("provinces", {"region": "15"}, 5),
        ("areas", {"region": "Campania"}, None),
        ("municipalities", {"area": "napoli"}, 92),
        ("municipalities", {"province": 76}, None),
    ],
)
def test_geography_collections_serve_polygons(api_client, collection, params, count):
    url = f"/collections/{collection}/items"
    body = api_client.get(url, params={**params, "limit": 1000}).json()
    assert_valid_feature_collection(body)
    assert body["numberReturned"] > 0
    assert count is None or body["numberMatched"] == count
    assert body["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_area_item_is_the_union_of_its_comuni(api_client):
    feature = api_client.get("/collections/areas/items/napoli").json()
    assert feature["properties"]["municipalities"] == 92
    assert feature["geometry"]["type"] == "MultiPolygon"


def test_areas_bbox_finds_the_area_around_a_point(api_client):
    bbox = {"bbox": "14.25,40.84,14.26,40.85"}
    body = api_client.get("/collections/areas/items", params=bbox).json()
    assert [f["id"] for f in body["features"]] == ["napoli"]


def test_gaps_collection_serves_the_default_parameters_on_the_current_data(api_client):
    every = api_client.get(f"/collections/gaps-{GAPS_CATEGORY}/items", params={"limit": 1}).json()
    gaps = api_client.get(
        f"/collections/gaps-{GAPS_CATEGORY}/items", params={"is_gap": "true", "limit": 1000}
    ).json()
    assert every["numberMatched"] > gaps["numberMatched"] > 0
    assert all(f["properties"]["is_gap"] for f in gaps["features"])


def test_gaps_collection_serves_the_parameters_it_is_asked_for(api_client):
    path = f"/collections/gaps-{GAPS_CATEGORY}/items"
    napoli = {"area": "napoli", "limit": 1000}
    default = api_client.get(path, params=napoli).json()
    asked = {**napoli, "demand": "residents", "catchment_km": "7.5", "year": "2023"}
    residents = api_client.get(path, params=asked).json()
    assert default["parameters"]["demand"] == "foreign_residents"
    assert default["parameters"]["catchment_km"] == 20
    assert residents["parameters"]["demand"] == "residents"
    assert residents["parameters"]["catchment_km"] == 7.5
    assert residents["parameters"]["year"] == 2023
    runs = {f["properties"]["run_id"] for f in residents["features"]}
    assert len(runs) == 1 and runs != {f["properties"]["run_id"] for f in default["features"]}
    demand = {f["id"]: f["properties"]["demand"] for f in default["features"]}
    everyone = {f["id"]: f["properties"]["demand"] for f in residents["features"]}
    assert demand.keys() == everyone.keys()
    assert all(everyone[code] > demand[code] for code in demand)  # all residents > foreign
    one = next(iter(everyone))
    item = api_client.get(f"{path}/{one}", params={"demand": "residents", "year": "2023",
                                                    "catchment_km": "7.5"}).json()
    assert item["properties"]["run_id"] in runs
    assert any(link["rel"] == "next" and "catchment_km=7.5" in link["href"]
               for link in api_client.get(path, params={**asked, "limit": 5}).json()["links"])
    assert_problem(api_client.get(path, params={"demand": "tourists"}), 400, "demand")


def test_gaps_collections_accept_exactly_the_analysis_query_parameters():
    import inspect

    from api.analysis import AnalysisQuery
    from observatory.analysis.parameters import QUERY_NAMES

    assert set(inspect.signature(AnalysisQuery).parameters) == QUERY_NAMES


def test_gaps_collection_id_ignores_case(api_client):
    body = api_client.get(f"/collections/gaps-{GAPS_CATEGORY.lower()}").json()
    assert body["id"] == f"gaps-{GAPS_CATEGORY}"


def test_gaps_collection_marks_the_uncovered_comuni_with_people(api_client):
    body = api_client.get("/collections/gaps-DIS/items", params={"limit": 1000}).json()
    assert body["numberMatched"] > 1000
    for feature in body["features"]:
        found = feature["properties"]
        assert found["is_gap"] == (found["demand"] > 0 and not found["covered"])
    assert all(len(f["properties"]["municipality_code"]) == 6 for f in body["features"])


def test_gaps_collection_of_unknown_category_is_404(api_client):
    assert_problem(api_client.get("/collections/gaps-XYZ/items"), 404, "no collection")


@pytest.mark.parametrize(
    "path",
    [
        f"{ITEMS}?region=%00",
        f"{ITEMS}?area=a%00b",
        "/collections/gaps-%00",
        "/collections/areas/items/%00",
        "/stats/regions?region=%00",
    ],
)
def test_nul_bytes_are_400_not_500(api_client, path):
    assert_problem(api_client.get(path), 400, "cannot take")


def test_unknown_route_and_format_are_problems(api_client):
    assert_problem(api_client.get("/nowhere"), 404)
    assert_problem(api_client.get(ITEMS, params={"f": "xml"}), 400, "f")
