"""The served page's tooltips and popups travel as shared pieces and come back exactly."""

from maps.served import pack


def test_pack_round_trips_and_shares_the_repeated_markup():
    texts = [
        "<strong>Napoli</strong><table><tr><th>Servizi</th><td>12</td></tr></table>",
        "<strong>Sant&#39;Anastasia</strong><table><tr><th>Servizi</th><td>0</td></tr></table>",
        None,
        "",
    ]
    pieces, packed = pack(texts)
    joined = ["".join(pieces[i] for i in p) if p is not None else None for p in packed]
    assert joined == texts
    assert len(pieces) == len(set(pieces)) < sum(len(p or []) for p in packed)
