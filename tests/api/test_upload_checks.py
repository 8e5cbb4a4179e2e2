import pytest
from sqlalchemy import text

from api import upload_checks as upload
from ingest import authority
from observatory.errors import LengthRequired, PayloadTooLarge, PermissionDenied
from tests.helpers import add_service


@pytest.mark.parametrize(
    ("length", "error"),
    [(None, LengthRequired), ("abc", LengthRequired), ("1001", PayloadTooLarge)],
)
def test_declared_size_must_be_given_and_within_the_limit(length, error):
    with pytest.raises(error):
        upload.check_declared_size(length, 1000)


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/servizi napoli.csv", "servizi_napoli.csv"),
        ("C:\\Users\\op\\Rilevazione 2026.XLSX", "Rilevazione_2026.xlsx"),
        ("....csv", "upload.csv"),
    ],
)
def test_check_upload_returns_a_safe_file_name(filename, expected):
    head = b"PK\x03\x04" if expected.endswith(".xlsx") else b"nome;comune\n"
    assert upload.check_upload(filename, "application/octet-stream", head) == expected


def test_check_upload_accepts_utf16_text_with_bom():
    head = "nome\tcomune\n".encode("utf-16")
    assert upload.check_upload("servizi.txt", "text/plain", head) == "servizi.txt"


def _run_with_services(session, *comuni):
    run_id = session.execute(
        text(
            "INSERT INTO ingest_run (source, file_name, file_sha256) "
            "VALUES ('t', 'f.csv', 'x') RETURNING id"
        )
    ).scalar_one()
    for index, (code, lon, lat) in enumerate(comuni):
        add_service(
            session, lon, lat, name=f"s{index}", municipality_code=code, ingest_run_id=run_id
        )
    return run_id


def test_run_within_the_key_areas_passes_the_sql_check(session):
    run_id = _run_with_services(session, (63049, 14.25, 40.85), (61022, 14.33, 41.07))
    authority.check_run_within_areas(session, run_id, {"napoli", "caserta"})
    authority.check_run_within_areas(session, run_id, None)


@pytest.mark.parametrize("outside", [(82053, 13.36, 38.11), (None, 14.0, 45.0)])
def test_run_that_wrote_outside_the_key_areas_is_forbidden(session, outside):
    run_id = _run_with_services(session, (63049, 14.25, 40.85), outside)
    with pytest.raises(PermissionDenied, match=r"'s1'.*outside the areas .*\(napoli\)"):
        authority.check_run_within_areas(session, run_id, {"napoli"})
