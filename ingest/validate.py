"""Check each record, resolve its category, comune and coordinates; say precisely what is wrong."""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from ingest import contacts
from ingest.address import split_address
from ingest.gazetteer import ComuneMatch, Gazetteer
from ingest.history import comune_code
from ingest.limits import Limits
from ingest.parse import parse_number
from ingest.record import Reason, Record
from observatory.text import slugify

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


def check_coordinates(record: Record, decimal: str) -> Reason | None:
    """Parse lat/lon; fix swapped ones (flagged); refuse missing halves, text, WGS84 nonsense.

    A point abroad is returned, not refused: whether it refuses the row (`outside_italy`) or
    is discarded depends on the comune the row names, known only after `check_comune`.
    """
    lat_text, lon_text = record.lat_text, record.lon_text
    if not lat_text and not lon_text:
        return None
    value = f"{lat_text}, {lon_text}"
    if not lat_text or not lon_text:
        record.refuse("invalid_coordinates", "lat/lon", value, "only one of latitude and longitude")
        return None
    lat, lon = parse_number(lat_text, decimal), parse_number(lon_text, decimal)
    if lat is None or lon is None:
        record.refuse("invalid_coordinates", "lat/lon", value, "coordinates are not numbers")
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        record.refuse("invalid_coordinates", "lat/lon", value, "not valid WGS84 coordinates")
        return None
    if not in_italy(lat, lon):
        if not in_italy(lon, lat):
            return Reason(
                "outside_italy", "lat/lon", value, f"the point ({lat}, {lon}) is outside Italy"
            )
        lat, lon = lon, lat
        record.flags.append("swapped_coordinates")
    if _decimals(lat_text) <= 2 and _decimals(lon_text) <= 2:
        record.warn(
            "low_precision", "lat/lon", value, "coordinates with 2 decimals or fewer (about 1 km)"
        )
    record.lat, record.lon = lat, lon
    record.precision = record.geocode_source = "provided"
    return None


def settle_abroad(record: Record, abroad: Reason, at: int) -> None:
    """A point abroad is discarded (warning) when the row names a comune, else refuses the row.

    The refusal goes where the coordinates' checks put their reasons (`at`), and replaces
    `cannot_locate`: the row has a point, only it is abroad.
    """
    if record.comune is None:
        later = [r for r in record.reasons[at:] if r.code != "cannot_locate"]
        record.reasons[at:] = [abroad, *later]
        return
    record.warn(
        "coordinates_discarded", abroad.field, abroad.value,
        f"{abroad.message}, far from {record.comune.label}, the comune the row names: "
        "the coordinates are discarded and the row is placed like a row without coordinates",
    )


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


def unpack_address(record: Record, gazetteer: Gazetteer) -> None:
    """Split a packed address into street, CAP, comune and province; fill the missing ones."""
    if not record.address:
        return
    packed = split_address(record.address, gazetteer.archive.provinces, gazetteer.is_comune)
    if packed is None:
        return
    record.address = packed.street or None
    record.municipality = record.municipality or packed.comune
    record.province = record.province or packed.province
    record.postcode = record.postcode or packed.postcode or None
    record.flags.append("address_unpacked")


def _by_code(record: Record, gazetteer: Gazetteer) -> bool:
    """Place the record by its ISTAT or cadastral code; True when a code decided the comune."""
    act = record.warn if record.lat is not None else record.refuse
    decided: tuple[str, str, ComuneMatch] | None = None
    codes = (("istat_code", record.istat_text), ("cadastral_code", record.cadastral_text))
    for name, text in codes:
        if not text:
            continue
        code = comune_code(text)
        if code is None:
            record.warn(
                "invalid_comune_code", name, text,
                f"{text!r} is neither an ISTAT comune code (6 digits) nor a cadastral code "
                "(a letter and 3 digits); the comune's name is used",
            )
            continue
        match = gazetteer.match_code(code)
        if match.problem == "unknown_code":
            record.warn("invalid_comune_code", name, text, f"{match.message}; the name is used")
        elif decided is None:
            decided = (name, text, match)
        elif match.comune != decided[2].comune and match.comune is not None:
            record.warn(
                "comune_code_mismatch", name, text,
                f"{name} {text} is {match.comune.label}, {decided[0]} {decided[1]} is "
                f"{decided[2].comune.label if decided[2].comune else 'not loaded'}: "
                f"the {decided[0]} is used",
            )
    if decided is None:
        return False
    name, text, match = decided
    if match.comune is None:
        code = "outside_geography" if match.problem == "outside_geography" else "comune_ceased"
        act(code, name, text, match.message or "")
        return True
    record.comune = match.comune
    record.istat_code = match.comune.code
    if match.change:
        record.warn("comune_history", name, text, f"{match.change}: placed in {match.comune.label}")
    if record.municipality:
        named = gazetteer.match(record.municipality, record.province, record.postcode or "")
        if named.comune is not None and named.comune != match.comune or (
            named.problem == "outside_geography"
        ):
            elsewhere = named.comune.label if named.comune else "outside the regions loaded"
            record.warn(
                "comune_code_mismatch", name, text,
                f"{name} {text} is {match.comune.label}, but the row names "
                f"{record.municipality!r} ({elsewhere}): placed by the code",
            )
    return True


def check_postcode(record: Record, gazetteer: Gazetteer) -> None:
    """Warn when the row's CAP is not one of its comune's CAPs."""
    comune, cap = record.comune, record.postcode
    if comune is None or not cap or gazetteer.postcode_fits(comune, cap):
        return
    record.warn(
        "postcode_mismatch", "postcode", cap,
        f"CAP {cap} is not a CAP of {comune.label}, whose CAP is {gazetteer.caps_of(comune)}",
    )


def check_comune(record: Record, gazetteer: Gazetteer) -> None:
    """Match the stated comune (code before name); without coordinates an unknown one refuses."""
    unpack_address(record, gazetteer)
    located = record.lat is not None
    if _by_code(record, gazetteer):
        check_postcode(record, gazetteer)
        return
    if not record.municipality:
        bad_codes = [w for w in record.warnings if w.code == "invalid_comune_code"]
        if not located and bad_codes:
            record.refuse("comune_not_found", bad_codes[0].field, bad_codes[0].value,
                          bad_codes[0].message.split(";")[0] + ", and the row names no comune")
        elif not located and not record.reasons:
            record.refuse(
                "cannot_locate", "municipality", "", "no coordinates and no comune to locate it"
            )
        return
    match = gazetteer.match(record.municipality, record.province, record.postcode or "")
    act = record.warn if located else record.refuse
    if match.comune is not None:
        record.comune = match.comune
        if match.how == "fuzzy":
            record.flags.append("comune_fuzzy_match")
        if match.change:
            record.warn(
                "comune_history", "municipality", record.municipality,
                f"{match.change}: placed in {match.comune.label}",
            )
        check_postcode(record, gazetteer)
        return
    if match.problem in ("outside_geography", "ceased"):
        code = "outside_geography" if match.problem == "outside_geography" else "comune_ceased"
        act(code, "municipality", record.municipality, match.message or "")
        return
    if match.problem == "ambiguous":
        message = f"comune {record.municipality!r} is ambiguous: {', '.join(match.suggestions)}"
        message += "; give the province or the CAP"
    else:
        closest = ", ".join(match.suggestions)
        message = f"comune {record.municipality!r} not found; closest: {closest}"
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
    at = len(record.reasons)
    abroad = check_coordinates(record, decimal)
    check_comune(record, gazetteer)
    if abroad is not None:
        settle_abroad(record, abroad, at)
    check_contacts(record, decimal)
    return record
