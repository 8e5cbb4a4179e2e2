"""The printable report of an area: the PDF opens and holds its figures; HTML and API too."""

import io
import unicodedata
from datetime import date
from pathlib import Path
from xml.dom import minidom

import pypdf
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory import area_report, trends
from observatory.errors import NotFound, ToolMissing
from tests.helpers import add_service

AREA = "crotone"


@pytest.fixture
def seeded(session: Session) -> list[str]:
    """Two services in the area's first comune, with their verification dates."""
    code, lon, lat = session.execute(text(
        "SELECT m.code, ST_X(m.point), ST_Y(m.point) FROM municipality m "
        "JOIN area_municipality a ON a.municipality_code = m.code "
        "WHERE a.area_code = :area ORDER BY m.code LIMIT 1"), {"area": AREA}).one()
    add_service(session, lon, lat, name="Sportello Legale Zeta", category_code="LEG",
                municipality_code=code, last_verified=date(2026, 10, 7), source="rete-kr")
    add_service(session, lon + 0.01, lat, name="Ambulatorio Omega", category_code="SAN-STP",
                municipality_code=code, last_verified=date(2020, 9, 15), source="rete-kr")
    return ["Sportello Legale Zeta", "Ambulatorio Omega"]


def _pdf_text(body: bytes) -> str:
    """The words of a PDF, ligatures (ﬁ) undone."""
    reader = pypdf.PdfReader(io.BytesIO(body))
    words = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    return unicodedata.normalize("NFKC", words)


def _italian(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")


def test_pdf_report_opens_and_holds_its_figures(
    session: Session, seeded: list[str], tmp_path: Path
) -> None:
    """Printed by Chromium: a PDF whose text has the area, its figures and its services."""
    out = area_report.write_area_report(session, AREA, tmp_path / "crotone.pdf")
    body = out.read_bytes()
    assert body.startswith(b"%PDF")
    words = _pdf_text(body)
    today = date.today().isoformat()
    document = trends.trends(session, "area", AREA, [date.today()])
    now = next(r for r in document["rounds"] if r["category"] == "*")
    latest = document["foreign_residents"][-1]
    assert "Crotone" in words and "rapporto d'area" in words
    assert _italian(latest["foreign_residents"]) in words
    assert f"1° gennaio {latest['year']}" in words
    assert f"{now['services_per_10k']:.2f}" in words and now["services"] >= 2
    for name in seeded:
        assert name in words
    assert "2026-10-07" in words and "2020-09-15 da verificare" in words and "rete-kr" in words
    assert words.count("da verificare / stale") == 1  # Omega, verified in 2020
    assert "CC-BY 4.0" in words and today in words
    assert "Licence: CC BY 4.0 (ANPR" in words and "Fonte: ISTAT" in words


def test_html_report_maps_and_figures(session: Session, seeded: list[str]) -> None:
    """One path per comune on the maps, the trend charts, the change and the figures."""
    context = area_report.report_context(session, AREA)
    comuni = session.execute(text(
        "SELECT count(*) FROM area_municipality WHERE area_code = :area"), {"area": AREA}).scalar()
    for svg_text in (context["coverage_map"], context["gap_map"], context["change"]["map"]):
        svg = minidom.parseString(svg_text)
        paths = [p for p in svg.getElementsByTagName("path") if p.getAttribute("d")]
        assert len(paths) == comuni
    points = minidom.parseString(context["coverage_map"]).getElementsByTagName("circle")
    assert len(points) == context["figures"]["services"] + 1 >= 3  # and the legend's dot
    html = area_report.render_html(context)
    assert html.count("<svg") == 3 + len(trends.CHARTS)  # coverage, gap and change maps
    opened = {s["name"] for s in context["change"]["services"] if s["change"] == "opened"}
    assert set(seeded) <= opened  # recorded today: opened since 31 December last year
    assert context["change"]["summary"]["opened"] >= 2
    assert "Sportello Legale Zeta" in html and "<script" not in html
    figures = context["figures"]
    assert figures["municipalities"] == comuni
    assert figures["gaps"] == session.execute(text(
        "SELECT count(*) FROM analysis_result r JOIN area_municipality a "
        "ON a.municipality_code = r.municipality_code "
        "WHERE r.run_id = :run AND a.area_code = :area AND r.is_gap"),
        {"run": context["dates"]["gaps_run"]["id"], "area": AREA}).scalar()
    assert {row["category"] for row in context["missing"]} >= {"DOC", "PRO"}


def test_report_errors_say_what_to_do(
    session: Session, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No Chromium: the error says how to install it; an unknown area is NotFound."""
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissing, match="apt-get install chromium"):
        area_report.write_area_report(session, AREA, tmp_path / "x.pdf")
    with pytest.raises(NotFound, match="nowhere"):
        area_report.write_area_report(session, "nowhere", tmp_path / "x.html")


def test_report_api(client, seeded: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """GET /reports/areas/{code}: HTML, f=pdf a PDF; 404 and 503 as problems."""
    page = client.get(f"/reports/areas/{AREA}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Sportello Legale Zeta" in page.text
    pdf = client.get(f"/reports/areas/{AREA}", params={"f": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    assert "Ambulatorio Omega" in _pdf_text(pdf.content)
    assert client.get("/reports/areas/nowhere").status_code == 404
    monkeypatch.setenv("CHROMIUM", "/nonexistent/chromium")
    missing = client.get(f"/reports/areas/{AREA}", params={"f": "pdf"})
    assert missing.status_code == 503 and "CHROMIUM" in missing.json()["detail"]
