import pytest

from ingest.columns import map_columns, parse_column_map, private_columns
from observatory.errors import InvalidInput


def test_map_columns_italian_and_english_synonyms_with_accents_and_case():
    headers = ["Denominazione", "ENTE", "Tipologia", "Via", "Civico", "CAP", "Comune",
               "Sigla", "Latitudine", "Lng", "E-mail", "Sito web", "Capacità", "Colore"]
    assert map_columns(headers) == {
        "Denominazione": "name", "ENTE": "organization", "Tipologia": "category",
        "Via": "address", "Civico": "house_number", "CAP": "postcode", "Comune": "municipality",
        "Sigla": "province", "Latitudine": "lat", "Lng": "lon", "E-mail": "email",
        "Sito web": "url", "Capacità": "capacity",
    }


def test_map_columns_first_synonym_wins_and_overrides_take_precedence():
    headers = ["nome", "denominazione", "codice struttura"]
    assert map_columns(headers) == {"nome": "name", "codice struttura": "id"}  # by its words
    overrides = {"denominazione": "name", "codice struttura": "id", "nome": "extra"}
    mapping = map_columns(headers, overrides)
    assert mapping == {"denominazione": "name", "codice struttura": "id"}


def test_map_columns_refuses_unknown_fields_and_missing_columns():
    with pytest.raises(InvalidInput, match="unknown fields \\['colour'\\]"):
        map_columns(["nome"], {"nome": "colour"})
    with pytest.raises(InvalidInput, match="not in the file"):
        map_columns(["nome"], {"denominazione": "name"})


def test_parse_column_map_reads_col_equals_field():
    assert parse_column_map(["DENOMINAZIONE AZIENDA=name", " ANNO = extra"]) == {
        "DENOMINAZIONE AZIENDA": "name", "ANNO": "extra",
    }
    with pytest.raises(InvalidInput, match="column=field"):
        parse_column_map(["nome"])


def test_private_columns_names_fields_in_italian_or_english_and_keeps_the_rest_apart():
    assert private_columns("telefono, E-mail; ente / boh") == (
        {"phone", "email", "organization_name"}, ["boh"]
    )
    assert private_columns("phone|address_1") == ({"phone", "address_1"}, [])
