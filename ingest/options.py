"""The checks of the ingest's reading options: one rule for the command line and the upload.

`IngestOptions` runs them when it is built, so `observatory ingest --decimal x` and an upload
with `decimal=x` are refused with the same message. An empty value is an option left out (a
form's empty field). Light: no reader or database imported.
"""

from __future__ import annotations

import json

from observatory.errors import InvalidInput

DECIMALS = (".", ",")
TAB_SPELLINGS = {"\\t": "\t"}
"""How a tab delimiter may be written where a real tab is awkward (a shell, a form)."""
MAX_ENCODING_CHARS = 40
MAX_SHEET_CHARS = 200
MAX_CATEGORY_CHARS = 200
MAX_COLUMN_CHARS = 500


def _no_nul(name: str, value: str) -> None:
    if "\x00" in value:
        raise InvalidInput(f"{name} holds a NUL byte")


def check_decimal(decimal: str | None) -> str | None:
    """The decimal separator: '.' or ',' (None: detected from the coordinates)."""
    if not decimal or decimal in DECIMALS:
        return decimal or None
    raise InvalidInput(f"decimal separator {decimal!r}: use '.' or ','")


def check_delimiter(delimiter: str | None) -> str | None:
    """One CSV delimiter character, `\\t` for a tab (None: detected)."""
    if not delimiter:
        return None
    delimiter = TAB_SPELLINGS.get(delimiter, delimiter)
    if len(delimiter) != 1 or delimiter.isalnum() or delimiter in '"\r\n\x00':
        raise InvalidInput(
            f"delimiter {delimiter!r}: use one character that is not a letter, digit, "
            "quote or line break, such as ';' ',' '|' or \\t for a tab"
        )
    return delimiter


def check_encoding(encoding: str | None) -> str | None:
    """A text encoding Python knows, such as utf-8 or cp1252 (None: detected)."""
    if not encoding:
        return None
    _no_nul("encoding", encoding)
    try:
        if len(encoding) > MAX_ENCODING_CHARS:
            raise LookupError(encoding)
        "".encode(encoding)  # also refuses codecs that are not text encodings (rot13, base64)
    except LookupError:
        raise InvalidInput(
            f"cannot decode the file as {encoding[:MAX_ENCODING_CHARS]}: not a text encoding "
            "(use e.g. utf-8, cp1252 or latin-1, or leave it out to detect it)"
        ) from None
    return encoding


def check_name(name: str, value: str | None, max_chars: int) -> str | None:
    """A name option (category, sheet): not blank, no NUL byte, at most `max_chars`."""
    if not value:
        return None
    _no_nul(name, value)
    if not value.strip():
        raise InvalidInput(f"{name} is blank: give a name or leave the option out")
    if len(value) > max_chars:
        raise InvalidInput(f"{name} is longer than {max_chars} characters")
    return value


def check_column_map(column_map: dict[str, str]) -> dict[str, str]:
    """File column -> service field, both non-blank text; the fields are checked on reading."""
    for column, target in column_map.items():
        for value in (column, target):
            _no_nul("the column map", value)
            if not value.strip() or len(value) > MAX_COLUMN_CHARS:
                raise InvalidInput(
                    f"column map {column!r} -> {target!r}: names must be 1 to "
                    f"{MAX_COLUMN_CHARS} characters"
                )
    return column_map


def column_map_from_json(raw: str | None) -> dict[str, str]:
    """Parse the upload's JSON object {"file column": "service field"} (empty: no map)."""
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"column_map is not JSON: {error}") from error
    if not isinstance(parsed, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
    ):
        raise InvalidInput('column_map must be a JSON object {"file column": "field"}')
    return parsed
