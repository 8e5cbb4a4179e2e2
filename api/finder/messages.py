"""The finder's messages: extracted from its templates and code, plus the taxonomy's labels.

`python -m api.finder.messages` adds new messages to every catalog (observatory/locale), so a
translator finds them there with an empty translation, and drops those no page shows any more;
Italian, the reference, repeats its id.
"""

from __future__ import annotations

from datetime import datetime

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from api.finder import i18n
from api.finder.render import HERE
from observatory.settings import get_settings
from observatory.taxonomy import read_attributes, read_categories

METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}


def code_messages() -> list[str]:
    """Message ids written in the finder's templates and Python code, in order."""
    found = extract_from_dir(HERE, METHODS, options_map=OPTIONS)
    ids = [message for _, _, message, _, _ in found if isinstance(message, str)]
    return list(dict.fromkeys(ids))


def taxonomy_messages() -> list[str]:
    """The Italian labels of the categories, target groups and access modes."""
    path = get_settings().taxonomy_file
    labels = [category.label_it for category in read_categories(path)]
    attributes = read_attributes(path)
    for name in ("target_groups", "access_modes"):
        labels += [entry["it"] for entry in attributes.get(name, {}).get("values") or []]
    return list(dict.fromkeys(labels))


def all_messages() -> list[str]:
    """Every message a finder page can show."""
    return list(dict.fromkeys([*code_messages(), *taxonomy_messages()]))


def read_catalog(lang: str) -> Catalog:
    """The catalog of `lang` as its .po file holds it."""
    with i18n.catalog_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang)


def update_catalogs() -> dict[str, int]:
    """Add the messages missing from each catalog and drop those no page shows; return how
    many each got."""
    added: dict[str, int] = {}
    messages = all_messages()
    for lang in i18n.LANGUAGES:
        path = i18n.catalog_path(lang)
        if path.is_file():
            catalog = read_catalog(lang)
        else:
            catalog = Catalog(locale=lang, project="Osservatorio", creation_date=datetime.now())
        added[lang] = 0
        for message in messages:
            if message not in catalog:
                catalog.add(message, message if lang == "it" else "")
                added[lang] += 1
        for gone in [m.id for m in catalog if m.id and m.id not in messages]:
            catalog.delete(gone)  # no page shows it any more
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, sort_output=False)
    return added


if __name__ == "__main__":
    print(update_catalogs())
