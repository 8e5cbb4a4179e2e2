"""Map labels, Italian first and English with `--lang en`, and number formatting per language."""

from __future__ import annotations

import math

LANGUAGES = ("it", "en")

LABELS: dict[str, tuple[str, str]] = {
    "coverage": ("Copertura dei servizi", "Service coverage"),
    "gaps": ("Comuni scoperti", "Service gaps"),
    "all_categories": ("tutte le categorie", "all categories"),
    "category": ("Categoria", "Category"),
    "comuni": ("Comuni", "Municipalities"),
    "areas": ("Aree territoriali", "Territorial areas"),
    "area": ("Area", "Area"),
    "services": ("Servizi", "Services"),
    "catchment": ("Bacino di {km} km", "{km} km catchment"),
    "access_per_10k": (
        "Accessibilità (indice {method}) per 10.000 {demand}",
        "Accessibility ({method} index) per 10,000 {demand}",
    ),
    "demand_residents": ("residenti", "residents"),
    "demand_foreign_residents": ("stranieri residenti", "foreign residents"),
    "foreign_residents": ("Stranieri residenti", "Foreign residents"),
    "all_equal": ("tutti uguali", "all equal"),
    "parameter_category": ("Categoria", "Category"),
    "parameter_demand": ("Domanda", "Demand"),
    "parameter_catchment_km": ("Bacino (km)", "Catchment (km)"),
    "parameter_method": ("Metodo", "Method"),
    "parameter_supply": ("Offerta", "Supply"),
    "parameter_weight": ("Peso", "Weight"),
    "parameter_sigma_km": ("Sigma gaussiana (km)", "Gaussian sigma (km)"),
    "parameter_threshold_per_10k": ("Soglia per 10.000", "Threshold per 10,000"),
    "parameter_percentile": ("Percentile", "Percentile"),
    "parameter_year": ("Anno della popolazione", "Population year"),
    "supply_count": ("un servizio = 1", "one per service"),
    "supply_capacity": ("capacità dichiarata", "stated capacity"),
    "missing": ("Categorie mancanti", "Missing categories"),
    "missing_legend": (
        "Categorie senza servizi entro {km} km (su {total})",
        "Categories with no service within {km} km (of {total})",
    ),
    "missing_count": ("Categorie mancanti", "Missing categories"),
    "missing_list": ("Senza servizi entro il bacino", "No service within the catchment"),
    "affected": ("Stranieri residenti interessati", "Foreign residents affected"),
    "none_missing": ("nessuna", "none"),
    "unmet_demand": ("Domanda non servita (persone)", "Unmet demand (people)"),
    "demand": ("Domanda (persone)", "Demand (people)"),
    "residents": ("Residenti", "Residents"),
    "nearest_km": ("Servizio più vicino (km)", "Nearest service (km)"),
    "services_within": ("Servizi nel bacino", "Services within catchment"),
    "covered": ("Coperto", "Covered"),
    "not_gap": ("Comune servito", "Served municipality"),
    "no_demand": ("Nessun residente", "No residents"),
    "no_data": ("Dato non disponibile", "No data"),
    "zero": ("Nessun servizio", "No service"),
    "yes": ("sì", "yes"),
    "no": ("no", "no"),
    "organization": ("Ente", "Organisation"),
    "address": ("Indirizzo", "Address"),
    "phone": ("Telefono", "Phone"),
    "opening_hours": ("Orari", "Opening hours"),
    "languages": ("Lingue", "Languages"),
    "precision": ("Precisione della posizione", "Location precision"),
    "precision_provided": ("coordinate fornite", "coordinates provided"),
    "precision_street": ("indirizzo", "street address"),
    "precision_postcode": ("CAP", "postcode"),
    "precision_municipality": ("centro del comune", "municipality centre"),
    "approximate_municipality": (
        "posizione approssimata: punto del comune", "approximate location: comune point"
    ),
    "approximate_postcode": (
        "posizione approssimata: punto del CAP", "approximate location: postcode point"
    ),
    "example": ("Dato di esempio", "Example data"),
    "last_verified": ("Verificato il", "Last verified"),
    "stale": (
        "Non verificato da oltre {days} giorni", "Not verified for more than {days} days"
    ),
    "example_notice": (
        "Contiene dati di esempio, non servizi reali.",
        "Contains example data, not real services.",
    ),
    "data_date": ("Dati aggiornati al", "Data as of"),
    "geography": ("Geografia ISTAT", "ISTAT geography"),
    "analysis": ("Analisi", "Analysis"),
    "run": ("esecuzione n. {id} del {date}", "run no. {id} of {date}"),
    "runs": ("{count} esecuzioni (n. {ids})", "{count} runs (no. {ids})"),
    "gap_legend": (
        "Comuni scoperti o con bassa accessibilità, per domanda non servita ({demand})",
        "Uncovered or low-access municipalities, by unmet demand ({demand})",
    ),
    "parameters": ("Parametri", "Parameters"),
    "osm_credit": ("Sfondo © contributori OpenStreetMap", "Basemap © OpenStreetMap contributors"),
    "osm": ("OpenStreetMap", "OpenStreetMap"),
    "index_title": ("Mappe dell'Osservatorio", "Observatory maps"),
    "region": ("Regione", "Region"),
    "no_maps": ("Nessuna mappa generata.", "No maps rendered."),
}


def label(key: str, lang: str, **values: object) -> str:
    """The label `key` in `lang` ("it" or "en"), with `{placeholders}` filled from `values`."""
    text = LABELS[key][LANGUAGES.index(lang)]
    return text.format(**values) if values else text


def number(value: float | None, lang: str, decimals: int = 0) -> str:
    """Format a number for readers of `lang`: 12.345,6 in Italian, 12,345.6 in English."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    if lang == "it":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text
