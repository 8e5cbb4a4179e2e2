"""The ANPR archive of comuni and the CAP table, read once (no database)."""

import time

import pytest

from ingest import history
from ingest.history import cap_fits, comune_code


@pytest.mark.parametrize(
    ("written", "code"),
    [("061002", 61002), ("61002", 61002), ("61002.0", 61002), ("h047", "H047"),
     ("F839", "F839"), ("XYZ", None), ("1234567", None), ("", None)],
)
def test_codes_by_their_shape(written, code):
    assert comune_code(written) == code


def test_former_names_and_codes_resolve_to_the_comune_of_today():
    archive = history.archive()
    presicce = archive.by_cadastral_code("H047")
    assert presicce.current.code == 75098
    assert presicce.change == "PRESICCE (LE) was merged into PRESICCE-ACQUARICA on 2019-05-15"
    assert archive.by_istat(65025).current.name == "CAPACCIO PAESTUM"
    assert archive.by_istat(78044).current.name == "CORIGLIANO-ROSSANO"
    assert archive.by_istat(59011).current.region_name == "Lazio"
    assert archive.by_istat(999999) is None


def test_postcodes_of_multi_cap_cities_and_the_city_wide_cap():
    caps = history.postcodes()
    assert (len(caps[63049]), len(caps[82053]), len(caps[72006])) == (25, 24, 11)
    assert caps[87033] == {"95047"} and caps[76100] == {"85050"}
    assert cap_fits("80100", caps[63049]) and not cap_fits("90145", caps[63049])
    assert not cap_fits("85100", caps[76100])


def test_the_archive_is_read_once_and_fast():
    history.archive.cache_clear()
    started = time.process_time()  # CPU time: the machine may be busy
    history.archive()
    assert time.process_time() - started < 1.0
    assert history.archive() is history.archive()
