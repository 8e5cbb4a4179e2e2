"""Render maps to HTML strings and write them, with an index, into a folder."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from sqlalchemy.orm import Session

from maps import coverage, gaps
from maps.data import MapParameters, Scope, list_scopes, resolve_scope
from maps.index import KINDS, IndexRow, Link, index_html, index_rows
from maps.labels import label
from maps.render import MapInputs, load_inputs, to_html
from observatory.errors import InvalidInput
from observatory.progress import track

BUILDERS = {"coverage": coverage.build, "gaps": gaps.build}
MANIFEST = "maps.json"


def map_title(kind: str, category: str | None) -> str:
    """The label key of a map's title: the gap map of all services shows missing categories."""
    return "missing" if kind == "gaps" and category is None else kind


def render_map(session: Session, inputs: MapInputs, kind: str) -> str:
    """The standalone HTML of the `kind` map ("coverage" or "gaps") of `inputs`."""
    fmap = BUILDERS[kind](session, inputs)
    title = label(map_title(kind, inputs.category), inputs.lang)
    return to_html(fmap, f"{title} — {inputs.scope.title}", inputs.lang)


def select_scopes(
    session: Session, regions: list[str], area: str | None, with_areas: bool
) -> list[Scope]:
    """The scopes to render: one area; else the named regions (all when none), with their areas."""
    if area is not None:
        if len(regions) > 1:
            raise InvalidInput("--area takes at most one --region")
        return [resolve_scope(session, regions[0] if regions else None, area)]
    chosen = {resolve_scope(session, name).region_code for name in regions}
    return [
        scope
        for scope in list_scopes(session, with_areas)
        if not chosen or scope.region_code in chosen
    ]


def render_scope_map(
    session: Session,
    scope: Scope,
    kind: str,
    params: MapParameters,
    lang: str,
    tiles: bool,
    api_root: str | None = None,
) -> str:
    """Read what the map of `scope` needs and render its `kind` map with `params`.

    With `api_root` (the API's root relative to the page), the page draws its comuni, areas
    and services from the API's vector tiles (`maps.served`); without, it is standalone.
    """
    inputs = load_inputs(session, scope, params, lang, tiles)
    if api_root is not None:
        from maps.served import render_served

        return render_served(session, inputs, kind, api_root)
    return render_map(session, inputs, kind)


@dataclass(frozen=True)
class Written:
    """One map file written: where, and what it shows."""

    path: str
    region_code: int
    area_code: str | None
    kind: str
    category: str | None
    lang: str
    size_bytes: int


def map_path(scope: Scope, kind: str, category: str | None, lang: str) -> str:
    """Relative file of a map: 'campania/napoli/coverage-SAN.en.html'."""
    suffix = (f"-{category}" if category else "") + ("" if lang == "it" else f".{lang}")
    return f"{scope.path}/{kind}{suffix}.html"


def write_maps(
    session: Session,
    scopes: list[Scope],
    out_dir: Path,
    params: MapParameters,
    lang: str,
    tiles: bool,
    categories: list[str | None] | None = None,
) -> list[Written]:
    """Render the coverage and gap maps of each scope (for each of `categories`, default the
    category of `params`) into `out_dir`."""
    chosen = [params.category] if categories is None else categories
    written = []
    jobs = [(scope, category) for scope in scopes for category in chosen]
    for scope, category in track(jobs, len(jobs), "Mappe / maps"):
        inputs = load_inputs(session, scope, replace(params, category=category), lang, tiles)
        for kind in KINDS:
            relative = map_path(scope, kind, category, lang)
            target = out_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render_map(session, inputs, kind), encoding="utf-8")
            written.append(
                Written(
                    relative, scope.region_code, scope.area_code, kind, category, lang,
                    target.stat().st_size,
                )
            )
    return written


def _merge_manifest(out_dir: Path, written: Iterable[Written]) -> list[Written]:
    """Add `written` to the folder's manifest, forgetting maps whose file is gone."""
    path = out_dir / MANIFEST
    entries = {}
    if path.exists():
        entries = {e["path"]: Written(**e) for e in json.loads(path.read_text(encoding="utf-8"))}
    entries |= {w.path: w for w in written}
    kept = [w for w in entries.values() if (out_dir / w.path).exists()]
    path.write_text(json.dumps([asdict(w) for w in kept], indent=1), encoding="utf-8")
    return kept


def write_index(out_dir: Path, scopes: list[Scope], written: list[Written], lang: str) -> Path:
    """Write `index.html` linking every map in `out_dir` (this run's and earlier ones).

    `scopes` is every region and area, in the order the index lists them.
    """
    maps = _merge_manifest(out_dir, written)

    def links(scope: Scope, kind: str) -> list[Link]:
        return [
            Link(w.path, _link_text(w))
            for w in maps
            if (w.region_code, w.area_code, w.kind) == (scope.region_code, scope.area_code, kind)
        ]

    rows: list[IndexRow] = index_rows(scopes, links)
    target = out_dir / "index.html"
    target.write_text(index_html(rows, lang), encoding="utf-8")
    return target


def _link_text(written: Written) -> str:
    category = written.category or label(
        map_title(written.kind, None) if written.kind == "gaps" else "all_categories",
        written.lang,
    )
    return f"{category} ({written.lang})"
