from pathlib import Path

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory import areas
from observatory.errors import ConfigurationError
from observatory.settings import get_settings


def _write(tmp_path: Path, entries: list[dict]) -> Path:
    path = tmp_path / "areas.yaml"
    path.write_text(yaml.safe_dump({"areas": entries}), encoding="utf-8")
    return path


def test_areas_count_comes_from_the_file(session: Session):
    listed = len(areas.read_areas(get_settings().areas_file))
    stored = session.execute(text("SELECT count(*) FROM territorial_area")).scalar()
    assert stored == listed


def test_every_area_is_non_empty_and_areas_do_not_overlap(session: Session):
    empty = session.execute(
        text(
            "SELECT a.code FROM territorial_area a LEFT JOIN area_municipality m "
            "ON m.area_code = a.code WHERE m.area_code IS NULL"
        )
    ).all()
    assert empty == []
    overlaps = session.execute(
        text(
            "SELECT count(*) FROM (SELECT municipality_code FROM area_municipality "
            "GROUP BY 1 HAVING count(*) > 1) d"
        )
    ).scalar()
    assert overlaps == 0


def test_avellino_benevento_groups_both_provinces(session: Session):
    provinces = session.execute(
        text(
            "SELECT DISTINCT p.short FROM area_municipality am "
            "JOIN municipality m ON m.code = am.municipality_code "
            "JOIN province p ON p.code = m.province_code WHERE am.area_code = 'avellino-benevento'"
        )
    ).scalars().all()
    assert sorted(provinces) == ["AV", "BN"]


def test_edited_file_with_one_area_of_single_comuni_loads(session: Session, tmp_path):
    path = _write(tmp_path, [{"code": "x", "name": "X", "region": "Campania",
                              "comuni": ["63049", "Pozzuoli"]}])
    assert areas.store_areas(session, path) == {"x": 2}


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"code": "a", "region": "Campania", "provinces": ["ZZ"]}],
         "area 'a': province 'ZZ' not found in region Campania"),
        ([{"code": "a", "region": "Campania", "comuni": ["Atlantide"]}],
         "area 'a': comune 'Atlantide' not found in region Campania"),
        ([{"code": "a", "region": "Campania"}], "area 'a' is empty"),
        ([{"code": "a", "region": "Campania", "provinces": ["NA"]},
          {"code": "b", "region": "Campania", "comuni": ["Pozzuoli"]}],
         "comune 63060 is in two areas: 'a' and 'b'"),
        ([{"code": "a", "region": "Campania", "provinces": ["NA"]},
          {"code": "a", "region": "Campania", "provinces": ["CE"]}],
         "area code 'a' appears twice"),
    ],
)
def test_bad_areas_file_gives_a_clear_error(session: Session, tmp_path, entries, message):
    with pytest.raises(ConfigurationError, match=message):
        areas.store_areas(session, _write(tmp_path, entries))
