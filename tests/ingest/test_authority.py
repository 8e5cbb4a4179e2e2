"""Authority of an upload key over sources and rows, at the pipeline level, on the real database."""

import pytest
from sqlalchemy import text

from ingest import authority
from observatory import keys
from observatory.errors import PermissionDenied
from tests.ingest.helpers import HEADER, NAPOLI, reasons, run, services

ID_HEADER = ["id", *HEADER]
PALERMO = ("38,1157", "13,3615")
BARI = ("41,1171", "16,8719")


def _key(session, name, areas, role="operator"):
    _, key = keys.create_key(session, name, role, areas)
    return keys.authenticate(session, key)


def _upload(session, path, source, key, areas=None, **options):
    areas = areas if areas is not None else (None if key.areas is None else set(key.areas))
    return run(session, path, source, key=key, allowed_areas=areas, **options)


def _counts(session):
    return session.execute(
        text(
            "SELECT (SELECT count(*) FROM service), (SELECT count(*) FROM ingest_run), "
            "(SELECT count(*) FROM ingest_rejection), (SELECT count(*) FROM source_owner)"
        )
    ).one()


def _palermo_service(session, sheet):
    """The CLI stores service P1 in Palermo under source `esempio`; return it as stored."""
    rows = [["P1", "Centro Palermo", "INF", "Via Roma 1", "Palermo", "PA", *PALERMO]]
    run(session, sheet(rows, name="palermo.csv", header=ID_HEADER), "esempio")
    return session.execute(
        text(
            "SELECT name, municipality_code, ST_AsText(geom) AS geom, updated_at FROM service "
            "WHERE source = 'esempio' AND source_key = 'id:P1'"
        )
    ).one()


def test_an_update_of_a_service_in_another_area_is_refused_for_that_row(session, sheet):
    before = _palermo_service(session, sheet)
    napoli = _key(session, "GdLL Napoli", ["napoli"])
    rows = [
        ["P1", "Rinominato", "INF", "Via Toledo 1", "Napoli", "NA", *NAPOLI],
        ["N1", "Sportello Napoli", "INF", "Via Toledo 2", "Napoli", "NA", *NAPOLI],
    ]
    report = _upload(session, sheet(rows, header=ID_HEADER), "esempio", napoli)
    assert reasons(report) == {2: ["service_outside_allowed_areas"]}
    reason = report.rejections[0]["reasons"][0]
    assert reason["field"] == "source_key" and reason["value"] == "id:P1"
    assert "'Centro Palermo' in Palermo (PA), area palermo" in reason["message"]
    assert report.counts["updated"] == 0 and report.counts["inserted"] == 1
    after = session.execute(
        text(
            "SELECT name, municipality_code, ST_AsText(geom) AS geom, updated_at FROM service "
            "WHERE source = 'esempio' AND source_key = 'id:P1'"
        )
    ).one()
    assert after == before
    assert [s.name for s in services(session, "esempio")] == ["Centro Palermo", "Sportello Napoli"]


def test_only_rows_outside_the_areas_refuse_the_run_and_store_nothing(session, sheet):
    _palermo_service(session, sheet)
    napoli = _key(session, "GdLL Napoli", ["napoli"])
    before = _counts(session)
    rows = [
        ["P1", "Rinominato", "INF", "Via Toledo 1", "Napoli", "NA", *NAPOLI],  # update elsewhere
        ["P2", "Centro Bari", "NOPE", "Via Sparano 1", "Bari", "BA", *BARI],  # + bad category
        ["P3", "", "INF", "", "", "", *PALERMO],  # no name, and its point is in Palermo
        ["P4", "Centro Bari 2", "INF", "Via Sparano 2", "Bari", "BA", *BARI],
    ]
    with pytest.raises(PermissionDenied, match=r"none of the 4 rows .*\(napoli\); row 2: "):
        with session.begin_nested():
            _upload(session, sheet(rows, header=ID_HEADER), "esempio", napoli)
    assert _counts(session) == before


def test_rows_refused_for_other_reasons_are_also_refused_as_outside(session, sheet):
    napoli = _key(session, "GdLL Napoli", ["napoli"])
    rows = [
        ["Sportello", "INF", "Via Toledo 1", "Napoli", "NA", *NAPOLI],
        ["Centro Bari", "NOPE", "Via Sparano 1", "Bari", "BA", *BARI],
        ["", "INF", "", "", "", *PALERMO],
        ["Sportello", "INF", "Via Toledo 1", "Napoli", "NA", *NAPOLI],
    ]
    report = _upload(session, sheet(rows), "misto", napoli)
    assert reasons(report) == {
        3: ["unknown_category", "outside_allowed_areas"],
        4: ["missing_name", "outside_allowed_areas"],
        5: ["duplicate_in_file"],
    }
    assert report.counts["inserted"] == 1


def test_a_stated_comune_outside_the_areas_is_refused_even_when_the_point_is_inside(
    session, sheet
):
    napoli = _key(session, "GdLL Napoli", ["napoli"])
    rows = [
        ["Sportello", "INF", "", "Napoli", "NA", *NAPOLI],
        ["Centro", "INF", "", "Palermo", "PA", *NAPOLI],  # placed in Napoli, stated Palermo
    ]
    report = _upload(session, sheet(rows), "dichiarato", napoli, comune_tolerance_km=1000.0)
    assert reasons(report) == {3: ["outside_allowed_areas"]}
    reason = report.rejections[0]["reasons"][0]
    assert reason["field"] == "municipality" and reason["value"] == "Palermo"
    assert "the stated comune is Palermo (PA), area palermo" in reason["message"]


def test_absent_from_file_counts_only_services_in_the_key_areas(session, sheet):
    rows = [
        ["A", "INF", "Via 1", "Napoli", "NA", *NAPOLI],
        ["B", "INF", "Via 2", "Napoli", "NA", *NAPOLI],
        ["C", "INF", "Via 3", "Palermo", "PA", *PALERMO],
    ]
    assert run(session, sheet(rows), "regionale").counts["absent_from_file"] == 0
    napoli = _key(session, "GdLL Napoli", ["napoli"])
    report = _upload(session, sheet(rows[:1], name="a.csv"), "regionale", napoli)
    assert report.counts["absent_from_file"] == 1  # B; never C in Palermo
    assert run(session, sheet(rows[:1], name="b.csv"), "regionale").counts[
        "absent_from_file"
    ] == 2
    assert len(services(session, "regionale")) == 3


def test_a_key_may_not_write_a_source_another_key_created(session, sheet):
    napoli = _key(session, "GdLL Napoli", ["napoli"])
    bari = _key(session, "GdLL Bari", ["bari"])
    _upload(session, sheet([["A", "INF", "", "Napoli", "NA", *NAPOLI]]), "sportelli", napoli)
    owner = session.execute(
        text("SELECT key_prefix FROM source_owner WHERE source = 'sportelli'")
    ).scalar_one()
    assert owner == napoli.key_prefix
    before = _counts(session)
    rows = [["B", "INF", "", "Bari", "BA", *BARI]]
    with pytest.raises(PermissionDenied) as refused, session.begin_nested():
        _upload(session, sheet(rows, name="bari.csv"), "sportelli", bari)
    message = str(refused.value)
    assert "source 'sportelli' belongs to 'GdLL Napoli'" in message
    assert "'A' is in Napoli, area napoli" in message
    assert napoli.key_prefix not in message and bari.key_prefix not in message
    assert _counts(session) == before


def test_who_may_write_a_source_another_key_created(session, sheet):
    napoli = _key(session, "GdLL Napoli", ["napoli"])
    _upload(session, sheet([["A", "INF", "", "Napoli", "NA", *NAPOLI]]), "sportelli", napoli)
    rows = [["B", "INF", "", "Napoli", "NA", *NAPOLI]]
    # another key of the areas holding every service of the source
    campania = _key(session, "GdLL Campania", ["napoli", "caserta"])
    assert _upload(session, sheet(rows), "sportelli", campania).counts["inserted"] == 1
    # an admin key and the command line write any source
    admin = _key(session, "Amministrazione", [], role="admin")
    rows = [["C", "INF", "", "Bari", "BA", *BARI]]
    assert _upload(session, sheet(rows, name="c.csv"), "sportelli", admin).counts[
        "inserted"
    ] == 1
    rows = [["D", "INF", "", "Bari", "BA", *BARI]]
    assert run(session, sheet(rows, name="d.csv"), "sportelli").counts["inserted"] == 1
    # now that the source holds services in Bari, the Campania key may no longer write it
    with pytest.raises(PermissionDenied, match="belongs to 'GdLL Napoli'"):
        _upload(session, sheet(rows, name="e.csv"), "sportelli", campania)


def test_sources_of_the_command_line_and_of_admins_are_shared_within_areas(session, sheet):
    rows = [["A", "INF", "", "Palermo", "PA", *PALERMO]]
    run(session, sheet(rows), "cli")
    admin = _key(session, "Amministrazione", [], role="admin")
    _upload(session, sheet(rows, name="admin.csv"), "amministrazione", admin)
    napoli = _key(session, "GdLL Napoli", ["napoli"])
    for source in ("cli", "amministrazione"):
        rows = [["B", "INF", "", "Napoli", "NA", *NAPOLI]]
        report = _upload(session, sheet(rows, name=f"{source}.csv"), source, napoli)
        assert report.counts["inserted"] == 1
        assert report.counts["absent_from_file"] == 0  # A is in Palermo


def test_the_run_records_the_key_that_wrote_it(session, sheet):
    napoli = _key(session, "GdLL Napoli", ["napoli"])
    rows = [["A", "INF", "", "Napoli", "NA", *NAPOLI]]
    report = _upload(session, sheet(rows), "chiave", napoli)
    assert (report.key_prefix, report.key_name) == (napoli.key_prefix, "GdLL Napoli")
    assert report.to_dict()["key_name"] == "GdLL Napoli"
    cli = run(session, sheet(rows, name="cli.csv"), "chiave")
    stored = session.execute(
        text("SELECT id, key_prefix, key_name FROM ingest_run WHERE source = 'chiave' ORDER BY id")
    ).all()
    assert [tuple(r) for r in stored] == [
        (report.run_id, napoli.key_prefix, "GdLL Napoli"), (cli.run_id, None, None)
    ]
    assert (cli.key_prefix, cli.key_name) == (None, None)


def test_the_writing_step_refuses_an_update_elsewhere_whatever_the_checks_before(
    session, sheet, monkeypatch
):
    before = _palermo_service(session, sheet)
    monkeypatch.setattr(authority, "refuse_updates_outside", lambda *args: None)
    napoli = _key(session, "GdLL Napoli", ["napoli"])
    rows = [
        ["P1", "Rinominato", "INF", "Via Toledo 1", "Napoli", "NA", *NAPOLI],
        ["N1", "Sportello Napoli", "INF", "Via Toledo 2", "Napoli", "NA", *NAPOLI],
    ]
    with pytest.raises(PermissionDenied, match=r"row 2 \('Rinominato'\) .* 'Centro Palermo'"):
        with session.begin_nested():
            _upload(session, sheet(rows, header=ID_HEADER), "esempio", napoli)
    assert services(session, "esempio")[0].name == before.name
