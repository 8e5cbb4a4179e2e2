import csv
import hashlib
import json

import pytest
from openpyxl import Workbook
from sqlalchemy import text

from ingest.report import default_report_path
from observatory.errors import InvalidInput
from tests.ingest.helpers import NAPOLI, reasons, run, services

ARZANO_NEAR_NAPOLI = ("40,909511", "14,253524")  # in Arzano, 230 m from Napoli's boundary
CASERTA = ("41,0742", "14,3328")

MESSY_ROWS = [
    ["Sportello A", "SAN-CON", "Via Roma 1", "Napoli", "NA", *NAPOLI],  # 2 stored
    ["", "SAN-CON", "Via Roma 2", "Napoli", "NA", *NAPOLI],  # 3 missing name
    ["Sportello C", "SAN-XYZ", "Via Roma 3", "Napoli", "NA", *NAPOLI],  # 4 unknown category
    ["Sportello D", "", "Via Roma 4", "Napoli", "NA", *NAPOLI],  # 5 missing category
    ["Sportello E", "INF", "Via Roma 5", "Atlantide", "", "", ""],  # 6 comune not found
    ["Sportello F", "INF", "Via Roma 6", "Napoli", "NA", "quaranta", "14,2"],  # 7 not numbers
    ["Sportello G", "INF", "Via Roma 7", "Napoli", "NA", "40,85", ""],  # 8 half coordinates
    ["Sportello H", "INF", "Via Roma 8", "", "", "48,8566", "2,3522"],  # 9 Paris, no comune
    ["Sportello I", "INF", "Via Roma 9", "Napoli", "NA", *CASERTA],  # 10 stored in Napoli
    ["Sportello J", "INF", "", "", "", "", ""],  # 11 nothing to locate
    ["Sportello K", "INF", "Via Roma 11", "Roma", "RM", "41,9028", "12,4964"],  # 12 outside
    ["Sportello A", "SAN-CON", "Via Roma 1", "Napoli", "NA", *NAPOLI],  # 13 duplicate of 2
]


def test_every_rejection_reason_comes_with_its_message(session, sheet):
    report = run(session, sheet(MESSY_ROWS), "messy")
    assert reasons(report) == {
        3: ["missing_name"],
        4: ["unknown_category"],
        5: ["missing_category"],
        6: ["comune_not_found"],
        7: ["invalid_coordinates"],
        8: ["invalid_coordinates"],
        9: ["outside_italy"],
        11: ["cannot_locate"],
        12: ["outside_geography"],
        13: ["duplicate_in_file"],
    }
    messages = {r["row"]: r["reasons"][0] for r in report.rejections}
    assert messages[3]["message"] == "the service has no name"
    assert messages[4]["message"].startswith("unknown category 'SAN-XYZ'; closest codes: SAN")
    assert messages[4]["field"] == "category" and messages[4]["value"] == "SAN-XYZ"
    assert "--category CODE" in messages[5]["message"]
    assert messages[6]["message"].startswith("comune 'Atlantide' not found; closest: ")
    assert messages[7]["message"] == "coordinates are not numbers"
    assert messages[8]["message"] == "only one of latitude and longitude"
    assert messages[9]["message"] == "the point (48.8566, 2.3522) is outside Italy"
    (warned,) = [w for w in report.warnings if w["row"] == 10]
    assert [w["code"] for w in warned["reasons"]] == ["coordinates_discarded"]
    assert "km outside Napoli (NA), the comune the row names (it falls in Caserta (CE)" in (
        warned["reasons"][0]["message"]
    )
    assert messages[11]["message"] == "no coordinates and no comune to locate it"
    assert messages[12]["message"] == "the point falls in no comune of the loaded geography"
    assert messages[13]["message"].startswith("same service as row 2")
    assert report.counts["read"] == 12
    assert (report.counts["inserted"], report.counts["rejected"]) == (2, 9)
    assert report.counts["duplicates_in_file"] == 1
    stored = session.execute(
        text("SELECT row_number, raw, reasons FROM ingest_rejection WHERE run_id = :id "
             "ORDER BY row_number"),
        {"id": report.run_id},
    ).all()
    assert [r.row_number for r in stored] == [n for n in range(3, 14) if n != 10]
    assert stored[0].raw["categoria"] == "SAN-CON"
    assert stored[0].reasons[0]["code"] == "missing_name"


def test_malformed_contacts_are_warnings_and_the_row_is_stored(session, sheet):
    header = ["nome", "categoria", "comune", "email", "telefono", "sito", "posti"]
    path = sheet([["Sportello", "INF", "Bari", "x(at)y", "chiamare", "vedi sito", "molti"]],
                 header=header)
    report = run(session, path, "contacts")
    assert report.counts["inserted"] == 1 and report.counts["rejected"] == 0
    codes = [w["code"] for w in report.warnings[0]["reasons"]]
    assert codes == ["malformed_email", "malformed_phone", "malformed_url", "invalid_capacity"]


def test_swapped_coordinates_are_fixed_and_flagged(session, sheet):
    report = run(session, sheet([["CPI", "LAV-CPI", "Via Roma 1", "Napoli", "NA", "14,2681",
                                  "40,8518"]]), "swapped")
    (service,) = services(session, "swapped")
    assert (service.lon, service.lat) == pytest.approx((14.2681, 40.8518))
    assert service.location_flags == ["swapped_coordinates"]
    assert service.municipality_code == 63049
    assert report.counts["swapped_coordinates"] == 1


def test_point_in_a_neighbouring_comune_keeps_the_point_and_the_stated_comune(session, sheet):
    run(session, sheet([["CPI", "LAV-CPI", "Via Roma 1", "Napoli", "NA", *ARZANO_NEAR_NAPOLI]]),
        "neighbour")
    (service,) = services(session, "neighbour")
    assert service.location_flags == ["comune_mismatch"]
    assert service.municipality_code == 63049  # the stated Napoli, not Arzano of the point
    assert (service.lat, service.lon) == pytest.approx((40.909511, 14.253524))
    assert service.geocode_precision == "provided"


def test_coordinates_that_contradict_the_stated_comune_are_discarded_with_a_warning(
    session, sheet
):
    rows = [
        ["Sportello 1", "INF", "Via Roma 1", "Napoli", "NA", *CASERTA],  # 19 km away
        ["Sportello 2", "INF", "Via Roma 2", "Napoli", "NA", "48,8566", "2,3522"],  # Paris
        ["Sportello 3", "INF", "Via Roma 3", "Napoli", "NA", "42.504154", "12.646361"],
        ["Sportello 4", "INF", "Via Roma 4", "", "", *CASERTA],  # no comune: its point's
    ]
    report = run(session, sheet(rows), "discarded")
    assert reasons(report) == {}
    stored = services(session, "discarded")
    assert [s.municipality_code for s in stored] == [63049, 63049, 63049, 61022]
    for service in stored[:3]:
        assert (service.geocode_precision, service.geocode_source) == (
            "municipality", "municipality"
        )
        assert service.location_flags == []
    assert stored[3].geocode_precision == "provided"
    warned = {w["row"]: w["reasons"] for w in report.warnings}
    assert sorted(warned) == [2, 3, 4]
    first, abroad, centre = (
        next(r for r in warned[n] if r["code"] == "coordinates_discarded") for n in (2, 3, 4)
    )
    assert first["field"] == "lat/lon" and first["value"] == "41,0742, 14,3328"
    assert first["message"] == (
        "the point (41.0742, 14.3328) is 19.0 km outside Napoli (NA), the comune the row "
        "names (it falls in Caserta (CE); tolerance 2 km): the coordinates are discarded and "
        "the row is placed like a row without coordinates"
    )
    assert abroad["value"] == "48,8566, 2,3522"
    assert abroad["message"].startswith(
        "the point (48.8566, 2.3522) is outside Italy, far from Napoli (NA), the comune the "
        "row names: the coordinates are discarded"
    )
    assert centre["message"].startswith(
        "the point (42.504154, 12.646361) is a geocoder's centre of Italy, not an address; "
        "it is 2"
    )
    assert report.counts["geocoded_municipality"] == 3
    assert report.counts["geocoded_provided"] == 1
    again = run(session, sheet(rows), "discarded")
    assert (again.counts["inserted"], again.counts["updated"]) == (0, 0)


def test_comune_only_rows_get_the_comune_point_with_municipality_precision(session, sheet):
    rows = [["CPI", "LAV-CPI", "Via Roma 1", "S. Giuseppe Vesuviano", "", "", ""],
            ["CPIA", "LIN-CPI", "", "Reggio Calabria", "", "", ""]]
    report = run(session, sheet(rows), "comune-only")
    first, second = services(session, "comune-only")
    assert (first.municipality_code, second.municipality_code) == (63068, 80063)
    assert first.geocode_precision == second.geocode_precision == "municipality"
    assert report.counts["geocoded_municipality"] == 2


def test_rerun_of_the_same_file_inserts_and_updates_nothing(session, sheet):
    path = sheet(MESSY_ROWS[:1] + [["Sportello B", "INF", "Via Po 1", "Bari", "BA", "", ""]])
    first = run(session, path, "idem")
    assert (first.counts["inserted"], first.counts["updated"]) == (2, 0)
    before = services(session, "idem")
    second = run(session, path, "idem")
    assert (second.counts["inserted"], second.counts["updated"]) == (0, 0)
    assert second.counts["unchanged"] == 2
    assert services(session, "idem") == before


def test_changed_row_updates_and_unchanged_row_stays(session, sheet):
    rows = [["Sportello A", "SAN-CON", "Via Roma 1", "Napoli", "NA", *NAPOLI],
            ["Sportello B", "INF", "Via Po 1", "Bari", "BA", "", ""]]
    run(session, sheet(rows), "change")
    rows[1][1] = "LEG"
    report = run(session, sheet(rows), "change")
    assert (report.counts["inserted"], report.counts["updated"]) == (0, 1)
    assert report.counts["unchanged"] == 1
    assert report.counts["absent_from_file"] == 0
    assert [s.category_code for s in services(session, "change")] == ["SAN-CON", "LEG"]
    shorter = run(session, sheet(rows[1:]), "change")
    assert shorter.counts["absent_from_file"] == 1  # counted, never deleted
    assert len(services(session, "change")) == 2


def test_run_records_source_sha256_counts_and_options(session, sheet):
    path = sheet(MESSY_ROWS[:3])
    report = run(session, path, "recorded", category="INF", file_name="Rilevazione 2024.csv")
    row = session.execute(
        text("SELECT source, file_name, file_sha256, status, counts, options, duration_s "
             "FROM ingest_run WHERE id = :id"),
        {"id": report.run_id},
    ).one()
    assert (row.source, row.status) == ("recorded", "succeeded")
    assert row.file_name == "Rilevazione 2024.csv"
    assert row.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert row.counts == report.counts
    assert row.options["category"] == "INF"
    assert row.duration_s > 0
    as_json = json.loads(json.dumps(report.to_dict()))
    assert as_json["counts"]["read"] == 3
    assert as_json["rejections"][0]["row"] == 3
    assert as_json["rejections"][0]["reasons"][0]["code"] == "missing_name"


def test_report_csv_lists_every_rejected_row(session, sheet, tmp_path):
    report_path = default_report_path(tmp_path / "sheet.csv")
    report = run(session, sheet(MESSY_ROWS), "reported", report_path=report_path)
    with report_path.open(encoding="utf-8-sig") as handle:
        lines = list(csv.DictReader(handle, delimiter=";"))
    rejected_rows = {int(line["row"]) for line in lines if line["outcome"] == "rejected"}
    assert rejected_rows == {r["row"] for r in report.rejections} == set(range(3, 14)) - {10}
    line = next(line for line in lines if line["row"] == "9")
    assert line["code"] == "outside_italy" and line["field"] == "lat/lon"
    assert '"nome":"Sportello H"' in line["raw"]


def test_allowed_areas_refuse_services_elsewhere(session, sheet):
    rows = [["A", "INF", "", "Napoli", "", "", ""], ["B", "INF", "", "Bari", "", "", ""]]
    report = run(session, sheet(rows), "areas", allowed_areas={"napoli"})
    assert reasons(report) == {3: ["outside_allowed_areas"]}
    assert "area bari, not in the areas this upload may write: napoli" in (
        report.rejections[0]["reasons"][0]["message"]
    )


def test_category_option_gives_every_row_its_category_and_must_exist(session, sheet):
    rows = [["CPIA 1", "", "", "Bari", "", "", ""]]
    run(session, sheet(rows), "cpia", category="LIN-CPI")
    assert services(session, "cpia")[0].category_code == "LIN-CPI"
    with pytest.raises(InvalidInput, match="unknown category 'CPIAA'"):
        run(session, sheet(rows), "cpia", category="CPIAA")


def test_file_without_name_or_location_columns_is_refused(session, sheet):
    with pytest.raises(InvalidInput, match="no column for the service name"):
        run(session, sheet([["x"]], header=["titolo"]), "bad")
    with pytest.raises(InvalidInput, match="no coordinates and no comune column"):
        run(session, sheet([["x"]], header=["nome"]), "bad")


def test_a_valid_row_is_kept_when_an_earlier_row_with_its_key_was_rejected(session, sheet):
    rows = [["Sportello", "NOPE", "Via Roma 1", "Napoli", "NA", *NAPOLI],
            ["Sportello", "INF", "Via Roma 1", "Napoli", "NA", *NAPOLI]]
    report = run(session, sheet(rows), "dup-after-reject")
    assert reasons(report) == {2: ["unknown_category"]}
    assert report.counts["inserted"] == 1 and report.counts["duplicates_in_file"] == 0


def test_geojson_points_are_stored_with_provided_precision(session, tmp_path):
    feature = {
        "type": "Feature",
        "properties": {"denominazione": "CPIA Napoli 1", "tipologia": "CPIA - corsi di italiano"},
        "geometry": {"type": "Point", "coordinates": [14.2681, 40.8518]},
    }
    path = tmp_path / "cpia.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    report = run(session, path, "geojson")
    assert report.counts["inserted"] == 1
    (service,) = services(session, "geojson")
    assert (service.category_code, service.municipality_code) == ("LIN-CPI", 63049)
    assert (service.lon, service.lat) == pytest.approx((14.2681, 40.8518))
    assert service.geocode_precision == "provided"


def test_xlsx_sheet_with_numbers_as_cells_is_stored(session, tmp_path):
    workbook = Workbook()
    workbook.active.append(["Nome", "Categoria", "Comune", "CAP", "Latitudine", "Longitudine"])
    workbook.active.append(["Sportello", "INF", "Bari", 70121, 41.1171, 16.8719])
    path = tmp_path / "survey.xlsx"
    workbook.save(path)
    report = run(session, path, "xlsx", is_example=True)
    assert report.counts["inserted"] == 1
    (service,) = services(session, "xlsx")
    assert service.municipality_code == 72006 and service.is_example
