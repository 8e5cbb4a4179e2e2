from sqlalchemy import create_engine, inspect

from observatory import db
from tests.helpers import run_sql


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    names = set(inspect(engine).get_table_names()) - {"spatial_ref_sys", "alembic_version"}
    engine.dispose()
    return names


def test_migrations_upgrade_to_head_and_downgrade_to_base(empty_database_url):
    db.upgrade(empty_database_url)
    assert {"region", "province", "municipality", "population", "territorial_area",
            "area_municipality", "service_category", "service"} <= _tables(empty_database_url)
    db.downgrade(empty_database_url, "base")
    assert _tables(empty_database_url) == set()
    db.upgrade(empty_database_url)
    assert "municipality" in _tables(empty_database_url)


def test_sources_older_than_their_owners_table_become_shared(empty_database_url):
    db.upgrade(empty_database_url, "0005_service_public")
    run_sql(
        empty_database_url,
        "INSERT INTO ingest_run (source, file_name, file_sha256) "
        "VALUES ('vecchia', 'f', 'x') RETURNING id",
    )
    run_sql(
        empty_database_url,
        "INSERT INTO service (source, source_key, name, geom, geocode_precision, geocode_source) "
        "VALUES ('storica', 'k', 'S', 'SRID=4326;POINT(14.25 40.85)', 'provided', 'test') "
        "RETURNING id",
    )
    db.upgrade(empty_database_url, "0006_upload_authority")
    owners = run_sql(
        empty_database_url,
        "SELECT source || ':' || coalesce(key_prefix, '-') FROM source_owner ORDER BY source",
    )
    assert owners == ["storica:-", "vecchia:-"]
    db.downgrade(empty_database_url, "0005_service_public")
    assert "source_owner" not in _tables(empty_database_url)
