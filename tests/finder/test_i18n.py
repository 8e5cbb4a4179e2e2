"""The finder's catalogs and language helpers (no database)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from api.finder import i18n
from api.finder.messages import all_messages, code_messages, read_catalog, taxonomy_messages
from observatory.errors import InvalidInput
from observatory.language_names import language_name

PLACEHOLDER = re.compile(r"%\(\w+\)s")


def test_messages_are_extracted_from_templates_code_and_taxonomy():
    found = code_messages()
    assert "Cerca un servizio" in found and "Punto di partenza" in found
    assert "Salute" in taxonomy_messages() and "Su appuntamento" in taxonomy_messages()


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_message_is_translated_with_its_placeholders(lang):
    catalog = read_catalog(lang)
    assert not catalog.fuzzy
    for message in all_messages():
        entry = catalog.get(message)
        assert entry is not None, f"{lang}: {message!r} is not in the catalog"
        assert entry.string and not entry.fuzzy, f"{lang}: {message!r} is not translated"
        assert sorted(PLACEHOLDER.findall(entry.string)) == sorted(PLACEHOLDER.findall(message))
        if lang == "it":
            assert entry.string == message
        elif lang in ("ar", "uk", "zh"):
            assert entry.string != message or message in ("Online", "%(km)s km")


def test_catalogs_compile_in_memory():
    assert i18n.translations("ar").gettext("Cerca") == "بحث"
    assert i18n.translations("zh").gettext("Salute") == "健康"
    assert i18n.translations("it").gettext("Cerca") == "Cerca"


@pytest.mark.parametrize(
    ("asked", "header", "chosen"),
    [(None, None, "it"), (None, "fr-FR,fr;q=0.9", "fr"), (None, "de,ar;q=0.5,en;q=0.8", "en"),
     (None, "de, es", "it"), ("ZH", "fr", "zh"), (None, "uk;q=0, ro;q=0.1", "ro"),
     (None, "sq-AL", "sq")],
)
def test_language_is_the_url_s_then_accept_language_then_italian(asked, header, chosen):
    assert i18n.choose_language(asked, header) == chosen


def test_an_unknown_lang_names_the_token():
    with pytest.raises(InvalidInput, match="'klingon'"):
        i18n.choose_language("klingon", "it")


def test_language_names_come_from_cldr():
    assert language_name("sq", "it") == "albanese"
    assert language_name("ar", "ar") == "العربية"
    assert language_name("uk", "en") == "Ukrainian"
    assert language_name("xx", "it") == "xx"
    assert [i18n.direction(code) for code in ("ar", "it")] == ["rtl", "ltr"]


def test_schedule_in_words_groups_days_in_the_reader_s_language():
    schedule = [{"byday": "MO,TU,WE,TH,FR", "opens_at": "09:00", "closes_at": "13:00"},
                {"byday": "TU,TH", "opens_at": "15:00", "closes_at": "17:00"},
                {"byday": "SA,SU", "opens_at": "10:00", "closes_at": "12:00"}]
    assert i18n.schedule_in_words(schedule, "it") == [
        ("lunedì–venerdì", "09:00–13:00"), ("martedì e giovedì", "15:00–17:00"),
        ("sabato e domenica", "10:00–12:00")]
    assert i18n.schedule_in_words(schedule, "fr")[0] == ("lundi–vendredi", "09:00–13:00")
    assert i18n.schedule_in_words(None, "it") == []


def test_numbers_and_dates_in_the_locale():
    assert i18n.number(12345.4, "it") == "12.345"
    assert i18n.kilometres(20, "it") == "20,0"
    assert i18n.date_in_words(date(2026, 3, 5), "it") == "5 marzo 2026"
