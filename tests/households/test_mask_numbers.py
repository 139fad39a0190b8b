"""A NIK or No KK quoted in a free text (a reason, a note) is masked for the roles that see those
numbers masked, however it was typed: in one run, or in groups as people copy it from a family card
(spaces, dots, dashes). Ordinary numbers in the same texts stay as they were written."""

import pytest

from households.identifiers import mask_numbers, unmask_numbers

NIK = "7409011903582116"


@pytest.mark.parametrize("written", [
    "7409011903582116",
    "7409 0119 0358 2116",
    "7409.0119.0358.2116",
    "7409-0119-0358-2116",
    "740901 190358 2116",
    "74.09.01.190358.2116",
    "7409\u00a00119\u00a00358\u00a02116",
])
def test_a_nik_written_in_any_grouping_is_masked(written):
    assert mask_numbers(f"Ganda dengan NIK {written}, cek ulang.") == "Ganda dengan NIK 740901**********, cek ulang."


def test_every_quoted_number_of_a_text_is_masked():
    text = "NIK 7409 0119 0358 2116 / 7409.0119.0358.2116 (KK 7409-0112-0520-0099), 7409011903582116 5 orang."
    assert mask_numbers(text) == (
        "NIK 740901********** / 740901********** (KK 740901**********), 740901********** 5 orang."
    )


def test_a_nik_run_together_with_another_number_hides_its_serial_whichever_way_it_reads():
    """2024 7409 0119 0358 2116 reads as two 16-digit numbers: neither shows past its sixth digit."""
    masked = mask_numbers("tahun 2024 7409 0119 0358 2116")
    assert "2116" not in masked and "0358" not in masked and "0119" not in masked
    assert masked == "tahun 202474**************"


def test_a_grouped_nik_after_an_amount_or_a_date_is_masked_and_they_are_not():
    assert mask_numbers("Rp 1.500.000 7409 0119 0358 2116") == "Rp 1.500.000 740901**********"
    assert mask_numbers("01-12-2026 7409-0119-0358-2116") == "01-12-2026 740901**********"


@pytest.mark.parametrize("ordinary", [
    "Bantuan Rp 1.500.000 diterima 01-12-2026",
    "Rp 1.500.000 dan Rp 2.400.000.000",
    "Dikunjungi 01.12.2026, 1 12 2026 dan 2026-12-01",
    "HP 0812-3456-7890 / +62 812 3456 7890 / 0401 3123 456",
    "RT 003 / RW 002, Desa 74.09.01.2006",
    "Jumlah anggota 4, rumah 6 x 8 m, tahun 2021, 2022, 2023, 2024",
    "Nomor 12345678901234567 (17 digit) dan 123456789012345 (15 digit)",
])
def test_ordinary_numbers_are_not_masked(ordinary):
    assert mask_numbers(ordinary) == ordinary


def test_a_masked_number_typed_more_often_than_the_note_holds_it_is_not_put_back():
    """Another person's NIK of the same kecamatan, copied in masked, is not taken for the one the
    note holds: which of the two is the note's no one can tell, so both stay masked and are counted,
    and the form refuses the save."""
    stored = "Anak NIK 7409011903582116 pindah"
    typed = "Anak NIK 740901********** pindah; ibu NIK 740901**********"
    assert unmask_numbers(typed, stored) == (typed, 2)
    assert unmask_numbers("Anak NIK 740901********** pindah ke Konawe", stored) == (
        "Anak NIK 7409011903582116 pindah ke Konawe", 0,
    )
