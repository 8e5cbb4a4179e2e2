import pytest

from ingest.languages import parse_languages


@pytest.mark.parametrize(
    ("text", "codes", "unknown"),
    [
        ("inglese, francese, arabo", ("en", "fr", "ar"), ()),
        ("EN/FR", ("en", "fr"), ()),
        ("wolof", ("wo",), ()),
        ("Inglese e Francese; INGLESE", ("en", "fr"), ()),
        ("bengalese + urdu | mandinka", ("bn", "ur", "mnk"), ()),
        ("arabo, lingua dei segni", ("ar",), ("lingua dei segni",)),
    ],
)
def test_parse_languages_gives_iso_codes_and_keeps_what_it_cannot_read(text, codes, unknown):
    assert parse_languages(text) == (codes, unknown)
