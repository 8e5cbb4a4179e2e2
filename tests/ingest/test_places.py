"""Places that are right (issue 13): comuni through history, codes, CAPs, packed addresses.

Each fixture of tests/data/places imitates what real registries write; every sheet goes
through `ingest_file` on the real database.
"""

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.ingest.helpers import run

PLACES = Path(__file__).resolve().parents[1] / "data" / "places"


def _stored(session, source: str) -> dict[str, tuple]:
    """Service name -> (comune code, address, CAP, stated comune, stated province)."""
    rows = session.execute(
        text("SELECT name, municipality_code, address_1, postal_code, stated_municipality, "
             "stated_province FROM service WHERE source = :s"),
        {"s": source},
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def _by_row(items: list[dict]) -> dict[int, list[dict]]:
    """Line of the file (the header is line 1) -> its reasons."""
    return {item["row"]: item["reasons"] for item in items}


@pytest.fixture
def history(session):
    """history.csv loaded: (report, stored services, warnings by row, refusals by row)."""
    report = run(session, PLACES / "history.csv", "places-history")
    return (report, _stored(session, "places-history"), _by_row(report.warnings),
            _by_row(report.rejections))


def test_renamed_merged_and_suppressed_comuni_resolve_to_todays_with_a_warning(history):
    _, stored, warnings, _ = history
    assert stored["Sportello Capaccio"][0] == 65025
    assert stored["Sportello Presicce"][0] == 75098
    assert stored["Sportello Casole"][0] == 78156  # Casali del Manco
    messages = {row: [w["message"] for w in ws if w["code"] == "comune_history"]
                for row, ws in warnings.items()}
    assert messages[2] == ["CAPACCIO (SA) was renamed CAPACCIO PAESTUM on 2016-06-10: placed "
                           "in Capaccio Paestum (SA)"]
    assert messages[3] == ["PRESICCE (LE) was merged into PRESICCE-ACQUARICA on 2019-05-15: "
                           "placed in Presicce-Acquarica (LE)"]
    assert "CASOLE BRUZIO (CS) was merged into CASALI DEL MANCO on 2017-05-05" in messages[4][0]


def test_comuni_outside_the_regions_are_said_to_be_so_with_their_region(history):
    _, _, _, refused = history
    bozen, latina = refused[5][0], refused[6][0]
    assert bozen["code"] == latina["code"] == "outside_geography"
    assert bozen["message"].startswith("'BOZEN' is BOLZANO (BZ), a comune of Trentino-Alto Adige")
    assert latina["message"] == (
        "'LATINA' is LATINA (LT), a comune of Lazio, outside the regions loaded: "
        "Basilicata, Calabria, Campania, Puglia, Sicilia"
    )
    assert "closest" not in latina["message"]
    olbia, sanremo = refused[12][0], refused[13][0]  # a former province; a name run apart
    assert olbia["message"].startswith("'OLBIA' is OLBIA (SS), a comune of Sardegna")
    assert sanremo["message"].startswith("'SAN REMO' is SANREMO (IM), a comune of Liguria")


def test_a_name_that_exists_nowhere_gets_suggestions_from_the_loaded_regions(history):
    _, _, _, refused = history
    nowhere = refused[7][0]
    assert nowhere["code"] == "comune_not_found"
    assert nowhere["message"].startswith("comune 'Atlantide' not found; closest: ")
    suggested = nowhere["message"].split("closest: ")[1].split(", ")
    southern = {"AV", "BN", "CE", "NA", "SA", "BA", "BT", "BR", "FG", "LE", "TA", "MT", "PZ",
                "CS", "CZ", "KR", "RC", "VV", "AG", "CL", "CT", "EN", "ME", "PA", "RG", "SR",
                "TP"}
    assert len(suggested) == 3
    assert all(s[-3:-1] in southern for s in suggested)


def test_homonyms_by_cap_and_province_and_a_cap_that_is_not_the_comunes(history):
    report, stored, warnings, _ = history
    assert stored["Consultorio Paterno CT"][0] == 87033
    assert stored["Consultorio Paterno PZ"][0] == 76100
    assert stored["Sportello Napoli"][0] == 63049
    assert warnings[10] == [{
        "code": "postcode_mismatch", "field": "postcode", "value": "90145",
        "message": "CAP 90145 is not a CAP of Napoli (NA), whose CAP is 80121–80147 (25 CAP)",
    }]
    assert 11 not in warnings  # 80100, Napoli's city-wide CAP, is Napoli's
    assert report.counts["inserted"] == 7


def test_codes_come_before_names_with_or_without_leading_zeros(session):
    report = run(session, PLACES / "codes.csv", "places-codes")
    stored, warnings = _stored(session, "places-codes"), _by_row(report.warnings)
    refused = _by_row(report.rejections)
    assert stored["Sportello Alife"][0] == 61002  # 61002 = 061002
    assert stored["Sportello Belfiore"][0] == 63049  # F839
    assert stored["Sportello Presicce"][0] == 75098  # H047, a former cadastral code
    assert [w["code"] for w in warnings[4]] == ["comune_history"]
    assert stored["Sportello Salerno"][0] == 63049
    assert warnings[5] == [{
        "code": "comune_code_mismatch", "field": "istat_code", "value": "063049",
        "message": "istat_code 063049 is Napoli (NA), but the row names 'Salerno' "
                   "(Salerno (SA)): placed by the code",
    }]
    assert stored["Sportello Acquarica"][0] == 75098  # a former code and a former name agree
    assert [w["code"] for w in warnings[6]] == ["comune_history"]
    assert refused[7][0]["code"] == "outside_geography"
    latina = refused[7][0]["message"]
    assert latina.startswith("ISTAT code 059011 is LATINA (LT), a comune of Lazio")
    assert stored["Sportello Bari"][0] == 72006  # an unknown code: the name is used
    assert warnings[8][0]["message"] == (
        "no comune of Italy has or had the ISTAT code 999999; the name is used"
    )
    assert refused[9] == [{
        "code": "comune_not_found", "field": "istat_code", "value": "XYZ",
        "message": "'XYZ' is neither an ISTAT comune code (6 digits) nor a cadastral code "
                   "(a letter and 3 digits), and the row names no comune",
    }]


def test_packed_addresses_are_split_into_their_fields_and_place_the_row(session):
    report = run(session, PLACES / "packed.csv", "places-packed")
    stored = _stored(session, "places-packed")
    assert stored["Consultorio Brolo"] == (
        82053, "via Lancia di Brolo n.10 bis", "90145", "PALERMO", "PA"
    )
    assert stored["Sportello Garibaldi"] == (63049, "Piazza Garibaldi 1", "80142", "Napoli", "NA")
    assert stored["Sportello Umberto"] == (72006, "C.so Umberto I, 12", None, "Bari", None)
    assert stored["Clinica Paterno"] == (87033, None, "95047", "PATERNO'", "CT")
    refused = _by_row(report.rejections)
    assert refused[6][0]["code"] == "outside_geography"
    assert refused[7][0]["code"] == "cannot_locate"
    assert report.counts["address_unpacked"] == 4
    again = run(session, PLACES / "packed.csv", "places-packed")
    assert (again.counts["inserted"], again.counts["updated"]) == (0, 0)
