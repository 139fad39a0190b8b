"""The Indonesian name normaliser and similarity (pure functions)."""

import pytest

from dedup.names import name_similarity, normalize_name


@pytest.mark.parametrize(
    ("written", "same_as"),
    [
        ("Muh. Rahman Lapodi", "Muhammad Rahman Lapodi"),
        ("Moh. Rahman Lapodi", "Muhammad Rahman Lapodi"),
        ("MOCHAMMAD RAHMAN LAPODI", "Muhammad Rahman Lapodi"),
        ("M. Rahman Lapodi", "Muhammad Rahman Lapodi"),
        ("Hj. Siti Aminah", "Siti Aminah"),
        ("Hajjah Siti Aminah", "Siti Aminah"),
        ("H. Abdul Kadir", "Abdul Kadir"),
        ("Haji Abd. Kadir", "Abdul Kadir"),
        ("Drs. H. Ruksamin, M.Si", "Ruksamin"),
        ("Budi Santoso, S.Pd", "Budi Santoso"),
        ("Sitti Aminah", "Siti Aminah"),
        ("St. Aminah", "Siti Aminah"),
        ("Jusuf Laosa", "Yusuf Laosa"),
        ("Soekarno", "Sukarno"),
        ("  andi   SARMAN ", "Andi Sarman"),
    ],
)
def test_variants_normalise_to_the_same_name(written, same_as):
    assert normalize_name(written) == normalize_name(same_as)


def test_titles_only_count_in_front_and_the_name_is_kept():
    assert normalize_name("Andi H") == "andi h"
    # A name that is only a title keeps it rather than becoming empty.
    assert normalize_name("Hj.") != ""
    assert normalize_name("") == ""
    assert normalize_name(None) == ""


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ahmad Yani", "Achmad Yani"),
        ("Nurhayati Sabara", "Nur Hayati Sabara"),
        ("Rahman Lapodi", "Lapodi Rahman"),
        ("Muhammad Ismail Haera", "Muh Ismail Hera"),
    ],
)
def test_near_identical_names_score_high(a, b):
    assert name_similarity(a, b) >= 90


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Siti Aminah", "Wa Ode Hasnah"),
        ("Andi Lapodi", "Agus Lapodi"),
        ("Hasan Tosuli", "Husen Tosuli"),
        ("Budi Santoso", "Budi Susanto"),
        ("Muh. Lakidende Lakidende", "Halima Lakidende Lakidende"),
    ],
)
def test_clearly_different_names_score_low(a, b):
    assert name_similarity(a, b) < 90
