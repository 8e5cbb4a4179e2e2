"""The ingest's service columns come from the model, and the content hash stays what it was."""

from __future__ import annotations

from sqlalchemy import text

from ingest.load import (
    COPY_SQL,
    RUN_COLUMNS,
    STORED_COLUMNS,
    UPSERT_SQL,
    content_hash,
    service_values,
)
from ingest.record import Record

RECORD = Record(
    row_number=3, raw={}, source_key="id:7", name="Sportello", organization="Comune",
    description="d", address="Via Roma 1", postcode="80100", municipality="Napoli",
    province="NA", phone="081", email="a@b.it", url="https://x.it", opening_hours="lun 9-12",
    schedule=[{"opens_at": "09:00"}], languages=["it", "ar"], target_groups=["all"],
    access_modes=["walk_in"], eligibility_description="e", mediation_available=True,
    step_free_access=False, documents_required="doc", cost="free", is_example=True,
    extra={"b": 1, "a": 2}, private_fields=["phone"], unparsed={"x": "y"}, category_code="INF",
    capacity=3.5, lon=14.25, lat=40.85, precision="address", geocode_source="sheet",
    municipality_code=63049, flags=["b", "a", "b"],
)


def test_service_values_are_keyed_by_the_stored_columns_in_order():
    assert list(service_values("probe", RECORD)) == list(STORED_COLUMNS)


def test_content_hash_is_unchanged_so_a_rerun_on_stored_data_updates_nothing():
    # the hash the hand-written column list gave before the list came from the model
    expected = "1c6c0f2d87c24f1f9fa5d46d17732cd88dcfb1fe7b33886276b67f159ba022bc"
    assert content_hash(service_values("probe", RECORD)) == expected


def test_the_sql_writes_every_service_column_the_database_does_not_fill(session):
    rows = session.execute(
        text(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'service'"
        )
    )
    in_database = {name for (name,) in rows}
    written = set(STORED_COLUMNS) | set(RUN_COLUMNS)
    assert in_database - written == {
        "id", "public_geom", "status", "created_at", "updated_at", "closed_at"
    }
    assert written <= in_database
    for name in written:
        assert f" {name}," in COPY_SQL.replace("(", " ").replace(")", ",")
        assert f"{name} = EXCLUDED.{name}" in UPSERT_SQL or name in ("source", "source_key")
