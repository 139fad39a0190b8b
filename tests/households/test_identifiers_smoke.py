import datetime

import pytest

from households.identifiers import IdentifierError, make_nik, mask, nik_mismatch_warnings, parse_nik


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
    assert mask("7409014501800001") == "740901**********"


ASCII_NIK = "7409014501800001"
# Characters that str.isdigit() accepts but that are not the digits 0-9.
OTHER_DIGITS = {
    "fullwidth": str.maketrans("0123456789", "０１２３４５６７８９"),
    "arabic-indic": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"),
    "extended arabic-indic": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"),
    "superscript": str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"),
    "devanagari": str.maketrans("0123456789", "०१२३४५६७८९"),
}


@pytest.mark.parametrize("script", OTHER_DIGITS)
@pytest.mark.parametrize("where", ["all", "one"])
def test_only_ascii_digits_make_a_nik_or_kk(script, where):
    from households.identifiers import parse_kk, region_code_dotted

    if where == "all":
        value = ASCII_NIK.translate(OTHER_DIGITS[script])
    else:
        value = ASCII_NIK[:10] + ASCII_NIK[10].translate(OTHER_DIGITS[script]) + ASCII_NIK[11:]
    assert value.isdigit() and value != ASCII_NIK  # what the old check accepted
    with pytest.raises(IdentifierError, match="angka 0-9 biasa"):
        parse_nik(value)
    with pytest.raises(IdentifierError, match="angka 0-9 biasa"):
        parse_kk(value)
    assert region_code_dotted("7409012006".translate(OTHER_DIGITS[script])) == ""
    assert parse_nik(ASCII_NIK).value == ASCII_NIK and parse_kk(ASCII_NIK) == ASCII_NIK


@pytest.mark.django_db
def test_admin_forms_take_ascii_digits_only(bappeda_client):
    from django.urls import reverse

    from households.models import Household
    from tests.factories import HouseholdFactory, MemberFactory
    from tests.security.admin_forms import admin_form_data

    household = HouseholdFactory()
    MemberFactory(household=household)
    url = reverse("admin:households_household_change", args=[household.pk])
    fullwidth = ASCII_NIK.translate(OTHER_DIGITS["fullwidth"])
    data = admin_form_data(bappeda_client.get(url), head_nik=fullwidth, no_kk=fullwidth,
                           **{"members-0-nik": ASCII_NIK.translate(OTHER_DIGITS["arabic-indic"])})
    response = bappeda_client.post(url, data)
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"head_nik", "no_kk"}
    plain_digits = "NIK hanya boleh berisi angka 0-9 biasa (bukan angka lebar penuh, Arab atau superskrip)"
    assert plain_digits in response.content.decode()  # the importer's words: the admin checks what it checks
    assert response.context["inline_admin_formsets"][0].formset.errors[0] == {"nik": [plain_digits]}
    stored = Household.objects.get(pk=household.pk)
    assert (stored.head_nik, stored.no_kk) == (household.head_nik, household.no_kk)


@pytest.mark.parametrize("script", OTHER_DIGITS)
def test_only_ascii_digits_make_a_province_or_regency_code(script):
    from households.wilayah import RegionCodeError, normalize_region_code

    for code in ("74", "7409", "74.09"):
        assert normalize_region_code(code) in ("74", "74.09")
        with pytest.raises(RegionCodeError):
            normalize_region_code(code.translate(OTHER_DIGITS[script]))


def test_a_stated_birth_date_agrees_with_the_nik_in_either_century_its_two_digits_may_mean_only():
    today = datetime.date(2026, 12, 1)
    born_1999 = parse_nik(make_nik(region="740901", birth=datetime.date(1999, 1, 5), female=True, serial=7), today=today)
    assert nik_mismatch_warnings(born_1999, birth_date=datetime.date(2099, 1, 5), female=True) == [
        "Tanggal lahir tidak sesuai dengan NIK"
    ]
    assert nik_mismatch_warnings(born_1999, birth_date=datetime.date(1999, 1, 5), female=True) == []
    # 25 is 2025 for the NIK's reader; a person stated born in 1925 agrees with it too.
    born_25 = parse_nik(make_nik(region="740901", birth=datetime.date(1925, 3, 4), female=False, serial=8), today=today)
    assert nik_mismatch_warnings(born_25, birth_date=datetime.date(1925, 3, 4), female=False) == []
