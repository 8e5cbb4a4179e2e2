import pytest

from ingest.parse import (
    attribute_lookup,
    detect_decimal,
    parse_bool,
    parse_codes,
    parse_number,
)
from observatory.settings import get_settings


def test_detect_decimal_comma_from_coordinate_values():
    assert detect_decimal(["", "40,8518", "14.2"]) == ","
    assert detect_decimal(["40.8518", "14.2681"]) == "."


@pytest.mark.parametrize(
    ("text", "decimal", "value"),
    [("40,8518", ",", 40.8518), ("40.8518", ",", 40.8518), (" 14.25 ", ".", 14.25),
     ("abc", ".", None), ("nan", ".", None), ("", ".", None)],
)
def test_parse_number_decimal_comma_becomes_float(text, decimal, value):
    assert parse_number(text, decimal) == value


@pytest.mark.parametrize(
    ("text", "value"), [("Sì", True), ("x", True), ("yes", True), ("No", False), ("forse", None)]
)
def test_parse_bool(text, value):
    assert parse_bool(text) is value



def test_parse_codes_maps_labels_and_phrases_to_taxonomy_codes():
    taxonomy = get_settings().taxonomy_file
    groups = attribute_lookup(taxonomy, "target_groups")
    access = attribute_lookup(taxonomy, "access_modes")
    assert parse_codes("Richiedenti asilo, titolari di protezione", groups) == (
        ("asylum_seekers", "protection_holders"), ()
    )
    assert parse_codes("STP/ENI e MSNA", groups) == (("stp", "eni", "unaccompanied_minors"), ())
    assert parse_codes("senza appuntamento o su invio", access) == (("walk_in", "referral"), ())
    assert parse_codes("per telefono", access) == ((), ("per telefono",))
