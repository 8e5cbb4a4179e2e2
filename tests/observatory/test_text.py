from observatory.text import fold, slugify


def test_slugify_folds_accents_and_joins_words_with_dashes():
    assert slugify("Reggio di Calabria") == "reggio-di-calabria"
    assert slugify("  Cava de' Tirreni ") == "cava-de-tirreni"
    assert slugify("Età") == "eta"


def test_fold_keeps_case_digits_and_punctuation():
    assert fold("Sant'Agata de' Goti, Città 2") == "Sant'Agata de' Goti, Citta 2"
