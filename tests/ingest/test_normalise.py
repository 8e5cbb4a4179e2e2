from ingest.columns import map_columns
from ingest.normalise import Rules, clean, normalise, source_key
from ingest.parse import attribute_lookup
from observatory.settings import get_settings


def _rules(headers, **kwargs) -> Rules:
    taxonomy = get_settings().taxonomy_file
    return Rules(
        columns=map_columns(headers),
        target_groups=attribute_lookup(taxonomy, "target_groups"),
        access_modes=attribute_lookup(taxonomy, "access_modes"),
        **kwargs,
    )


def test_normalise_maps_fields_parses_free_text_and_keeps_unmapped_columns_in_extra():
    row = {
        "Nome": "  Sportello   Migranti ", "Indirizzo": "Via Roma", "Civico": "12",
        "Comune": "Napoli", "Lingue": "inglese, francese, klingon", "Orari": "lun-ven 9-13",
        "Destinatari": "richiedenti asilo, tutti", "Accesso": "su appuntamento",
        "Mediazione": "sì", "Referente": "Maria", "Vuota": "",
    }
    record = normalise(7, row, _rules(list(row)))
    assert record.row_number == 7
    assert record.name == "Sportello Migranti"
    assert record.address == "Via Roma 12"
    assert record.languages == ["en", "fr"]
    assert record.schedule == [
        {"byday": "MO,TU,WE,TH,FR", "opens_at": "09:00", "closes_at": "13:00"}
    ]
    assert record.target_groups == ["asylum_seekers"]
    assert record.eligibility_description == "richiedenti asilo, tutti"
    assert record.access_modes == ["appointment"]
    assert record.mediation_available is True
    assert record.extra == {"Referente": "Maria"}
    assert record.unparsed == {"languages": "klingon", "target_groups": "tutti"}
    assert record.raw is row


def test_normalise_applies_run_category_and_example_flag_and_keeps_unparsed_hours():
    row = {"nome": "CPIA", "comune": "Bari", "orari": "su appuntamento"}
    record = normalise(2, row, _rules(list(row), category="LIN-CPI", is_example=True))
    assert record.category == "LIN-CPI"
    assert record.is_example
    assert record.schedule is None
    assert record.opening_hours == "su appuntamento"
    assert record.unparsed == {"opening_hours": "su appuntamento"}


def test_source_key_is_the_id_else_normalised_name_address_comune():
    assert source_key({"id": " 42 ", "name": "X"}) == "id:42"
    written = {"name": "Caffè  Sociale", "address": "Via Roma 1", "municipality": "NAPOLI"}
    retyped = {"name": "caffe sociale", "address": "via roma, 1", "municipality": "Napoli"}
    assert source_key(written) == source_key(retyped)


def test_clean_undoes_escaped_apostrophes_and_collapses_spaces():
    assert clean("Cava de\\' Tirreni") == "Cava de' Tirreni"
    assert clean(" a \t b\n") == "a b"


def test_postcode_is_five_digits_else_kept_as_written_in_unparsed():
    row = {"nome": "A", "comune": "Bari", "cap": "1100"}
    assert normalise(2, row, _rules(list(row))).postcode == "01100"
    row = {"nome": "A", "comune": "Bari", "cap": "70121 Bari centro"}
    record = normalise(2, row, _rules(list(row)))
    assert record.postcode is None
    assert record.unparsed == {"postcode": "70121 Bari centro"}
