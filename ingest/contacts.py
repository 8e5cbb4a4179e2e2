"""Placeholders and contacts: 'N.D.', '-', '0' are empty; phones in E.164, URLs and e-mails checked.

Every function is pure and cached on the cell text, so a registry of 100,000 rows that repeats
the same switchboard number or placeholder pays for each distinct value once.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import phonenumbers

PLACEHOLDERS = frozenset({
    "", "-", "--", "---", "----", "/", "//", "\\", "?", "??", "*", "_", "#",
    "0", "00", "000", "x", "xx", "xxx",
    "nd", "n/d", "#nd", "#n/d", "n/a", "#n/a", "nn", "nc",
    "nondisponibile", "nondisponibili", "nondisp", "nonpresente", "nonpresenti",
    "nonpervenuto", "nonprevisto", "nonapplicabile", "nonnoto", "nonnota", "nonindicato",
    "nessuno", "nessuna", "assente", "sconosciuto", "vuoto",
    "null", "nan", "none", "nil", "notavailable", "unknown",
})
"""Cell texts that mean "no value", lower-case with spaces and dots removed ('N. D.' -> 'nd').

'NA' is not one: it is the province of Napoli."""
YES_NO_VALUES = frozenset({"0", "x"})
"""Placeholders that are real answers in a yes/no column ('0' = no, 'x' = yes)."""
PLACEHOLDER_MAX_CHARS = 24
DEFAULT_REGION = "IT"
MISSING_ZERO_MIN_DIGITS = 8
"""Shortest landline (without its 0) taken as having lost its leading 0; shorter is dropped."""

_PLACEHOLDER_NOISE = re.compile(r"[\s.]+")
_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,24}$",
    re.IGNORECASE,
)
_EMAIL_LABEL = re.compile(r"^(e-?mail|mail|pec|posta(\s+elettronica)?(\s+certificata)?)\s*:?\s*",
                          re.IGNORECASE)
_EMAIL_SPLIT = re.compile(r"[\s;,]+")
_HOST = r"([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,24}"
_URL = re.compile(rf"^https?://{_HOST}(:\d{{1,5}})?([/?#]\S*)?$", re.IGNORECASE)
_BARE_DOMAIN = re.compile(rf"^{_HOST}(:\d{{1,5}})?([/?#]\S*)?$", re.IGNORECASE)
_BROKEN_SCHEME = re.compile(r"^(https?)\s*(?::\s*/?|/{1,2}|:?\\\\)\s*(?=[a-z0-9])", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"[\s./()\-]")
_PLAIN_ITALIAN = re.compile(r"^(?:\+39|0039)?([03]\d{5,10})$")
"""A cell holding one Italian landline (0...) or mobile (3...) number, +39 optional."""


@dataclass(frozen=True)
class Checked:
    """A contact as it is stored (None: dropped) and, when it changed, the warning to give."""

    value: str | None
    code: str | None = None
    message: str | None = None


_FIRST_CHARS = frozenset(key[0] for key in PLACEHOLDERS if key) | {" ", "\t", "."}


def is_placeholder(text: str, yes_no: bool = False) -> bool:
    """True when the cell means "no value" ('Non Disponibile', 'N.D.', '-', 'null', '0')."""
    if not text or len(text) > PLACEHOLDER_MAX_CHARS or text[0].lower() not in _FIRST_CHARS:
        return False
    return _is_placeholder(text, yes_no)


@functools.lru_cache(maxsize=4096)
def _is_placeholder(text: str, yes_no: bool) -> bool:
    key = _PLACEHOLDER_NOISE.sub("", text.lower())
    if yes_no and key in YES_NO_VALUES:
        return False
    return key in PLACEHOLDERS


@functools.lru_cache(maxsize=65536)
def check_url(text: str) -> Checked:
    """A web address with its scheme; 'https//x', 'www.x' and 'comune.x.it' repaired."""
    url = text.strip().strip("<>\"'")
    first = url.split()[0] if url.split() else ""
    several = first != url
    url = first
    repaired = _BROKEN_SCHEME.sub(lambda m: m.group(1).lower() + "://", url, count=1)
    if not repaired.lower().startswith(("http://", "https://")) and _BARE_DOMAIN.match(repaired):
        repaired = "https://" + repaired
    if not _URL.match(repaired):
        return Checked(None, "malformed_url", "not a web address: dropped")
    if several:
        return Checked(repaired, "several_urls", f"several addresses: kept {repaired}")
    if repaired != text.strip():
        return Checked(repaired, "url_repaired", f"written {text.strip()!r}: stored {repaired}")
    return Checked(repaired)


@functools.lru_cache(maxsize=65536)
def check_email(text: str) -> Checked:
    """The first valid e-mail address of the cell (PEC or not), lower-case domain."""
    parts = [p.strip("<>()[]\"'") for p in _EMAIL_SPLIT.split(text.strip()) if p]
    parts = [_EMAIL_LABEL.sub("", p.removeprefix("mailto:")) for p in parts]
    valid = [p for p in parts if _EMAIL.match(p)]
    if not valid:
        return Checked(None, "malformed_email", "not an e-mail address: dropped")
    local, _, domain = valid[0].rpartition("@")
    email = f"{local}@{domain.lower()}"
    others = [p for p in parts if "@" in p and p != valid[0]]
    if others:
        return Checked(email, "several_emails", f"several addresses: kept {email}")
    return Checked(email)


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parse(text: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None


def _italian(number: phonenumbers.PhoneNumber) -> Checked:
    """A valid number in E.164; one outside Italy kept with a warning."""
    e164 = _e164(number)
    region = phonenumbers.region_code_for_number(number)
    if region != DEFAULT_REGION:
        return Checked(e164, "phone_not_italian", f"not an Italian number ({region}): check it")
    return Checked(e164)


@functools.lru_cache(maxsize=4096)
def _valid_italian(prefix: str, length: int) -> bool:
    """Whether Italian numbers starting with `prefix` (6 digits) and this long are valid.

    Italy's numbering plan tells valid numbers by their first digits and their length, so
    one number of each prefix and length is checked with phonenumbers.
    """
    number = _parse(prefix.ljust(length, "5"))
    return number is not None and phonenumbers.is_valid_number(number)


@functools.lru_cache(maxsize=65536)
def check_phone(text: str) -> Checked:
    """The first valid number of the cell in E.164 (Italian by default), else dropped.

    A number that lost its leading 0 ('817961111' for 081 7961111) gets it back, flagged.
    """
    plain = _PLAIN_ITALIAN.match(_PHONE_CHARS.sub("", text))
    if plain and _valid_italian(plain.group(1)[:6], len(plain.group(1))):
        return Checked("+39" + plain.group(1))  # the common case, without parsing
    number = _parse(text)
    if number is not None and phonenumbers.is_valid_number(number):
        return _italian(number)
    found = [m.number for m in phonenumbers.PhoneNumberMatcher(text, DEFAULT_REGION)]
    if found:
        checked = _italian(found[0])
        if len(found) > 1:
            return Checked(checked.value, "several_phones",
                           f"{len(found)} numbers: kept the first, {checked.value}")
        return checked
    digits = _PHONE_CHARS.sub("", text)
    if digits.isdigit() and digits[0] not in "03" and len(digits) >= MISSING_ZERO_MIN_DIGITS:
        restored = _parse("0" + digits)
        if restored is not None and phonenumbers.is_valid_number(restored):
            e164 = _e164(restored)
            return Checked(e164, "phone_missing_zero",
                           f"not a valid number: the leading 0 was lost? stored {e164}, check it")
    return Checked(None, "malformed_phone", "not a valid phone number: dropped")
