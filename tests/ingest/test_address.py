"""Packed addresses split into street, CAP, comune and province (no database)."""

import pytest

from ingest.address import Packed, split_address
from ingest.gazetteer import history_keys, name_key
from ingest.history import archive


def _split(text: str) -> Packed | None:
    return split_address(text, archive().provinces, lambda n: name_key(n) in history_keys())


@pytest.mark.parametrize(
    ("written", "packed"),
    [
        ("via Lancia di Brolo n.10 bis - 90145 - PALERMO - PA",
         Packed("via Lancia di Brolo n.10 bis", "90145", "PALERMO", "PA")),
        ("Piazza Garibaldi 1, 80142 Napoli (NA)",
         Packed("Piazza Garibaldi 1", "80142", "Napoli", "NA")),
        ("C.so Umberto I, 12 - Bari", Packed("C.so Umberto I, 12", "", "Bari", "")),
        ("95047 - PATERNO' - CT", Packed("", "95047", "PATERNO'", "CT")),
        ("Via dei Mille 10 80121 Napoli NA", Packed("Via dei Mille 10", "80121", "Napoli", "NA")),
        ("Via Roma 3 - Presicce-Acquarica", Packed("Via Roma 3", "", "Presicce-Acquarica", "")),
        ("VIA VETOIO  COPPITO, 67100 L'AQUILA AQ",
         Packed("VIA VETOIO  COPPITO", "67100", "L'AQUILA", "AQ")),
    ],
)
def test_packed_addresses_are_split(written, packed):
    assert _split(written) == packed


@pytest.mark.parametrize(
    "street", ["Via Roma 12", "VIA PO", "Via Bari, 12", "Via Salaria km 12,500", "Contrada Bari"]
)
def test_a_street_alone_is_left_whole(street):
    assert _split(street) is None
