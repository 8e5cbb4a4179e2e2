"""The service record that moves through the steps, and the reasons a row is refused."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from ingest.gazetteer import Comune


@dataclass(frozen=True)
class Reason:
    """Why a row was refused (or warned about): field, value as written, and why."""

    code: str
    field: str
    value: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """Plain dict for JSON and the report."""
        return asdict(self)


@dataclass
class Record:
    """One row as a service: normalised fields, then what validation and geocoding found."""

    row_number: int
    raw: dict[str, str]
    source_key: str = ""
    name: str = ""
    organization: str | None = None
    description: str | None = None
    category: str = ""
    address: str | None = None
    postcode: str | None = None
    municipality: str = ""
    province: str = ""
    istat_code: int | None = None
    istat_text: str = ""
    cadastral_text: str = ""
    lat_text: str = ""
    lon_text: str = ""
    phone: str | None = None
    email: str | None = None
    url: str | None = None
    opening_hours: str | None = None
    schedule: list[dict[str, str]] | None = None
    languages: list[str] = field(default_factory=list)
    target_groups: list[str] = field(default_factory=list)
    access_modes: list[str] = field(default_factory=list)
    eligibility_description: str | None = None
    mediation_available: bool | None = None
    step_free_access: bool | None = None
    documents_required: str | None = None
    cost: str | None = None
    capacity_text: str = ""
    is_example: bool = False
    last_verified: date | None = None
    """When the sheet says the service was last verified (None: the ingest date)."""
    extra: dict[str, Any] = field(default_factory=dict)
    private_fields: list[str] = field(default_factory=list)
    unparsed: dict[str, str] = field(default_factory=dict)
    placeholders: list[str] = field(default_factory=list)
    """Columns whose cell was a placeholder ('N.D.', '-'): emptied, reported once per column."""
    # filled by validate / geocode / place
    category_code: str | None = None
    comune: Comune | None = None
    capacity: float | None = None
    lon: float | None = None
    lat: float | None = None
    precision: str | None = None
    geocode_source: str | None = None
    municipality_code: int | None = None
    flags: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    warnings: list[Reason] = field(default_factory=list)

    def refuse(self, code: str, field_name: str, value: str, message: str) -> None:
        """Add a reason that keeps this row out of the database."""
        self.reasons.append(Reason(code, field_name, value, message))

    def warn(self, code: str, field_name: str, value: str, message: str) -> None:
        """Add a warning: the row is stored all the same."""
        self.warnings.append(Reason(code, field_name, value, message))
