"""A row of text -> a Record: mapped fields, structure parsed from free text, the rest in extra."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ingest.columns import private_columns
from ingest.contacts import is_placeholder
from ingest.dates import parse_date
from ingest.hours import parse_hours
from ingest.languages import parse_languages
from ingest.parse import Lookup, parse_bool, parse_codes
from ingest.record import Record
from observatory.text import slugify

_SPACES = re.compile(r"\s+")
_ESCAPED_QUOTE = re.compile(r"\\(['\"])")
YES_NO_FIELDS = frozenset({"mediation", "step_free", "is_example"})
"""Fields where '0' and 'x' are answers (no, yes), not placeholders."""


@dataclass(frozen=True)
class Rules:
    """What normalising a file needs besides the row: column map and run-wide defaults."""

    columns: dict[str, str]
    target_groups: Lookup
    access_modes: Lookup
    category: str | None = None
    is_example: bool = False
    private_fields: frozenset[str] = frozenset()


def clean(text: str) -> str:
    """Collapse whitespace and undo escaped quotes ('Cava de\\' Tirreni')."""
    if "\\" in text:
        text = _ESCAPED_QUOTE.sub(r"\1", text)
    if "  " in text or "\n" in text or "\t" in text or "\r" in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


def source_key(fields: dict[str, str]) -> str:
    """The sheet's id when present, else the normalised name + address + comune."""
    if fields.get("id"):
        return "id:" + clean(fields["id"])
    parts = (fields.get("name", ""), fields.get("address", ""), fields.get("municipality", ""))
    return "nac:" + "|".join(slugify(clean(p)) for p in parts)


def _postcode(text: str) -> str | None:
    """A 5-digit CAP ('1100' from a spreadsheet that dropped the zero -> '01100'), else None."""
    digits = text.split(".", 1)[0].strip()
    if digits.isdigit() and 4 <= len(digits) <= 5:
        return digits.zfill(5)
    return None


def normalise(number: int, row: dict[str, str], rules: Rules) -> Record:
    """Turn one row into a Record; unmapped columns go to `extra`, never lost."""
    fields: dict[str, str] = {}
    extra: dict[str, str] = {}
    emptied: list[str] = []
    for column, value in row.items():
        target = rules.columns.get(column)
        if value and is_placeholder(value, target in YES_NO_FIELDS):
            emptied.append(column)
            value = ""
        if target is None:
            if value:
                extra[column] = value
        else:
            fields[target] = clean(value)
    address = fields.get("address", "")
    if fields.get("house_number"):
        address = f"{address} {fields['house_number']}".strip()
    record = Record(
        row_number=number,
        raw=row,
        source_key=source_key(fields | {"address": address}),
        name=fields.get("name", ""),
        organization=fields.get("organization") or None,
        description=fields.get("description") or None,
        category=fields.get("category") or rules.category or "",
        address=address or None,
        postcode=_postcode(fields.get("postcode", "")),
        municipality=fields.get("municipality", ""),
        province=fields.get("province", ""),
        istat_text=fields.get("istat_code", ""),
        cadastral_text=fields.get("cadastral_code", ""),
        lat_text=fields.get("lat", ""),
        lon_text=fields.get("lon", ""),
        phone=fields.get("phone") or None,
        email=fields.get("email") or None,
        url=fields.get("url") or None,
        opening_hours=fields.get("opening_hours") or None,
        eligibility_description=fields.get("target_groups") or None,
        documents_required=fields.get("documents") or None,
        cost=fields.get("cost") or None,
        capacity_text=fields.get("capacity", ""),
        is_example=rules.is_example or bool(parse_bool(fields.get("is_example", ""))),
        extra=extra,
        placeholders=emptied,
    )
    private, unknown_fields = private_columns(fields.get("private_fields", ""))
    record.private_fields = sorted(private | rules.private_fields)
    if unknown_fields:
        record.unparsed["private_fields"] = ", ".join(unknown_fields)
    if fields.get("last_verified"):
        verified = parse_date(fields["last_verified"])
        if verified is None or verified > date.today():
            record.unparsed["last_verified"] = fields["last_verified"]
        else:
            record.last_verified = verified
    if fields.get("postcode") and record.postcode is None:
        record.unparsed["postcode"] = fields["postcode"]
    if record.opening_hours:
        record.schedule = parse_hours(record.opening_hours)
        if record.schedule is None:
            record.unparsed["opening_hours"] = record.opening_hours
    if fields.get("languages"):
        languages, unknown = parse_languages(fields["languages"])
        record.languages = list(languages)
        if unknown:
            record.unparsed["languages"] = ", ".join(unknown)
    lookups = (("target_groups", rules.target_groups), ("access_modes", rules.access_modes))
    for name, lookup in lookups:
        if fields.get(name):
            codes, unknown = parse_codes(fields[name], lookup)
            setattr(record, name, list(codes))
            if unknown:
                record.unparsed[name] = ", ".join(unknown)
    booleans = (("mediation", "mediation_available"), ("step_free", "step_free_access"))
    for name, attribute in booleans:
        if fields.get(name):
            value = parse_bool(fields[name])
            setattr(record, attribute, value)
            if value is None:
                record.unparsed[name] = fields[name]
    return record
