"""The printable report of one territorial area (HTML, and PDF printed by headless Chromium).

One page for the area's working group: key figures with their parameters and data dates,
a coverage map and a gap map (static SVG), the categories missing where, the trend charts,
the change since 31 December of last year (services opened and closed, a change map),
the services with their verification date, and the sources with their licences. Everything
is inline (no network, no script), so the HTML prints the same anywhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory.analysis.parameters import DEFAULT_CATCHMENT_KM, Parameters
from observatory.errors import InvalidInput, ObservatoryError, ToolMissing

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PRINT_TIMEOUT_S = 120
# sequential, light to dark (ColorBrewer YlOrBr, safe for colour-vision deficiencies)
MISSING_CLASSES = ((0, 0, "#ffffd4"), (1, 3, "#fed98e"), (4, 7, "#fe9929"), (8, 99, "#cc4c02"))
GAP, NO_GAP, NO_DEMAND = "#D55E00", "#56B4E9", "#eeeeee"  # Okabe-Ito, and grey
SIMPLIFY_DEGREES = 0.0005  # about 50 m: enough for a printed map, keeps the page small

COMUNI_SQL = """
SELECT m.code, m.name, ST_AsBinary(ST_SimplifyPreserveTopology(m.geom, :tolerance)) AS wkb
FROM municipality m JOIN area_municipality a ON a.municipality_code = m.code
WHERE a.area_code = :area ORDER BY m.code
"""
SERVICES_SQL = """
SELECT s.id, s.name, s.category_code, c.label_it, c.label_en, m.name AS comune,
       s.last_verified, s.created_at, s.status, s.source, ST_X(s.geom) AS lon,
       ST_Y(s.geom) AS lat
FROM service_public s
JOIN area_municipality a ON a.municipality_code = s.municipality_code
JOIN municipality m ON m.code = s.municipality_code
LEFT JOIN service_category c ON c.code = s.category_code
WHERE a.area_code = :area AND s.status <> 'closed'
ORDER BY s.category_code NULLS LAST, m.name, s.name, s.id
"""
SOURCES_SQL = """
SELECT s.source, count(*) AS services, min(s.last_verified) AS oldest_verified,
       max(s.last_verified) AS newest_verified,
       (SELECT max(r.finished_at) FROM ingest_run r WHERE r.source = s.source) AS last_ingest
FROM service_public s
JOIN area_municipality a ON a.municipality_code = s.municipality_code
WHERE a.area_code = :area AND s.status <> 'closed'
GROUP BY s.source ORDER BY s.source
"""
GAPS_SQL = """
SELECT municipality_code, demand, covered, is_gap, unmet_demand FROM analysis_result
WHERE run_id = :run AND municipality_code = ANY(:codes)
"""


def _missing_class(count: int) -> str:
    return next(colour for low, high, colour in MISSING_CLASSES if low <= count <= high)


def report_context(
    session: Session, area: str, catchment_km: float = DEFAULT_CATCHMENT_KM,
    today: date | None = None,
) -> dict[str, Any]:
    """Everything the report shows, computed on the current data (runs stored, committed)."""
    import shapely

    from observatory import change as change_mod
    from observatory import trends
    from observatory.analysis import missing as missing_mod
    from observatory.analysis.results import ensure_run, run_reference
    from observatory.foreign_residents import CREDIT as FOREIGN_CREDIT
    from observatory.freshness import is_stale, stale_after_days
    from observatory.geography import CREDIT as GEOGRAPHY_CREDIT
    from observatory.geography import loaded_year
    from observatory.svg import map_svg

    today = today or date.today()
    group = trends.resolve_group(session, "area", area)
    document = trends.trends(session, "area", group.code, None, catchment_km)
    now_rows = {r["category"]: r for r in document["rounds"] if r["date"] == today.isoformat()}
    if not now_rows:  # the default rounds end today; a test may pin `today`
        now_rows = {r["category"]: r for r in document["rounds"]
                    if r["date"] == document["parameters"]["rounds"][-1]}
    gaps_run = ensure_run(session, Parameters("gaps", None, catchment_km=catchment_km))
    missing = missing_mod.missing_categories(
        session, Parameters("coverage", catchment_km=catchment_km), area=group.code)
    session.commit()
    labels = dict(session.execute(text(
        "SELECT code, label_it || ' / ' || label_en FROM service_category")).all())
    categories = missing.attrs["categories"]
    gaps = {row.municipality_code: row for row in session.execute(
        text(GAPS_SQL), {"run": gaps_run.id, "codes": list(group.comuni)})}
    comuni = session.execute(text(COMUNI_SQL), {"area": group.code,
                                                "tolerance": SIMPLIFY_DEGREES}).all()
    shapes = [(code, name, shapely.from_wkb(bytes(wkb))) for code, name, wkb in comuni]
    services = [dict(r, stale=is_stale(r["last_verified"], r["created_at"], today))
                for r in session.execute(text(SERVICES_SQL), {"area": group.code}).mappings()]

    def foreign(code: int) -> float:
        value = missing.foreign_residents.get(code)
        return 0.0 if value is None or value != value else float(value)

    coverage_shapes = []
    for code, name, shape in shapes:
        count = int(missing.missing_count.get(code, len(categories)))
        present = len(categories) - count
        coverage_shapes.append((shape, _missing_class(count),
                                f"{name}: {present}/{len(categories)} categorie entro "
                                f"{catchment_km:g} km, {foreign(code):,.0f} stranieri"))
    coverage_legend = [
        (colour, "nessuna mancante / none missing" if high == 0 else
         f"{low}–{min(high, len(categories))} mancanti / missing")
        for low, high, colour in MISSING_CLASSES if low <= len(categories)
    ]
    gap_shapes = []
    for code, name, shape in shapes:
        row = gaps.get(code)
        if row is None or not row.demand:
            colour, state = NO_DEMAND, "nessuno straniero residente"
        elif row.is_gap:
            colour, state = GAP, f"lacuna: {row.unmet_demand:,.0f} stranieri senza servizi"
        else:
            colour, state = NO_GAP, "coperto"
        gap_shapes.append((shape, colour, f"{name}: {state}"))
    gap_legend = [(GAP, "lacuna / gap"), (NO_GAP, "coperto / covered"),
                  (NO_DEMAND, "senza stranieri / no foreign residents")]
    points = [(s["lon"], s["lat"], f"{s['name']} ({s['category_code'] or '-'})")
              for s in services if s["lon"] is not None]
    gap_rows = [r for r in gaps.values() if r.is_gap]
    by_area = missing_mod.missing_by_area(missing)
    missing_rows = [
        {"category": row.category, "label": labels.get(row.category, row.category),
         "comuni": int(row.comuni), "foreign_residents": float(row.foreign_residents_affected),
         "names": sorted(missing.name[[row.category in m for m in missing.missing]].tolist())}
        for row in by_area.itertuples()
    ]
    since = date(today.year - 1, 12, 31)
    changed = change_mod.change(session, since.isoformat(), today.isoformat(),
                                catchment_km=catchment_km, area=group.code)
    latest = document["foreign_residents"][-1]
    total = now_rows[trends.ALL]
    verified = [s["last_verified"] for s in services if s["last_verified"]]
    return {
        "group": document["group"],
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "today": today.isoformat(),
        "catchment_km": catchment_km,
        "figures": {
            "municipalities": len(group.comuni),
            "foreign_residents": latest["foreign_residents"],
            "foreign_year": latest["year"],
            "services": total["services"],
            "services_per_10k": total["services_per_10k"],
            "coverage_share": total["coverage_share"],
            "gaps": len(gap_rows),
            "unmet_demand": float(sum(r.unmet_demand or 0 for r in gap_rows)),
            "missing_categories": len(missing_rows),
            "categories": len(categories),
        },
        "dates": {
            "geography_year": loaded_year(session),
            "foreign_year": latest["year"],
            "services_as_of": total["date"],
            "oldest_verified": min(verified).isoformat() if verified else None,
            "newest_verified": max(verified).isoformat() if verified else None,
            "gaps_run": run_reference(gaps_run),
            "stale_after_days": stale_after_days(),
            "stale": sum(1 for s in services if s["stale"]),
        },
        "coverage_map": map_svg(
            f"Categorie presenti entro {catchment_km:g} km / categories within the catchment",
            coverage_shapes, coverage_legend, points),
        "gap_map": map_svg(f"Lacune, tutti i servizi, {catchment_km:g} km / gaps, all services",
                           gap_shapes, gap_legend),
        "missing": missing_rows,
        "change": {"since": since.isoformat(), "summary": changed["summary"],
                   "services": changed["services"],
                   "map": change_mod.change_map(session, changed)},
        "charts": [trends.trend_chart(document, metric) for metric in trends.CHARTS],
        "trend_rows": [r for r in document["rounds"] if r["category"] == trends.ALL],
        "services": services,
        "labels": labels,
        "sources": [dict(r) for r in session.execute(text(SOURCES_SQL),
                                                     {"area": group.code}).mappings()],
        "data_sources": data_sources(),
        "credits": [GEOGRAPHY_CREDIT, FOREIGN_CREDIT,
                    "Servizi / services: le fonti elencate sopra / the sources listed above"],
        "license": "CC-BY-4.0",
    }


def data_sources() -> list[dict[str, str]]:
    """The reference files in data/ with their licence, from their SOURCE.md notes."""
    from observatory.settings import DATA_DIR

    found = []
    for note in sorted(DATA_DIR.glob("*/SOURCE.md")):
        lines = note.read_text(encoding="utf-8").splitlines()
        title = next((line.lstrip("# ").strip() for line in lines if line.startswith("#")),
                     note.parent.name)
        line = next((line for line in lines if "licen" in line.lower()), "")
        start = line.find("Licen")
        licence = (line[start:] if start >= 0 else line).strip(" -`")
        found.append({"title": title, "licence": licence, "folder": f"data/{note.parent.name}"})
    return found


def render_html(context: dict[str, Any]) -> str:
    """The report page as one self-contained HTML document."""
    return TEMPLATES.get_template("area_report.html").render(**context)


def find_chromium() -> str:
    """The Chromium to print with: $CHROMIUM, else the first on PATH; a clear error if none."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        if shutil.which(configured) is None:
            raise ToolMissing(f"CHROMIUM={configured!r} is not an executable")
        return configured
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ToolMissing(
        "Chromium is needed to print the PDF and was not found: install it "
        "(Debian/Ubuntu: `apt-get install chromium`) or set CHROMIUM to its path; "
        "or write the report as .html"
    )


def print_pdf(html: str, out: Path) -> None:
    """Print `html` to the PDF `out` with headless Chromium (no network needed)."""
    chromium = find_chromium()
    with tempfile.TemporaryDirectory(prefix="osservatorio-report-") as work:
        page = Path(work) / "report.html"
        page.write_text(html, encoding="utf-8")
        target = Path(work) / "report.pdf"
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            f"--user-data-dir={Path(work) / 'profile'}", "--no-pdf-header-footer",
            "--print-to-pdf-no-header", f"--print-to-pdf={target}", page.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True,  # noqa: S603
                                  timeout=PRINT_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as error:
            raise ObservatoryError(
                f"Chromium did not print the report within {PRINT_TIMEOUT_S} s") from error
        if not target.exists() or target.stat().st_size == 0:
            tail = (done.stderr or "").strip().splitlines()[-3:]
            raise ObservatoryError(
                f"Chromium ({chromium}) did not write the PDF (exit {done.returncode}): "
                + " | ".join(tail))
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(target), out)


def area_report(
    session: Session, area: str, fmt: str = "html", catchment_km: float = DEFAULT_CATCHMENT_KM,
) -> bytes:
    """The report of `area` as HTML or PDF bytes."""
    if fmt not in ("html", "pdf"):
        raise InvalidInput(f"unknown report format {fmt!r}: choose html or pdf")
    if fmt == "pdf":
        find_chromium()  # before the computation: say at once that it cannot print
    html = render_html(report_context(session, area, catchment_km))
    if fmt == "html":
        return html.encode()
    with tempfile.TemporaryDirectory(prefix="osservatorio-pdf-") as work:
        out = Path(work) / "report.pdf"
        print_pdf(html, out)
        return out.read_bytes()


def write_area_report(
    session: Session, area: str, out: Path, catchment_km: float = DEFAULT_CATCHMENT_KM,
) -> Path:
    """Write the report of `area` to `out`: PDF for .pdf, HTML for .html / .htm."""
    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".html", ".htm"):
        raise InvalidInput(f"{out}: the report is written as .pdf or .html")
    body = area_report(session, area, "pdf" if suffix == ".pdf" else "html", catchment_km)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(body)
    return out
