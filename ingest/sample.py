"""Fictitious services shaped like real survey sheets: the example survey and benchmark files.

Every name starts with "[ESEMPIO]" and every row has `esempio = sì`: nothing here is real.
The files are written like Italian spreadsheets: cp1252, `;`, decimal commas.

    python -m ingest.sample data/sample/servizi_esempio.csv
    python -m ingest.sample --rows 100000 --without-coordinates /tmp/servizi_100k.csv
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from observatory import areas, geography, taxonomy
from observatory.settings import get_settings
from observatory.text import slugify

HEADER = [
    "id", "nome", "ente", "categoria", "indirizzo", "civico", "cap", "comune", "provincia",
    "latitudine", "longitudine", "telefono", "email", "sito", "orari", "lingue", "destinatari",
    "accesso", "posti", "note", "esempio",
]
STREETS = [
    "Via Roma", "Corso Garibaldi", "Piazza Municipio", "Via Nazionale", "Via della Pace",
    "Via Aldo Moro", "Largo San Francesco", "Via Santa Lucia", "Viale Europa",
]
HOURS = [
    "lun-ven 9-13", "lun, mer, ven 9:00-12:30", "mar e gio 15-18",
    "lunedì-venerdì 9-13 e 15-17", "su appuntamento", "sab 9-12", "mer 10-13",
]
LANGUAGES = [
    "inglese, francese", "EN/FR/AR", "arabo, francese, wolof", "inglese", "ucraino, russo",
    "inglese, bengalese, urdu", "tigrino e amarico", "albanese; rumeno",
]
TARGETS = [
    "titolari di permesso di soggiorno", "richiedenti asilo, titolari di protezione",
    "STP/ENI", "minori stranieri non accompagnati", "tutti i cittadini stranieri",
]
ACCESS = [
    "accesso libero", "su appuntamento", "su invio dei servizi sociali", "online",
    "accesso libero / su appuntamento",
]


@dataclass(frozen=True)
class Place:
    """A comune of an area with points inside its polygon."""

    name: str
    province: str
    area: str
    points: tuple[tuple[float, float], ...]


def _points_inside(geometry: shapely.Geometry, rng: np.random.Generator, count: int) -> list:
    """Up to `count` random points inside the polygon (its representative point at least)."""
    minx, miny, maxx, maxy = geometry.bounds
    xs = rng.uniform(minx, maxx, count * 8)
    ys = rng.uniform(miny, maxy, count * 8)
    shapely.prepare(geometry)
    inside = shapely.contains_xy(geometry, xs, ys)
    pairs = zip(xs[inside], ys[inside], strict=True)
    points = [(round(float(x), 6), round(float(y), 6)) for x, y in pairs][:count]
    if not points:
        point = geometry.point_on_surface()
        points = [(round(point.x, 6), round(point.y, 6))]
    return points


def read_places(seed: int = 7, points_per_comune: int = 4) -> list[Place]:
    """Every comune of the territorial areas, with a few points inside it."""
    settings = get_settings()
    data = geography.read_geopop(None, list(geography.SOUTHERN_REGIONS))
    area_of = {p: a.code for a in areas.read_areas(settings.areas_file) for p in a.provinces}
    short = dict(zip(data.provinces.province_code, data.provinces.province_short, strict=True))
    rng = np.random.default_rng(seed)
    places = []
    for row in data.municipalities.itertuples(index=False):
        province = short[row.province_code]
        if province not in area_of:
            continue
        geometry = shapely.make_valid(shapely.from_wkb(row.geometry))
        points = tuple(_points_inside(geometry, rng, points_per_comune))
        places.append(Place(row.municipality, province, area_of[province], points))
    return places


def _decimal(value: float) -> str:
    return f"{value:.6f}".replace(".", ",")


def _comune_as_written(name: str, rng: random.Random) -> str:
    """The comune as people type it: sometimes 'S.' for San, upper case, no accents."""
    roll = rng.random()
    if roll < 0.1 and name.startswith("San "):
        return "S. " + name[4:]
    if roll < 0.2:
        return name.upper()
    if roll < 0.25:
        return name.replace("à", "a'").replace("ì", "i'").replace("ò", "o'")
    return name


AREA_CODES = (
    "080", "081", "089", "091", "095", "099", "090", "0823", "0824", "0825", "0831", "0832",
    "0881", "0961", "0965", "0971", "0984", "0922", "0931", "0975",
)
"""Landline prefixes of the five regions: the example numbers are valid Italian numbers."""


def _phone(prefix: int, subscriber: int) -> str:
    """A valid landline: a southern prefix and 6 or 7 digits ('081 6169400')."""
    code = AREA_CODES[prefix % len(AREA_CODES)]
    return f"{code} {subscriber}" if len(code) == 4 else f"{code} {subscriber}{subscriber % 10}"


def service_rows(
    places: list[Place], count: int, seed: int = 7, coordinates_share: float = 0.8
) -> Iterator[list[str]]:
    """`count` fictitious services cycling through every area and every category."""
    rng = random.Random(seed)
    categories = taxonomy.read_categories(get_settings().taxonomy_file)
    leaves = [c for c in categories if not any(o.parent_code == c.code for o in categories)]
    by_area: dict[str, list[Place]] = {}
    for place in places:
        by_area.setdefault(place.area, []).append(place)
    area_codes = sorted(by_area)
    for number in range(1, count + 1):
        category = leaves[(number - 1) % len(leaves)]
        place = rng.choice(by_area[area_codes[(number - 1) % len(area_codes)]])
        lon, lat = rng.choice(place.points)
        with_coordinates = rng.random() < coordinates_share
        slug = slugify(place.name)
        yield [
            f"ES-{number:06d}",
            f"[ESEMPIO] {category.label_it} - {place.name} {number}",
            f"[ESEMPIO] Ente fittizio {rng.randint(1, 60)}",
            category.code if rng.random() < 0.8 else category.label_it,
            rng.choice(STREETS),
            str(rng.randint(1, 120)),
            "",
            _comune_as_written(place.name, rng),
            place.province,
            _decimal(lat) if with_coordinates else "",
            _decimal(lon) if with_coordinates else "",
            _phone(rng.randint(80, 99), rng.randint(100000, 999999)),
            f"info{number}@esempio-{slug}.example",
            f"https://esempio-{slug}.example",
            rng.choice(HOURS),
            rng.choice(LANGUAGES),
            rng.choice(TARGETS),
            rng.choice(ACCESS),
            str(rng.choice([10, 20, 25, 40, 100])),
            "Dato di esempio, non reale",
            "sì",
        ]


def example_survey(places: list[Place], count: int = 304, seed: int = 7) -> list[list[str]]:
    """The example survey: every area and category, with the mess real sheets have."""
    rows = list(service_rows(places, count, seed))
    for row in rows[5::37]:  # swapped coordinates, as when columns are pasted in the wrong order
        if row[9]:
            row[9], row[10] = row[10], row[9]
    rows[12][3] = "SPORTELLO-XYZ"  # an unknown category
    rows[20][12] = "info(at)esempio.example"  # a malformed e-mail: a warning, the row stays
    rows.append(list(rows[40]))  # the same service twice
    return rows


def write_sheet(path: Path, rows: list[list[str]] | Iterator[list[str]]) -> None:
    """Write rows like an Italian spreadsheet export: cp1252, ';', CRLF."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="cp1252", errors="replace", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)


def write_workbook(path: Path, rows: list[list[str]] | Iterator[list[str]]) -> None:
    """Write the same rows as an .xlsx workbook, sheet "Servizi" (openpyxl write-only mode)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Servizi")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def main() -> None:
    """Write the example survey, or a large synthetic file with --rows."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--rows", type=int, help="a synthetic file of ROWS services instead")
    parser.add_argument(
        "--without-coordinates", action="store_true",
        help="only address and comune (offline geocoding to the comune)",
    )
    args = parser.parse_args()
    places = read_places()
    if args.rows:
        share = 0.0 if args.without_coordinates else 1.0
        write_sheet(args.path, service_rows(places, args.rows, coordinates_share=share))
    else:
        write_sheet(args.path, example_survey(places))


if __name__ == "__main__":
    main()
