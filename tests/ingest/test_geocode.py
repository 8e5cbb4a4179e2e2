import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import text

from ingest.gazetteer import Comune
from ingest.geocode import (
    Found,
    GeocoderSpec,
    GeocoderUnavailable,
    geocode,
    prepare_result,
    query_key,
)
from ingest.record import Record
from observatory.errors import InvalidInput
from tests.ingest.helpers import run, services

VIA_TOLEDO = {"lat": "40.8433", "lon": "14.2488"}  # in Napoli


class NominatimHandler(BaseHTTPRequestHandler):
    """Answers like Nominatim (/search) and Photon (/api): Via Toledo is found, nothing else."""

    queries: list[dict[str, list[str]]] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        type(self).queries.append(query)
        if url.path == "/api":  # Photon: GeoJSON features
            found = "toledo" in query["q"][0].lower()
            point = [float(VIA_TOLEDO["lon"]), float(VIA_TOLEDO["lat"])]
            features = [
                {"type": "Feature", "geometry": {"type": "Point", "coordinates": point},
                 "properties": {"type": "street", "name": "Via Toledo", "city": "Napoli"}}
            ] if found else []
            answer = {"type": "FeatureCollection", "features": features}
        else:  # Nominatim /search, format=json
            found = "toledo" in query.get("street", [""])[0].lower()
            answer = [
                {"place_id": 1, **VIA_TOLEDO, "class": "highway", "type": "residential",
                 "display_name": "Via Toledo, Napoli, Campania, Italia", "importance": 0.4}
            ] if found else []
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def nominatim():
    NominatimHandler.queries = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), NominatimHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", NominatimHandler.queries
    server.shutdown()
    server.server_close()


def test_local_nominatim_answers_are_used_then_served_from_the_cache(session, sheet, nominatim):
    url, queries = nominatim
    rows = [["CPI Toledo", "LAV-CPI", "Via Toledo 156", "Napoli", "NA", "", ""],
            ["CPI Nowhere", "LAV-CPI", "Via Inesistente 1", "Napoli", "NA", "", ""]]
    spec = GeocoderSpec("nominatim", url, min_delay_s=0)
    first = run(session, sheet(rows), "geo", geocoder=spec)
    assert first.counts["geocoded_online"] == 1
    assert first.counts["geocoded_municipality"] == 1
    assert len(queries) == 2
    assert queries[0]["street"] == ["Via Toledo 156"]
    assert queries[0]["city"] == ["Napoli"]
    assert queries[0]["countrycodes"] == ["it"]
    toledo, nowhere = services(session, "geo")
    assert (toledo.lon, toledo.lat) == pytest.approx((14.2488, 40.8433))
    assert (toledo.geocode_precision, toledo.geocode_source) == ("street", "nominatim")
    assert toledo.municipality_code == 63049
    assert nowhere.geocode_precision == "municipality"
    cached = session.execute(
        text("SELECT query, precision, geom IS NULL AS miss FROM geocode_cache "
             "WHERE provider = 'nominatim' ORDER BY query")
    ).all()
    assert [(c.precision, c.miss) for c in cached] == [(None, True), ("street", False)]

    second = run(session, sheet(rows, name="again.csv"), "geo-again", geocoder=spec)
    assert len(queries) == 2  # hit and miss both come from the cache
    assert second.counts["geocoded_cache"] == 1
    assert services(session, "geo-again")[0].geocode_source == "nominatim"
    rerun = run(session, sheet(rows), "geo", geocoder=spec)
    assert (rerun.counts["inserted"], rerun.counts["updated"]) == (0, 0)

    offline = run(session, sheet(rows, name="offline.csv"), "geo-offline")
    assert offline.counts["geocoded_cache"] == 1  # the cache is used without a geocoder too


def test_discarded_coordinates_go_through_the_geocoder_chain(session, sheet, nominatim):
    url, queries = nominatim
    rows = [["CPI Toledo", "LAV-CPI", "Via Toledo 156", "Napoli", "NA", "41,0742", "14,3328"]]
    spec = GeocoderSpec("nominatim", url, min_delay_s=0)
    report = run(session, sheet(rows), "discarded-geo", geocoder=spec)
    assert report.counts["geocoded_online"] == 1 and report.counts["geocoded_provided"] == 0
    assert queries[0]["street"] == ["Via Toledo 156"]
    (toledo,) = services(session, "discarded-geo")
    assert (toledo.lon, toledo.lat) == pytest.approx((14.2488, 40.8433))
    assert (toledo.geocode_precision, toledo.municipality_code) == ("street", 63049)
    assert report.warnings[0]["reasons"][0]["code"] == "coordinates_discarded"


def test_local_photon_answers_are_used(session, sheet, nominatim):
    url, queries = nominatim
    rows = [["CPI Toledo", "LAV-CPI", "Via Toledo 156", "Napoli", "NA", "", ""]]
    report = run(session, sheet(rows), "photon",
                 geocoder=GeocoderSpec("photon", url, min_delay_s=0))
    assert report.counts["geocoded_online"] == 1
    assert queries[0]["q"] == ["Via Toledo 156, Napoli, Italia"]
    (service,) = services(session, "photon")
    assert (service.geocode_precision, service.geocode_source) == ("street", "photon")


def test_online_geocoder_keeps_the_minimum_delay_between_requests(session, sheet, nominatim):
    url, queries = nominatim
    rows = [[f"CPI {n}", "LAV-CPI", f"Via Toledo {n}", "Napoli", "NA", "", ""] for n in range(3)]
    started = time.perf_counter()
    run(session, sheet(rows), "rate", geocoder=GeocoderSpec("nominatim", url, min_delay_s=0.3))
    assert len(queries) == 3
    assert time.perf_counter() - started >= 0.6
    assert GeocoderSpec("nominatim", url).min_delay_s == 1.0  # Nominatim's usage policy


def test_unreachable_geocoder_falls_back_to_the_comune_and_caches_nothing(session, sheet):
    spec = GeocoderSpec("nominatim", "http://127.0.0.1:9", min_delay_s=0, timeout_s=1)
    report = run(session, sheet([["CPI", "LAV-CPI", "Via Toledo 1", "Napoli", "", "", ""]]),
                 "geo-down", geocoder=spec)
    assert report.counts["geocoded_municipality"] == 1
    assert session.execute(text("SELECT count(*) FROM geocode_cache")).scalar_one() == 0


@pytest.mark.parametrize(
    ("klass", "kind", "precision"),
    [
        ("highway", "residential", "street"),
        ("place", "house", "street"),
        ("amenity", "townhall", "street"),
        ("place", "city", "municipality"),
        ("boundary", "administrative", "municipality"),
        ("place", "postcode", "postcode"),
    ],
)
def test_prepare_result_reads_the_precision_of_a_nominatim_answer(klass, kind, precision):
    found = prepare_result({"lat": "40.84", "lon": "14.25", "class": klass, "type": kind},
                           "nominatim")
    assert (found.lon, found.lat, found.precision) == (14.25, 40.84, precision)


@pytest.mark.parametrize(
    ("kind", "precision"), [("house", "street"), ("street", "street"), ("city", "municipality")]
)
def test_prepare_result_reads_the_precision_of_a_photon_answer(kind, precision):
    raw = {"geometry": {"coordinates": [14.25, 40.84]}, "properties": {"type": kind}}
    found = prepare_result(raw, "photon")
    assert (found.lon, found.lat, found.precision) == (14.25, 40.84, precision)


def test_prepare_result_refuses_points_outside_italy():
    assert prepare_result({"lat": "48.85", "lon": "2.35", "type": "city"}, "nominatim") is None


def test_geocoder_spec_refuses_unknown_provider_and_bad_url():
    with pytest.raises(InvalidInput, match="unknown geocoder 'google'"):
        GeocoderSpec("google", "http://x")
    with pytest.raises(InvalidInput, match="must start with http"):
        GeocoderSpec("nominatim", "ftp://x")


class FakeCache:
    def __init__(self, known=None):
        self.known = known or {}
        self.stored = {}

    def lookup(self, keys):
        return {k: self.known[k] for k in keys if k in self.known}

    def store(self, provider, answers):
        self.stored[provider] = answers


class FakeGeocoder:
    provider = "fake"

    def __init__(self, fail_after: int):
        self.calls = []
        self.fail_after = fail_after

    def __call__(self, record):
        self.calls.append(record.address)
        if len(self.calls) > self.fail_after:
            raise GeocoderUnavailable("down")
        return Found(14.25, 40.84, "street", {})


def _record(number, address, comune):
    record = Record(number, {}, address=address)
    record.comune = comune
    return record


def test_geocode_chain_provided_cache_online_then_comune_point():
    napoli = Comune(63049, "Napoli", "NA", 14.244, 40.854, "napoli")
    provided = _record(1, "Via A 1", napoli)
    provided.lon, provided.lat = 14.3, 40.9
    cached = _record(2, "Via B 2", napoli)
    online = _record(3, "Via C 3", napoli)
    same = _record(4, "Via C 3", napoli)
    after_failure = _record(5, "Via D 4", napoli)
    no_address = _record(6, None, napoli)
    cache = FakeCache({query_key(cached): [("nominatim", Found(14.1, 40.8, "postcode", {}))]})
    geocoder = FakeGeocoder(fail_after=1)
    records = [provided, cached, online, same, after_failure, no_address]
    counts = geocode(records, cache, geocoder)
    assert counts == {"provided": 1, "cache": 1, "online": 2, "municipality": 2}
    assert geocoder.calls == ["Via C 3", "Via D 4"]  # asked once per address, not after failing
    assert (provided.precision, cached.geocode_source) == ("provided", "nominatim")
    assert (online.geocode_source, same.precision) == ("fake", "street")
    assert after_failure.precision == no_address.precision == "municipality"
    assert (no_address.lon, no_address.lat) == (14.244, 40.854)
    assert list(cache.stored["fake"]) == [query_key(online)]  # the failure is not cached
