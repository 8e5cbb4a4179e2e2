import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory import taxonomy
from observatory.errors import ConfigurationError
from observatory.settings import get_settings


def test_categories_are_two_level_with_both_labels(session: Session):
    rows = session.execute(
        text("SELECT code, parent_code, label_it, label_en FROM service_category")
    ).all()
    codes = {r.code for r in rows}
    assert {"DOC", "PRO", "SAN", "LIN", "LAV", "SOC", "LEG", "PAT", "MED", "TRA", "DIS", "ASS",
            "CAS", "INF"} <= codes
    for row in rows:
        assert row.label_it and row.label_en
        if row.parent_code:
            assert row.parent_code in codes and "-" in row.code


def test_attributes_define_target_groups_and_access_modes():
    attributes = taxonomy.read_attributes(get_settings().taxonomy_file)
    groups = {v["code"] for v in attributes["target_groups"]["values"]}
    assert {"stp", "eni", "unaccompanied_minors", "asylum_seekers"} <= groups
    modes = {v["code"] for v in attributes["access_modes"]["values"]}
    assert modes == {"walk_in", "appointment", "referral", "online"}


def test_duplicate_category_code_is_refused(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("categories:\n  - {code: A, it: a, en: a}\n  - {code: A, it: b, en: b}\n")
    with pytest.raises(ConfigurationError, match="'A' appears twice"):
        taxonomy.read_categories(path)
