"""Real public registries, vendored in tests/data/real (source and licence in its README)."""

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.ingest.helpers import reasons, run


def _accounted(report) -> None:
    """Every row read is stored, unchanged, rejected with a reason, or a duplicate."""
    c = report.counts
    assert c["read"] == (
        c["inserted"] + c["updated"] + c["unchanged"] + c["rejected"] + c["duplicates_in_file"]
    )
    assert len(report.rejections) == c["rejected"] + c["duplicates_in_file"]
    assert all(r["reasons"] and r["reasons"][0]["message"] for r in report.rejections)


def _regions(session, source: str) -> set[int]:
    return set(
        session.execute(
            text("SELECT DISTINCT m.region_code FROM service s "
                 "JOIN municipality m ON m.code = s.municipality_code WHERE s.source = :s"),
            {"s": source},
        ).scalars()
    )


REAL = Path(__file__).resolve().parents[1] / "data" / "real"


@pytest.fixture(scope="module")
def real() -> Path:
    """The vendored real registries (a missing folder fails, never skips)."""
    assert REAL.is_dir(), f"{REAL} is missing"
    return REAL


def test_ivg_registry_loads_the_77_points_of_the_five_regions_and_rejects_the_rest(
    session, real
):
    report = run(session, real / "ivg_points/punti_ivg_regionali.csv", "ivg", category="SAN-IVG")
    _accounted(report)
    assert report.counts["inserted"] == 77
    assert _regions(session, "ivg") == {15, 16, 17, 18, 19}
    first = report.rejections[0]["reasons"][0]
    assert first["code"] == "outside_geography"
    assert first["message"] == (
        "ISTAT code 066049 is L'AQUILA (AQ), a comune of Abruzzo, outside the regions loaded: "
        "Basilicata, Calabria, Campania, Puglia, Sicilia"
    )


def test_ministry_asl_list_cp1252_semicolons_with_repeated_years(session, real):
    path = real / "asl_ministero_salute/C_17_dataset_2_0_upFile.csv"
    report = run(session, path, "asl", category="SAN-ASL")
    _accounted(report)
    assert report.counts["duplicates_in_file"] > report.counts["inserted"]  # year after year
    assert report.counts["inserted"] >= 29
    assert _regions(session, "asl") <= {15, 16, 17, 18, 19}


def test_geocoded_addresses_with_missing_and_snapped_coordinates(session, real):
    path = real / "ipa_addresses/capgeocoded.csv"
    report = run(session, path, "ipa", category="INF", column_map={"Indirizzo": "name"})
    _accounted(report)
    codes = {code for row in reasons(report).values() for code in row}
    assert {"outside_geography", "duplicate_in_file"} <= codes
    warned = {w["code"] for row in report.warnings for w in row["reasons"]}
    assert "coordinates_discarded" in warned  # points snapped to the centre of Italy
    assert report.counts["geocoded_municipality"] > 0  # empty coordinates -> the comune
    assert report.counts["inserted"] > 150
    cava = session.execute(
        text("SELECT stated_municipality, municipality_code FROM service "
             "WHERE source = 'ipa' AND stated_municipality LIKE 'Cava%'")
    ).first()
    assert cava == ("Cava de' Tirreni", 65037)


def test_puglia_town_halls_with_coordinates_and_no_comune_column(session, real):
    report = run(session, real / "ipa_addresses/Indice-PA-comuni-pug.csv", "pug",
                 category="SOC-COM")
    _accounted(report)
    assert report.counts["inserted"] == 66
    assert _regions(session, "pug") == {16}
