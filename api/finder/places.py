"""Where a finder search starts: a comune typed (with suggestions), an address the offline
gazetteer can place, a postcode, or a point; read once per app from the loaded geography."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from psycopg import AsyncConnection

if TYPE_CHECKING:
    from ingest.gazetteer import Comune as Place
    from ingest.gazetteer import Gazetteer

COMUNI_SQL = (
    "SELECT m.code, m.name, p.short, ST_X(m.point), ST_Y(m.point), a.area_code "
    "FROM municipality m JOIN province p ON p.code = m.province_code "
    "LEFT JOIN area_municipality a ON a.municipality_code = m.code ORDER BY m.name"
)
PROVINCES_SQL = "SELECT short, name FROM province"
SUGGESTIONS = 10


@dataclass
class Resolved:
    """What typed text resolved to: a comune (the gazetteer's `Comune`) and how it was found,
    or the choices."""

    place: Place | None
    how: str = ""  # comune, address, postcode
    choices: list[Place] = field(default_factory=list)


@dataclass
class Places:
    """The loaded comuni, keyed for suggestions and matching."""

    comuni: dict[int, Place]
    provinces: dict[str, str]
    _keys: list[tuple[str, Place]] = field(init=False)
    _gazetteer: Gazetteer | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        from ingest.gazetteer import name_key

        self._keys = sorted(((name_key(p.name), p) for p in self.comuni.values()),
                            key=lambda item: item[0])

    def suggest(self, typed: str, limit: int = SUGGESTIONS) -> list[Place]:
        """Comuni whose name starts with `typed` (accents and case aside), then containing it."""
        from ingest.gazetteer import name_key

        key = name_key(typed)
        if not key:
            return []
        starts = [p for k, p in self._keys if k.startswith(key)]
        if len(starts) < limit:
            starts += [p for k, p in self._keys if key in k and not k.startswith(key)]
        return starts[:limit]

    def gazetteer(self) -> Gazetteer:
        """The ingest gazetteer over these comuni (history archive and CAPs read once)."""
        if self._gazetteer is None:
            from ingest.gazetteer import Gazetteer

            self._gazetteer = Gazetteer(self.comuni, self.provinces)
        return self._gazetteer

    def resolve(self, typed: str) -> Resolved:
        """A comune's name, a CAP, or an address the gazetteer places (at the comune's point)."""
        from ingest.address import split_address
        from ingest.gazetteer import name_key

        text = typed.strip()
        key = name_key(text)
        exact = [p for k, p in self._keys if k == key]
        if len(exact) == 1:
            return Resolved(exact[0], "comune")
        if exact:
            return Resolved(None, choices=exact)
        gazetteer = self.gazetteer()
        if text.isdigit() and len(text) == 5:
            return self._postcode(text)
        packed = split_address(text, set(gazetteer.provinces.values()), gazetteer.is_comune)
        if packed is not None:
            if packed.comune:
                match = gazetteer.match(packed.comune, packed.province, packed.postcode)
                if match.comune is not None:
                    return Resolved(self.comuni[match.comune.code], "address")
            if packed.postcode:
                return self._postcode(packed.postcode)
        match = gazetteer.match(text)
        if match.comune is not None and match.comune.code in self.comuni:
            return Resolved(self.comuni[match.comune.code], "comune")
        return Resolved(None, choices=self.suggest(text) or self._closest(text))

    def _postcode(self, postcode: str) -> Resolved:
        codes = [code for code, caps in self.gazetteer().postcodes.items()
                 if postcode in caps and code in self.comuni]
        if len(codes) == 1:
            return Resolved(self.comuni[codes[0]], "postcode")
        return Resolved(None, choices=[self.comuni[code] for code in codes])

    def _closest(self, text: str) -> list[Place]:
        from rapidfuzz import fuzz, process

        from ingest.gazetteer import name_key

        keys = [k for k, _ in self._keys]
        found = process.extract(name_key(text), keys, scorer=fuzz.WRatio, limit=5)
        return [self._keys[index][1] for _, score, index in found if score >= 70]


async def load_places(conn: AsyncConnection) -> Places:
    """Read the comuni and provinces of the loaded geography."""
    from ingest.gazetteer import Comune, name_key

    rows: list[Any] = await (await conn.execute(COMUNI_SQL)).fetchall()
    comuni = {row[0]: Comune(*row) for row in rows}
    provinces: dict[str, str] = {}
    for short, name in await (await conn.execute(PROVINCES_SQL)).fetchall():
        provinces[short.upper()] = short.upper()
        provinces[name_key(name)] = short.upper()
    return Places(comuni, provinces)
