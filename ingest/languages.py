"""Languages as people write them ("inglese, francese, arabo", "EN/FR", "wolof") -> ISO 639."""

from __future__ import annotations

import functools
import re

from observatory.text import slugify

# ISO 639-1 where it exists, else ISO 639-3 (mandinka, soninke, tigre).
_NAMES = {
    "it": "italiano italian ita",
    "en": "inglese english eng",
    "fr": "francese french francais fra fre",
    "ar": "arabo arabic ara",
    "es": "spagnolo spanish espanol spa",
    "pt": "portoghese portuguese por",
    "de": "tedesco german deutsch deu ger",
    "ru": "russo russian rus",
    "uk": "ucraino ukrainian ukr",
    "zh": "cinese chinese mandarino mandarin zho chi",
    "ro": "rumeno romeno romanian ron rum",
    "sq": "albanese albanian sqi alb",
    "wo": "wolof wol",
    "bn": "bengalese bengali bangla bangladese ben",
    "ur": "urdu urd",
    "pa": "punjabi panjabi pan",
    "hi": "hindi hin",
    "ti": "tigrino tigrinya tir",
    "am": "amarico amharic amh",
    "so": "somalo somali som",
    "ps": "pashto pashtu pushtu pus",
    "fa": "farsi persiano persian dari fas per",
    "ku": "curdo kurdish kur",
    "tr": "turco turkish tur",
    "pl": "polacco polish pol",
    "bg": "bulgaro bulgarian bul",
    "sr": "serbo serbian srp",
    "hr": "croato croatian hrv",
    "tl": "tagalog filippino filipino tgl",
    "si": "singalese cingalese sinhala sinhalese sin",
    "ta": "tamil tam",
    "ka": "georgiano georgian kat",
    "ha": "hausa hau",
    "yo": "yoruba yor",
    "ig": "igbo ibo",
    "ff": "fula fulani peul pular ful",
    "bm": "bambara bam",
    "tw": "twi",
    "ln": "lingala lin",
    "sw": "swahili kiswahili swa",
    "mnk": "mandinka mandingo",
    "snk": "soninke",
    "tig": "tigre",
}
CODES = frozenset(_NAMES)
"""Every language code the ingest stores."""
_LOOKUP = {word: code for code, words in _NAMES.items() for word in [code, *words.split()]}
_SPLIT = re.compile(r"\s*(?:[,;/+|&]|\be\b|\band\b|\s-\s)\s*")


@functools.lru_cache(maxsize=8192)
def parse_languages(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (ISO codes in order of appearance, parts that are not a known language)."""
    codes: list[str] = []
    unknown: list[str] = []
    for part in _SPLIT.split(text):
        if not part.strip():
            continue
        code = _LOOKUP.get(slugify(part).replace("-", ""))
        if code is None:
            unknown.append(part.strip())
        elif code not in codes:
            codes.append(code)
    return tuple(codes), tuple(unknown)
