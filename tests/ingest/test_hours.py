import pytest

from ingest.hours import parse_hours

WEEKDAYS = "MO,TU,WE,TH,FR"


@pytest.mark.parametrize(
    ("text", "schedule"),
    [
        ("lun-ven 9-13", [(WEEKDAYS, "09:00", "13:00")]),
        ("Lunedì-Venerdì 9:00-13:00 e 15-17.30",
         [(WEEKDAYS, "09:00", "13:00"), (WEEKDAYS, "15:00", "17:30")]),
        ("mar e gio dalle 15 alle 18", [("TU,TH", "15:00", "18:00")]),
        ("lun, mer 9.30-12.30; sab 9-12",
         [("MO,WE", "09:30", "12:30"), ("SA", "09:00", "12:00")]),
        ("Mon-Fri 8-14", [(WEEKDAYS, "08:00", "14:00")]),
        ("lun–ven 9–13", [(WEEKDAYS, "09:00", "13:00")]),
    ],
)
def test_parse_hours_structures_what_people_write(text, schedule):
    expected = [{"byday": d, "opens_at": o, "closes_at": c} for d, o, c in schedule]
    assert parse_hours(text) == expected


@pytest.mark.parametrize(
    "text", ["su appuntamento", "9-13", "lun 13-9", "ven-lun 9-13", "lun-ven 25-26", "lun-ven"]
)
def test_parse_hours_returns_none_when_it_does_not_parse(text):
    assert parse_hours(text) is None
