"""Issue 13, items 5, 6, 8, 9: placeholders, contacts, headers, broken rows, SerD, precision."""

from pathlib import Path

import pytest
from sqlalchemy import text

from ingest.contacts import PLACEHOLDERS, is_placeholder
from tests.ingest.helpers import reasons, run
from tests.ingest.test_cli import _run

DATA = Path(__file__).resolve().parents[1] / "data"
FIXTURES = DATA / "places_b"
REAL = [
    ("ivg", DATA / "real/ivg_points/punti_ivg_regionali.csv", {"category": "SAN-IVG"}),
    ("asl", DATA / "real/asl_ministero_salute/C_17_dataset_2_0_upFile.csv",
     {"category": "SAN-ASL"}),
    ("ipa", DATA / "real/ipa_addresses/capgeocoded.csv",
     {"category": "INF", "column_map": {"Indirizzo": "name"}}),
    ("pug", DATA / "real/ipa_addresses/Indice-PA-comuni-pug.csv", {"category": "SOC-COM"}),
]
OURS = [
    ("segnaposto", FIXTURES / "segnaposto.csv", {}),
    ("contatti", FIXTURES / "contatti.csv", {}),
    ("titolo", FIXTURES / "titolo_e_righe_rotte.csv", {}),
    ("scuole", FIXTURES / "scuole_cpia.csv", {"category": "LIN-CPI"}),
]
TEXT_COLUMNS_SQL = text(
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'service' "
    "AND data_type IN ('text', 'character varying', 'ARRAY', 'jsonb') "
    "AND column_name NOT IN ('source', 'source_key', 'content_hash')"
)


def _stored(session, source: str, columns: str) -> list:
    return session.execute(
        text(f"SELECT {columns} FROM service WHERE source = :s ORDER BY source_row"),  # noqa: S608
        {"s": source},
    ).all()


def _values(value: object):
    """Every text inside a stored value (arrays and JSON objects opened)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _values(item)
    elif isinstance(value, str):
        yield value


def test_placeholders_are_empty_in_every_column_with_one_warning_per_column(session):
    report = run(session, FIXTURES / "segnaposto.csv", "segnaposto")
    assert report.counts["inserted"] == 3
    assert reasons(report) == {5: ["missing_name"]}  # a name of '-' is no name
    by_column = {w["column"]: w["rows"] for w in report.column_warnings}
    assert by_column["ente"] == 2 and by_column["telefono"] == 3 and by_column["nome"] == 1
    assert report.counts["placeholders"] == sum(by_column.values())
    assert all(w["code"] == "placeholder" for w in report.column_warnings)
    napoli, salerno, bari = _stored(
        session, "segnaposto",
        "organization_name, address_1, postal_code, stated_province, phone, email, url, "
        "opening_hours, languages, mediation_available, capacity, extra",
    )
    assert napoli == (None, "Via Toledo", "80134", "NA", None, None, None, None, [], False,
                      None, {})
    assert salerno[0:8] == (None, None, None, "SA", None, None, None, None)
    assert salerno.mediation_available is True  # 'x' in a yes/no column is yes
    assert bari.organization_name == "ASL Bari" and bari.mediation_available is None


def test_contacts_are_repaired_checked_or_dropped_with_a_warning(session):
    report = run(session, FIXTURES / "contatti.csv", "contatti")
    assert report.counts["inserted"] == 9
    rows = _stored(session, "contatti", "name, phone, email, url")
    assert [tuple(r) for r in rows] == [
        ("URL senza due punti", "+390817961111", "info@comune.napoli.it",
         "https://www.comune.napoli.it"),
        ("URL http senza due punti", "+390817951111", "protocollo@pec.comune.napoli.it",
         "http://www.example.it/servizi"),
        ("URL www", "+39089662111", "urp@comune.salerno.it", "https://www.comune.salerno.it"),
        ("Dominio nudo", "+390805772111", None, "https://comune.bari.it"),
        ("URL illeggibile", "+390817961111", "Info@comune.potenza.it", None),
        ("Due numeri", "+390917401111", "segreteria@comune.palermo.it",
         "https://www.comune.palermo.it"),
        ("Numero estero", "+442079460958", None, "https://www.comune.catania.it/"),
        ("Numero impossibile", None, "info@comune.cosenza.it", "http://www.comune.cosenza.it"),
        ("Cellulare", "+393331234567", None, "HTTPS://WWW.REGGIOCAL.IT"),
    ]
    codes = {w["row"]: {x["code"] for x in w["reasons"]} for w in report.warnings}
    assert codes[2] == {"url_repaired"}
    assert codes[4] == {"several_emails", "url_repaired"}
    assert codes[5] == {"malformed_email", "url_repaired"}
    assert codes[6] == {"phone_missing_zero", "malformed_url"}
    assert codes[7] == {"several_phones"}
    assert codes[8] == {"phone_not_italian", "malformed_email"}
    assert codes[9] == {"malformed_phone", "url_repaired"}


def test_header_below_titles_broken_rows_and_trailing_junk(session):
    report = run(session, FIXTURES / "titolo_e_righe_rotte.csv", "titolo", category="INF")
    assert report.counts["read"] == 3  # the separator, zero and blank lines are no rows
    assert report.counts["inserted"] == 2
    assert reasons(report) == {6: ["malformed_row"]}
    message = report.rejections[0]["reasons"][0]["message"]
    assert "one quoted field" in message and "6 columns" in message
    names = [r.name for r in _stored(session, "titolo", "name")]
    assert names == ["Sportello Caserta", "Sportello Benevento"]


def test_school_register_run_together_headers_load_with_category_alone(session):
    report = run(session, FIXTURES / "scuole_cpia.csv", "scuole", category="LIN-CPI")
    assert report.counts["inserted"] == 4, report.rejections
    rows = _stored(session, "scuole", "source_key, name, address_1, postal_code, "
                   "municipality_code, email, url, extra")
    first = rows[0]
    assert first.source_key == "id:NAMM0CP001"  # CODICESCUOLA is the id, not the comune code
    assert first.name == "CPIA NAPOLI CITTA 1 - SEDE CENTRALE"  # not the reference institute
    assert (first.address_1, first.postal_code, first.municipality_code) == (
        "VIA GIUSEPPE PORZIO 4", "80143", 63049)
    assert first.email == "namm0cp001@istruzione.it"
    assert first.url == "https://www.cpianapoli1.edu.it"
    assert first.extra["DENOMINAZIONEISTITUTORIFERIMENTO"] == "CPIA ISTITUTO DI RIFERIMENTO"
    assert [r.url for r in rows[1:]] == [None, "https://www.cpiasalerno.edu.it", None]


def test_school_register_loads_from_the_command_line_with_category_alone(database_url, tmp_path):
    path = tmp_path / "scuole_cpia.csv"
    path.write_bytes((FIXTURES / "scuole_cpia.csv").read_bytes())
    source = "places-b-cli"
    try:
        result = _run(database_url, "ingest", str(path), "--source", source,
                      "--category", "LIN-CPI")
        assert result.returncode == 0, result.stderr
        assert "inserted" in result.stdout and " 4 " in result.stdout.split("inserted")[1][:20]
        assert "placeholder" in result.stdout  # the one warning of the SITOWEBSCUOLA column
    finally:
        from sqlalchemy import create_engine

        engine = create_engine(database_url)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM service WHERE source = :s"), {"s": source})
            conn.execute(text("DELETE FROM ingest_run WHERE source = :s"), {"s": source})
        engine.dispose()


def test_serd_category_by_code_label_and_synonyms(session, sheet):
    path = sheet([["SerD Napoli 1", "SerD", "Via Roma 1", "Napoli", "NA", "", ""],
                  ["Ser.T. Bari", "SERT", "Via Roma 1", "Bari", "BA", "", ""],
                  ["Dipendenze Salerno", "Servizi per le dipendenze (SerD)", "Via 1", "Salerno",
                   "SA", "", ""],
                  ["Addiction Potenza", "Addiction services", "Via 1", "Potenza", "PZ", "", ""]])
    report = run(session, path, "serd")
    assert report.counts["inserted"] == 4, report.rejections
    codes = {r.category_code for r in _stored(session, "serd", "category_code")}
    assert codes == {"SAN-DIP"}
    parent = session.execute(
        text("SELECT parent_code, label_en FROM service_category WHERE code = 'SAN-DIP'")
    ).one()
    assert parent == ("SAN", "Addiction services (SerD)")


def test_comune_points_keep_the_municipality_precision(session):
    report = run(session, FIXTURES / "titolo_e_righe_rotte.csv", "precisione", category="INF")
    assert report.counts["geocoded_municipality"] == 2
    rows = session.execute(
        text("SELECT s.geocode_precision, ST_DWithin(s.geom, m.point, 1e-6) FROM service s "
             "JOIN municipality m ON m.code = s.municipality_code WHERE s.source = 'precisione'")
    ).all()
    assert rows == [("municipality", True), ("municipality", True)]


def test_no_placeholder_is_stored_from_the_fixtures_and_the_real_registries(session):
    for source, path, options in OURS + REAL:
        run(session, path, source, **options)
    columns = session.execute(TEXT_COLUMNS_SQL).scalars().all()
    assert {"name", "phone", "email", "url", "address_1", "extra"} <= set(columns)
    sources = [source for source, _, _ in OURS + REAL]
    rows = session.execute(
        text(f"SELECT source, {', '.join(columns)} FROM service "  # noqa: S608
             "WHERE source = ANY(:s)"),
        {"s": sources},
    ).all()
    assert len(rows) > 300
    found = [
        (row.source, column, value)
        for row in rows
        for column in columns
        for value in _values(getattr(row, column))
        if is_placeholder(value) and value
    ]
    assert found == []


@pytest.mark.parametrize(("source", "path", "options"), OURS + REAL[:1])
def test_a_rerun_inserts_and_updates_nothing(session, source, path, options):
    first = run(session, path, source, **options)
    assert first.counts["inserted"] > 0
    again = run(session, path, source, **options)
    assert (again.counts["inserted"], again.counts["updated"]) == (0, 0)


def test_placeholder_list_keeps_napoli_and_real_answers():
    assert "na" not in PLACEHOLDERS and not is_placeholder("NA")
    assert is_placeholder("Non Disponibile") and is_placeholder(" N. D. ")
    assert is_placeholder("0") and not is_placeholder("0", yes_no=True)
    assert not is_placeholder("Via Roma 0")
