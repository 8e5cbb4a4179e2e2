import pytest

from ingest.gazetteer import Comune, Gazetteer, load_gazetteer, name_key


@pytest.fixture(scope="module")
def gazetteer(engine):
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        return load_gazetteer(session)


@pytest.mark.parametrize(
    ("written", "province", "postcode", "code"),
    [
        ("S. Giuseppe Vesuviano", "", "", 63068),
        ("Reggio Calabria", "", "", 80063),
        ("Barletta", "BAT", "", 110002),
        ("Sant'Agata de' Goti", "", "", 62070),
        ("S.Agata dei Goti", "BN", "", 62070),
        ("SANT AGATA DE GOTI", "", "", 62070),
        ("Cava de\\' Tirreni", "", "", 65037),
        ("Caserte", "CE", "", 61022),
        ("Napoly", "", "80100", 63049),
        ("Paternò", "", "", 87033),
        ("PATERNO", "PZ", "", 76100),
    ],
)
def test_match_finds_comuni_as_people_write_them(gazetteer, written, province, postcode, code):
    match = gazetteer.match(written, province, postcode)
    assert match.comune is not None, match
    assert match.comune.code == code


def test_match_unknown_comune_suggests_closest_names_with_province(gazetteer):
    match = gazetteer.match("Atlantide")
    assert match.comune is None
    assert match.problem == "not_found"
    assert len(match.suggestions) == 3
    assert all(s.endswith(")") and "(" in s for s in match.suggestions)
    assert gazetteer.match("Casertx", "CE").comune.name == "Caserta"
    assert gazetteer.match("Casertx").suggestions[0] == "Caserta (CE)"


def test_province_from_name_abbreviation_alias_or_cap(gazetteer):
    assert gazetteer.province("Napoli") == "NA"
    assert gazetteer.province("bat") == "BT"
    assert gazetteer.province("", "76121") == "BT"
    assert gazetteer.province("", "88900") == "KR"
    assert gazetteer.province("", "") is None


def test_homonyms_are_told_apart_by_province_or_cap():
    calvi_bn = Comune(62012, "Calvi", "BN", 14.86, 41.07, "avellino-benevento")
    calvi_tr = Comune(55009, "Calvi dell'Umbria", "TR", 12.57, 42.40, None)
    other = Comune(99001, "Calvi", "TR", 12.6, 42.4, None)
    gazetteer = Gazetteer(
        {c.code: c for c in (calvi_bn, calvi_tr, other)}, {"BN": "BN", "TR": "TR"}
    )
    ambiguous = gazetteer.match("Calvi")
    assert ambiguous.comune is None and ambiguous.problem == "ambiguous"
    assert ambiguous.suggestions == ("Calvi (BN)", "Calvi (TR)")
    assert gazetteer.match("Calvi", "BN").comune == calvi_bn
    assert gazetteer.match("Calvi", "", "82018").comune == calvi_bn
    assert gazetteer.match("Calvi", "TR").comune == other


def test_name_key_treats_saints_particles_and_apostrophes_alike():
    assert name_key("Sant'Agata de' Goti") == name_key("S. Agata dei Goti") == "s agata goti"
    assert name_key("Reggio di Calabria") == name_key("REGGIO CALABRIA")
