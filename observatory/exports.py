"""Write tables with comune or service geometries as GeoJSON (RFC 7946), GeoPackage or CSV.

Every export credits the ISTAT / Openpolis data (CC-BY 4.0) and carries its parameters.
CSV cells that a spreadsheet would run as a formula get a leading apostrophe.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely

from observatory.csvcell import safe_cell
from observatory.errors import InvalidInput
from observatory.foreign_residents import CREDIT as FOREIGN_CREDIT
from observatory.geography import CREDIT

FORMATS = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".csv": "csv"}
CSV_DIALECTS = ("standard", "it")
COORDINATE_DECIMALS = 6  # about 0.1 m, as RFC 7946 section 11.2 suggests


def export_format(path: Path) -> str:
    """The format of `path` from its suffix; raise when it is not one we write."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInput(f"{path}: write .geojson, .gpkg or .csv")
    return FORMATS[suffix]


def _json_value(value: Any) -> Any:
    if isinstance(value, list | tuple | np.ndarray):
        return [_json_value(v) for v in value]
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def rfc7946_geometry(geometry: shapely.Geometry | None) -> dict[str, Any] | None:
    """GeoJSON geometry: lon/lat, 6 decimals, exterior rings counter-clockwise (right-hand)."""
    if geometry is None or geometry.is_empty:
        return None
    rounded = shapely.set_precision(geometry, 10**-COORDINATE_DECIMALS, mode="pointwise")
    return json.loads(shapely.to_geojson(shapely.orient_polygons(rounded, exterior_cw=False)))


def geojson_bytes(frame: gpd.GeoDataFrame, metadata: dict[str, Any]) -> bytes:
    """A FeatureCollection in WGS84 without `crs`, with `metadata` as top-level members."""
    frame = frame.to_crs(4326) if frame.crs is not None else frame
    columns = [c for c in frame.columns if c != frame.geometry.name]
    features = [
        {
            "type": "Feature",
            "geometry": rfc7946_geometry(geometry),
            "properties": {c: _json_value(v) for c, v in zip(columns, row, strict=True)},
        }
        for geometry, row in zip(
            frame.geometry, frame[columns].itertuples(index=False, name=None), strict=True
        )
    ]
    document = {"type": "FeatureCollection", **metadata, "features": features}
    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY)


def write_geojson(frame: gpd.GeoDataFrame, path: Path, metadata: dict[str, Any]) -> None:
    """`geojson_bytes` written to `path`."""
    path.write_bytes(geojson_bytes(frame, metadata))


def _csv_table(table: pd.DataFrame) -> pd.DataFrame:
    """Text cells a spreadsheet would run as a formula get a leading apostrophe."""
    table = table.copy()
    for column in table.columns:
        if table[column].dtype == object or pd.api.types.is_string_dtype(table[column]):
            table[column] = table[column].map(safe_cell)
    return table


def _check_dialect(dialect: str) -> bool:
    """True for the Italian dialect; raise on an unknown one."""
    if dialect not in CSV_DIALECTS:
        raise InvalidInput(f"unknown CSV dialect {dialect!r}: choose one of {CSV_DIALECTS}")
    return dialect == "it"


def csv_bytes(table: pd.DataFrame, dialect: str, metadata: dict[str, Any]) -> bytes:
    """CSV of `table` whose first line is `# ` + the metadata (parameters) as JSON.

    Read it with `pandas.read_csv(..., skiprows=1)` (R: `read.csv(skip = 1)`). Dialect `it`:
    `;` separator, decimal comma, UTF-8 with BOM.
    """
    italian = _check_dialect(dialect)
    note = "# " + json.dumps(metadata, ensure_ascii=False, default=str) + "\n"
    body = _csv_table(table).to_csv(
        index=False, sep=";" if italian else ",", decimal="," if italian else ".",
        lineterminator="\n",
    )
    return ("\ufeff" if italian else "").encode() + (note + body).encode()


def write_csv(frame: gpd.GeoDataFrame, path: Path, dialect: str, metadata: dict[str, Any]) -> None:
    """One row per feature, no geometry, the parameters as a last column.

    Dialect `it`: `;` separator, decimal comma, UTF-8 with BOM (Excel in Italian opens it).
    """
    italian = _check_dialect(dialect)
    table = _csv_table(pd.DataFrame(frame).drop(columns=[frame.geometry.name]))
    parameters = json.dumps(metadata.get("parameters", {}), ensure_ascii=False)
    table["parameters"] = safe_cell(parameters)
    table.to_csv(
        path, index=False, sep=";" if italian else ",", decimal="," if italian else ".",
        encoding="utf-8-sig" if italian else "utf-8",
    )


def write_gpkg(frame: gpd.GeoDataFrame, path: Path, layer: str, metadata: dict[str, Any]) -> None:
    """One GeoPackage layer; the metadata (parameters, credits) goes in the layer metadata."""
    if path.exists():
        path.unlink()
    frame.to_file(
        path, layer=layer, driver="GPKG", engine="pyogrio",
        layer_metadata={k: json.dumps(v, ensure_ascii=False) for k, v in metadata.items()},
    )


def write_export(
    frame: gpd.GeoDataFrame,
    path: Path,
    metadata: dict[str, Any],
    layer: str,
    csv_dialect: str = "standard",
) -> None:
    """Write `frame` to `path` in the format its suffix names, crediting the sources."""
    metadata = export_metadata(metadata)
    kind = export_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "geojson":
        write_geojson(frame, path, metadata)
    elif kind == "gpkg":
        write_gpkg(frame, path, layer, metadata)
    else:
        write_csv(frame, path, csv_dialect, metadata)


def export_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """`metadata` with the attribution and licence every file and answer carries."""
    attribution = CREDIT
    if "parameters" in metadata:
        attribution = f"{CREDIT}; {FOREIGN_CREDIT}"
    return {**metadata, "attribution": attribution, "license": "CC-BY-4.0"}
