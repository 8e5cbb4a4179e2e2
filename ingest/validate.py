"""Check each record, resolve its category, comune and coordinates; say precisely what is wrong."""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from ingest import contacts
from ingest.gazetteer import Gazetteer
from ingest.limits import Limits
from ingest.parse import parse_number
from ingest.record import Record
from observatory.geography import slugify

# Generous box around Italy (Lampedusa to the Brenner, Sardinia to Otranto).
ITALY_LAT = (35.2, 47.2)
ITALY_LON = (6.5, 18.6)


@dataclass
class Categories:
    """Category codes and labels, for resolving what a sheet writes in its category column."""

    labels: dict[str, tuple[str, str]]
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_key: dict[str, str] = field(init=False)
    _resolved: dict[str, str | None] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.by_key = {}
        for code, (label_it, label_en) in self.labels.items():
            for text in (code, label_it, label_en, *self.synonyms.get(code, ())):
                self.by_key.setdefault(slugify(text), code)

    def resolve(self, text: str) -> str | None:
        """The code for a code or label as written ('san-con', 'Consultorio familiare')."""
        if text not in self._resolved:
            self._resolved[text] = self.by_key.get(slugify(text))
        return self._resolved[text]

    def closest(self, text: str, limit: int = 3) -> list[str]:
        """The codes whose code or labels are closest to `text`."""
        found = process.extract(slugify(text), list(self.by_key), scorer=fuzz.WRatio, limit=10)
        codes: list[str] = []
        for key, _, _ in found:
            if self.by_key[key] not in codes:
                codes.append(self.by_key[key])
        return codes[:limit]


def in_italy(lat: float, lon: float) -> bool:
    """True when the point lies in the box around Italy."""
    return ITALY_LAT[0] <= lat <= ITALY_LAT[1] and ITALY_LON[0] <= lon <= ITALY_LON[1]


def _decimals(text: str) -> int:
    digits = text.replace(",", ".").partition(".")[2]
    return len(digits.strip())


def check_coordinates(record: Record, decimal: str) -> None:
    """Parse lat/lon; fix swapped ones (flagged); refuse missing halves, text, points abroad."""
    lat_text, lon_text = record.lat_text, record.lon_text
    if not lat_text and not lon_text:
        return
    value = f"{lat_text}, {lon_text}"
    if not lat_text or not lon_text:
        record.refuse("invalid_coordinates", "lat/lon", value, "only one of latitude and longitude")
        return
    lat, lon = parse_number(lat_text, decimal), parse_number(lon_text, decimal)
    if lat is None or lon is None:
        record.refuse("invalid_coordinates", "lat/lon", value, "coordinates are not numbers")
        return
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        record.refuse("invalid_coordinates", "lat/lon", value, "not valid WGS84 coordinates")
        return
    if not in_italy(lat, lon):
        if not in_italy(lon, lat):
            record.refuse(
                "outside_italy", "lat/lon", value, f"the point ({lat}, {lon}) is outside Italy"
            )
            return
        lat, lon = lon, lat
        record.flags.append("swapped_coordinates")
    if _decimals(lat_text) <= 2 and _decimals(lon_text) <= 2:
        record.warn(
            "low_precision", "lat/lon", value, "coordinates with 2 decimals or fewer (about 1 km)"
        )
    record.lat, record.lon = lat, lon


def check_category(record: Record, categories: Categories) -> None:
    """Resolve the category code; refuse a missing or unknown one, suggesting the closest."""
    if not record.category:
        record.refuse(
            "missing_category", "category", "",
            "no category (give a category column or --category CODE for a one-category file)",
        )
        return
    record.category_code = categories.resolve(record.category)
    if record.category_code is None:
        closest = ", ".join(categories.closest(record.category))
        record.refuse(
            "unknown_category", "category", record.category,
            f"unknown category {record.category!r}; closest codes: {closest}",
        )


def check_comune(record: Record, gazetteer: Gazetteer) -> None:
    """Match the stated comune; without coordinates an unknown comune refuses the row."""
    located = record.lat is not None
    if record.istat_code is not None:
        record.comune = gazetteer.comuni.get(record.istat_code)
        if record.comune is None:
            message = f"no comune with ISTAT code {record.istat_code} in the loaded geography"
            act = record.warn if located else record.refuse
            act("comune_not_found", "istat_code", str(record.istat_code), message)
        return
    if not record.municipality:
        if not located and not record.reasons:
            record.refuse(
                "cannot_locate", "municipality", "", "no coordinates and no comune to locate it"
            )
        return
    match = gazetteer.match(record.municipality, record.province, record.postcode or "")
    if match.comune is not None:
        record.comune = match.comune
        if match.how == "fuzzy":
            record.flags.append("comune_fuzzy_match")
        return
    if match.problem == "ambiguous":
        message = f"comune {record.municipality!r} is ambiguous: {', '.join(match.suggestions)}"
        message += "; give the province or the CAP"
    else:
        closest = ", ".join(match.suggestions)
        message = f"comune {record.municipality!r} not found; closest: {closest}"
    act = record.warn if located else record.refuse
    act("comune_not_found", "municipality", record.municipality, message)


def check_contacts(record: Record, decimal: str) -> None:
    """Phone in E.164, e-mail and URL checked or repaired; drop (with a warning) what is not."""
    checks = (
        ("email", contacts.check_email), ("phone", contacts.check_phone),
        ("url", contacts.check_url),
    )
    for name, check in checks:
        value = getattr(record, name)
        if value:
            checked = check(value)
            setattr(record, name, checked.value)
            if checked.code is not None:
                record.warn(checked.code, name, value, checked.message or checked.code)
    if record.capacity_text:
        capacity = parse_number(record.capacity_text, decimal)
        if capacity is None or capacity < 0:
            record.warn("invalid_capacity", "capacity", record.capacity_text, "not a number ≥ 0")
        else:
            record.capacity = capacity


def check_lengths(record: Record, max_chars: int) -> None:
    """Refuse a row with a cell longer than any real survey answer (a pasted document, junk)."""
    for column, value in record.raw.items():
        if len(value) > max_chars:
            record.refuse(
                "too_long", column, value[:40] + "...",
                f"{len(value):,} characters: a cell holds at most {max_chars:,}",
            )


def validate(
    record: Record, categories: Categories, gazetteer: Gazetteer, decimal: str, limits: Limits
) -> Record:
    """Run every check on `record`; its `reasons` say why it is refused (empty = accepted).

    A row the reader found malformed (quoted whole into one field) gets no other reason.
    """
    if any(reason.code == "malformed_row" for reason in record.reasons):
        return record
    check_lengths(record, limits.max_cell_chars)
    if not record.name:
        record.refuse("missing_name", "name", "", "the service has no name")
    check_category(record, categories)
    check_coordinates(record, decimal)
    check_comune(record, gazetteer)
    check_contacts(record, decimal)
    return record
