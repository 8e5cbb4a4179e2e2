from sqlalchemy import create_engine, inspect

from observatory import db


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
