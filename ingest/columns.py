"""Column names as people write them (Italian and English) mapped to the service fields."""

from __future__ import annotations

import functools
import re

from observatory.errors import InvalidInput
from observatory.text import slugify

GEOMETRY_LON = "geometry_lon"  # the columns a vector file's point geometry is read into
GEOMETRY_LAT = "geometry_lat"

SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "codice", "cod", "codice_servizio", "id_servizio", "identificativo", "code"),
    "name": (
        "nome", "denominazione", "name", "nome_servizio", "servizio", "struttura_nome",
        "nome_struttura", "denominazione_struttura", "denominazione_servizio",
        "denominazione_azienda", "service_name",
    ),
    "organization": (
        "ente", "organizzazione", "ente_gestore", "gestore", "organization", "organisation",
        "ente_titolare", "soggetto_gestore",
    ),
    "description": ("descrizione", "description", "note", "notes", "annotazioni"),
    "category": ("categoria", "tipologia", "category", "tipo", "tipo_servizio", "type"),
    "address": (
        "indirizzo", "via", "address", "addr", "sede", "indirizzo_sede", "street", "luogo",
    ),
    "house_number": ("civico", "numero_civico", "n_civico", "housenumber", "house_number"),
    "postcode": ("cap", "postcode", "postal_code", "codice_postale", "zip"),
    "municipality": (
        "comune", "municipality", "citta", "city", "town", "localita", "comune_sede",
    ),
    "province": ("provincia", "sigla", "sigla_provincia", "prov", "province", "pr"),
    "istat_code": (
        "codice_istat", "comune_codice_istat", "istat", "cod_istat", "pro_com", "pro_com_t",
        "codice_comune", "codice_istat_comune", "istat_comune", "cod_comune", "codistat",
    ),
    "cadastral_code": (
        "cod_catastale", "codice_catastale", "catastale", "belfiore", "codice_belfiore",
        "codcatastale", "codice_comune_catastale",
    ),
    "lat": ("lat", "latitudine", "latitude", "y", GEOMETRY_LAT),
    "lon": ("lon", "lng", "long", "longitudine", "longitude", "x", GEOMETRY_LON),
    "phone": ("telefono", "tel", "phone", "telephone", "cellulare", "recapito_telefonico"),
    "email": ("email", "e_mail", "mail", "posta_elettronica", "pec"),
    "url": ("sito", "web", "sito_web", "sito_internet", "url", "website", "link"),
    "opening_hours": ("orari", "orario", "orari_apertura", "opening_hours", "hours"),
    "languages": ("lingue", "lingue_parlate", "languages", "lingua", "language"),
    "target_groups": (
        "destinatari", "eligibility", "utenza", "target", "target_groups", "beneficiari",
    ),
    "access_modes": ("accesso", "modalita_accesso", "modalita_di_accesso", "access", "access_mode"),
    "mediation": ("mediazione", "mediatore", "mediazione_linguistica", "mediation"),
    "step_free": ("accessibile", "accessibilita", "senza_barriere", "step_free", "wheelchair"),
    "documents": ("documenti", "documenti_richiesti", "documents"),
    "cost": ("costo", "costi", "cost", "gratuito"),
    "capacity": ("capacita", "posti", "capacity", "posti_disponibili", "capienza"),
    "is_example": ("esempio", "is_example", "example", "dato_di_esempio"),
    "last_verified": (
        "verificato_il", "data_verifica", "data_ultima_verifica", "ultima_verifica",
        "data_aggiornamento", "ultimo_aggiornamento", "aggiornato_il", "data_ultimo_aggiornamento",
        "last_verified", "verified_on", "last_updated", "date_verified",
    ),
    "private_fields": (
        "riservato", "riservati", "campi_riservati", "dati_riservati", "non_pubblici",
        "private", "private_fields",
    ),
}
FIELDS = frozenset(SYNONYMS)
_BY_NAME = {name: field for field, names in SYNONYMS.items() for name in names}
PRIVATE_COLUMNS = {
    "phone": "phone", "email": "email", "url": "url", "organization": "organization_name",
    "address": "address_1", "house_number": "address_1", "postcode": "postal_code",
    "description": "description", "opening_hours": "opening_hours",
}
"""Fields a sheet may mark non-public -> the `service` columns kept out of every public view."""


def header_key(header: str) -> str:
    """'E-mail ' -> 'e_mail', 'Capacità' -> 'capacita': the form synonyms are written in."""
    return re.sub(r"-+", "_", slugify(header))


NOISE_WORDS = frozenset({
    "scuola", "scolastico", "istituto", "plesso", "struttura", "servizio", "sportello",
    "ufficio", "centro", "punto",
})
"""Words that name what a register lists ('INDIRIZZOSCUOLA' = the school's address)."""
QUALIFIERS = frozenset({"descrizione", "denominazione", "nome", "indirizzo", "numero", "recapito"})
"""Words that name a field of the words after them ('DESCRIZIONECOMUNE' = the comune)."""
STOPWORDS = frozenset({"di", "del", "della", "dello", "dei", "degli", "delle", "the", "of"})
SPLIT_MIN_CHARS = 3
"""Shortest word cut out of a run-together header (shorter ones only between separators)."""
_WORDS = frozenset(
    word for names in SYNONYMS.values() for name in names for word in name.split("_")
) | NOISE_WORDS | QUALIFIERS | STOPWORDS
_SPLIT_WORDS = sorted((w for w in _WORDS if len(w) >= SPLIT_MIN_CHARS), key=len, reverse=True)


def _split(part: str) -> list[str] | None:
    """'denominazionescuola' -> ['denominazione', 'scuola'] by greedy longest known words."""
    if part in _WORDS:
        return [part]
    words: list[str] = []
    at = 0
    while at < len(part):
        word = next((w for w in _SPLIT_WORDS if part.startswith(w, at)), None)
        if word is None:
            return None
        words.append(word)
        at += len(word)
    return words


def _field_of_words(words: list[str]) -> str | None:
    """The field that known words name: as a synonym, without noise, or after a qualifier."""
    for candidate in (words, [w for w in words if w not in NOISE_WORDS]):
        if not candidate:
            return None
        field = _BY_NAME.get("_".join(candidate))
        if field is not None:
            return field
    core = [w for w in words if w not in NOISE_WORDS]
    if len(core) > 1 and core[0] in QUALIFIERS:
        return _field_of_words(core[1:])
    return None


@functools.lru_cache(maxsize=4096)
def header_field(header: str) -> tuple[str | None, bool]:
    """The field a header names and whether by its exact spelling (else by its words).

    'telefono' is exact; 'DENOMINAZIONESCUOLA', 'INDIRIZZOEMAILSCUOLA' and 'Nome della
    struttura' are split into known words; a header with any unknown word names nothing.
    """
    key = header_key(header)
    if key in _BY_NAME:
        return _BY_NAME[key], True
    if len(key) < SPLIT_MIN_CHARS:
        return None, False
    words: list[str] = []
    for part in key.split("_"):
        split = _split(part)
        if split is None:
            return None, False
        words.extend(w for w in split if w not in STOPWORDS)
    return (_field_of_words(words) if words else None), False


def is_known_header(header: str) -> bool:
    """True when the header names a field in 3 letters or more ('x', 'id' are too common)."""
    return len(header_key(header)) >= SPLIT_MIN_CHARS and header_field(header)[0] is not None


def parse_column_map(pairs: list[str]) -> dict[str, str]:
    """Turn `col=field` strings (the CLI's --map) into a dict; refuse unknown fields."""
    mapping = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep or not column.strip() or not target.strip():
            raise InvalidInput(f"--map {pair!r}: write it as column=field")
        mapping[column.strip()] = target.strip()
    return mapping


def map_columns(headers: list[str], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Map each header to a field (first column wins); unmapped headers are left out."""
    overrides = overrides or {}
    unknown = {t for t in overrides.values() if t not in FIELDS and t != "extra"}
    if unknown:
        raise InvalidInput(
            f"unknown fields {sorted(unknown)} in the column map: use {sorted(FIELDS)}"
        )
    missing = set(overrides) - set(headers)
    if missing:
        raise InvalidInput(f"columns {sorted(missing)} in the column map are not in the file")
    mapping: dict[str, str] = {}
    taken = {t for t in overrides.values() if t != "extra"}
    for header in headers:
        if header in overrides and overrides[header] != "extra":
            mapping[header] = overrides[header]
    for exact in (True, False):  # exact names first, then names read from their words
        for header in headers:
            if header in overrides:
                continue
            field, is_exact = header_field(header)
            if field and is_exact == exact and field not in taken:
                mapping[header] = field
                taken.add(field)
    return {header: mapping[header] for header in headers if header in mapping}


def private_columns(text: str) -> tuple[set[str], list[str]]:
    """'telefono, e-mail' -> the service columns to keep private, and the words not understood."""
    columns: set[str] = set()
    unknown: list[str] = []
    for word in filter(None, (part.strip() for part in re.split(r"[,;/|]+", text))):
        key = header_key(word)
        column = PRIVATE_COLUMNS.get(_BY_NAME.get(key, key))
        if column is None and key in PRIVATE_COLUMNS.values():
            column = key
        if column is None:
            unknown.append(word)
        else:
            columns.add(column)
    return columns, unknown
