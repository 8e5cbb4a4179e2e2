"""Shared test assertions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text


def run_sql(url: str, statement: str, params: dict[str, Any] | None = None) -> list[Any]:
    """Run one statement in its own committed transaction; return the first column."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            return list(conn.execute(text(statement), params or {}).scalars())
    finally:
        engine.dispose()


def assert_valid_feature_collection(body: dict[str, Any]) -> None:
    """Check the GeoJSON and OGC members of a FeatureCollection (RFC 7946, no crs)."""
    assert body["type"] == "FeatureCollection"
    assert "crs" not in body
    assert body["numberReturned"] == len(body["features"]) <= body["numberMatched"]
    assert body["timeStamp"].endswith("Z")
    assert any(link["rel"] == "self" for link in body["links"])
    for feature in body["features"]:
        assert feature["type"] == "Feature" and "id" in feature
        assert feature["geometry"]["type"] in {"Point", "MultiPolygon", "Polygon"}
        assert "id" not in feature["properties"] and "links" not in feature


def assert_problem(response: Any, status: int, fragment: str = "") -> None:
    """Check an RFC 7807 problem-details answer and that its detail says `fragment`."""
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"]
    assert fragment in body["detail"]
