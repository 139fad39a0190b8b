import datetime

import pytest

from households.identifiers import IdentifierError, make_nik, mask, parse_nik


def test_make_nik_round_trips_through_parse():
    nik = make_nik(region="740901", birth=datetime.date(1980, 1, 5), female=True, serial=1)
    assert nik == "7409014501800001"
    info = parse_nik(nik, today=datetime.date(2026, 1, 1))
    assert info.female and info.birth_date == datetime.date(1980, 1, 5) and not info.warnings


@pytest.mark.parametrize("raw", [7409014501800000.0, "7.409014501800000e15", "7409014501800000.0"])
def test_excel_damaged_nik_is_refused(raw):
    with pytest.raises(IdentifierError, match="rusak oleh Excel"):
        parse_nik(raw)


def test_mask_keeps_region_and_serial():
    assert mask("7409014501800001") == "7409********0001"
