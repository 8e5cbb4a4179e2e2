from observatory.status import collect_status
from tests.ingest.helpers import NAPOLI, run, write_sheet


def test_status_counts_services_per_area_and_per_category(session, tmp_path):
    rows = [["A", "SAN-CON", "Via 1", "Napoli", "NA", *NAPOLI],
            ["B", "SAN-CON", "Via 2", "Bari", "BA", "", ""],
            ["C", "LEG", "Via 3", "Bari", "BA", "", ""]]
    before = collect_status(session)
    run(session, write_sheet(tmp_path / "s.csv", rows), "status")
    after = collect_status(session)
    assert after.services == before.services + 3
    assert {code for code, _, _ in after.areas} <= {code for code, _, _ in after.services_by_area}

    def delta(pairs_after, pairs_before):
        counts = {code: count for code, _, count in pairs_after}
        for code, _, count in pairs_before:
            counts[code] -= count
        return {code: count for code, count in counts.items() if count}

    assert delta(after.services_by_area, before.services_by_area) == {"napoli": 1, "bari": 2}
    assert delta(after.services_by_category, before.services_by_category) == {
        "SAN-CON": 2, "LEG": 1,
    }
