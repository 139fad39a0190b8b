"""The admin's household, member and enrollment forms check what the importer checks, with its
words: a NIK or No KK the importer refuses (serial 0000: what an Excel-damaged 16-digit number looks
like) is refused, what it warns about is saved with a warning; a delivery after today is refused."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from households.identifiers import make_nik
from households.models import Household, Member
from programs.models import Enrollment, EnrollmentStatus, Program
from programs.services import enrollment_create
from tests.factories import HouseholdFactory, MemberFactory
from tests.security.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

DAMAGED_NIK = "7409010512730000"
DAMAGED_KK = "7409011203150000"


def _warnings(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]


def test_household_form_refuses_what_the_importer_refuses_and_writes_nothing(bappeda_client):
    household = HouseholdFactory()
    url = reverse("admin:households_household_change", args=[household.pk])
    data = admin_form_data(bappeda_client.get(url), head_nik=DAMAGED_NIK, no_kk=DAMAGED_KK)
    response = bappeda_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "head_nik": ["Nomor urut NIK tidak boleh 0000"], "no_kk": ["Nomor urut No KK tidak boleh 0000"],
    }
    stored = Household.objects.get(pk=household.pk)
    assert (stored.head_nik, stored.no_kk) == (household.head_nik, household.no_kk)

    impossible = "7409013213800001"  # born on the 32nd
    data = admin_form_data(bappeda_client.get(url), head_nik=impossible)
    response = bappeda_client.post(url, data)
    assert response.context["adminform"].form.errors == {
        "head_nik": ["NIK memuat tanggal lahir yang tidak mungkin (digit 7-12)"],
    }


def test_household_form_writes_rt_and_rw_as_the_importer_does_and_refuses_what_is_no_number(bappeda_client):
    household = HouseholdFactory(rt="002", rw="003")
    url = reverse("admin:households_household_change", args=[household.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), rt="1", rw="RW 04"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    stored = Household.objects.get(pk=household.pk)
    assert (stored.rt, stored.rw) == ("001", "004")  # as a re-sync reads 1 and RW 04: no local correction

    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), rt="1/2", rw="dua"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "rt": ["RT '1/2' bukan nomor RT. Isi angkanya saja, mis. 001."],
        "rw": ["RW 'dua' bukan nomor RW. Isi angkanya saja, mis. 001."],
    }
    stored = Household.objects.get(pk=household.pk)
    assert (stored.rt, stored.rw) == ("001", "004")


def test_member_forms_refuse_it_too(bappeda_client):
    household = HouseholdFactory()
    member = MemberFactory(household=household)
    url = reverse("admin:households_household_change", args=[household.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), **{"members-0-nik": DAMAGED_NIK}))
    assert response.context["inline_admin_formsets"][0].formset.errors[0] == {"nik": ["Nomor urut NIK tidak boleh 0000"]}
    url = reverse("admin:households_member_change", args=[member.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), nik=DAMAGED_NIK))
    assert response.context["adminform"].form.errors == {"nik": ["Nomor urut NIK tidak boleh 0000"]}
    assert Member.objects.get(pk=member.pk).nik == member.nik


def test_what_the_importer_warns_about_is_saved_with_a_warning(bappeda_client):
    household = HouseholdFactory()
    member = MemberFactory(household=household, name="Wa Ode Hasna", sex="P", birth_date=datetime.date(1990, 2, 3))
    konawe = make_nik(region="740201", birth=datetime.date(1975, 6, 7), female=False, serial=12)  # issued in Konawe
    url = reverse("admin:households_household_change", args=[household.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), head_nik=konawe), follow=True)
    assert Household.objects.get(pk=household.pk).head_nik == konawe
    assert _warnings(response) == [
        "Periksa NIK kepala keluarga: Kode wilayah NIK 7402 di luar wilayah yang dimuat (Kabupaten Konawe Utara)"
    ]

    male_nik = make_nik(region="740901", birth=datetime.date(1990, 2, 3), female=False, serial=5)
    url = reverse("admin:households_member_change", args=[member.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), nik=male_nik), follow=True)
    assert Member.objects.get(pk=member.pk).nik == male_nik
    assert _warnings(response) == ["Periksa NIK Wa Ode Hasna: Jenis kelamin tidak sesuai dengan NIK"]


def test_a_value_stored_before_the_rules_does_not_block_other_corrections(bappeda_client):
    household = HouseholdFactory()
    Household.objects.filter(pk=household.pk).update(head_nik=DAMAGED_NIK)  # saved before the rules
    url = reverse("admin:households_household_change", args=[household.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), address="Jl. Poros Wanggudu"), follow=True)
    stored = Household.objects.get(pk=household.pk)
    assert stored.address == "Jl. Poros Wanggudu" and stored.head_nik == DAMAGED_NIK
    assert not _warnings(response)  # the form did not change the NIK


def test_enrollment_form_refuses_a_delivery_after_today(bappeda_client):
    household = HouseholdFactory()
    enrollment = enrollment_create(
        household=household, program=Program.objects.get(code="bsps"), year=2024, status=EnrollmentStatus.ACTIVE,
    ).enrollment
    url = reverse("admin:programs_enrollment_change", args=[enrollment.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), delivered_on="31/12/2099"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"delivered_on": ["Tanggal penyaluran tidak boleh di masa depan."]}
    assert Enrollment.objects.get(pk=enrollment.pk).delivered_on is None
    response = bappeda_client.post(
        reverse("admin:programs_enrollment_add"),
        {"program": Program.objects.get(code="pkh").pk, "household": household.pk, "year": 2024, "status": "active",
         "delivered_on": "31/12/2099"},
    )
    assert "Tanggal penyaluran tidak boleh di masa depan." in response.content.decode()
    assert Enrollment.objects.filter(household=household).count() == 1


def _add_family(client, desa, members: list[dict]):
    """Post the household add form with ``members`` in its member inline, as a browser would."""
    url = reverse("admin:households_household_add")
    data = admin_form_data(client.get(url), head_name=members[0]["name"], no_kk="7409011203150077", desa=str(desa.pk))
    data.update({"members-TOTAL_FORMS": str(len(members)), "members-INITIAL_FORMS": "0"})
    for index, member in enumerate(members):
        data.update({f"members-{index}-{name}": value for name, value in member.items()})
    return client.post(url, data)


def test_two_members_of_one_family_with_the_same_nik_are_refused_and_nothing_is_written(bappeda_client):
    """The import refuses one NIK twice in a family (NIK ganda dalam keluarga yang sama): so does the
    household form's member inline, on the second member, and writes no household."""
    desa = HouseholdFactory().desa
    nik = make_nik(region="740901", birth=datetime.date(1980, 1, 5), female=True, serial=77)
    head = {"name": "Wa Ode Sama", "nik": nik, "sex": "P", "birth_date": "05/01/1980", "relation": "kepala"}
    child = {**head, "name": "La Ode Anak", "relation": "anak"}
    before = Household.objects.count()

    response = _add_family(bappeda_client, desa, [head, child])

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert errors[0] == {}
    assert errors[1] == {"nik": ["NIK ganda dalam keluarga yang sama: sudah dipakai Wa Ode Sama."]}
    assert Household.objects.count() == before and not Member.objects.filter(nik=nik).exists()


def test_a_member_edited_to_the_nik_of_another_present_member_of_the_family_is_refused(bappeda_client):
    household = HouseholdFactory()
    head = MemberFactory(household=household, name="La Ode Kasim", relation="kepala")
    child = MemberFactory(household=household, name="Wa Ode Anak")
    gone = MemberFactory(household=household, name="La Ode Pergi", is_absent=True)

    url = reverse("admin:households_member_change", args=[child.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), nik=head.nik))
    assert response.context["adminform"].form.errors == {"nik": ["NIK ganda dalam keluarga yang sama: sudah dipakai La Ode Kasim."]}
    assert Member.objects.get(pk=child.pk).nik == child.nik

    # The same in the household form's inline (the child is the second block).
    url = reverse("admin:households_household_change", args=[household.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), **{"members-1-nik": head.nik}))
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[1] == {
        "nik": ["NIK ganda dalam keluarga yang sama: sudah dipakai La Ode Kasim."]
    }
    assert Member.objects.get(pk=child.pk).nik == child.nik

    # A member marked absent holds the NIK of no one present; two members may swap their NIKs in one save.
    url = reverse("admin:households_member_change", args=[child.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), nik=gone.nik), follow=True)
    assert Member.objects.get(pk=child.pk).nik == gone.nik
    url = reverse("admin:households_household_change", args=[household.pk])
    response = bappeda_client.post(url, admin_form_data(
        bappeda_client.get(url), **{"members-0-nik": gone.nik, "members-1-nik": head.nik}
    ))
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert (Member.objects.get(pk=head.pk).nik, Member.objects.get(pk=child.pk).nik) == (gone.nik, head.nik)


def test_a_birth_date_in_the_future_is_refused_as_the_importer_refuses_it(bappeda_client):
    household = HouseholdFactory()
    member = MemberFactory(household=household)
    url = reverse("admin:households_member_change", args=[member.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), birth_date="05/01/2099"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"birth_date": ["Tanggal lahir 05/01/2099 di masa depan."]}
    assert Member.objects.get(pk=member.pk).birth_date == member.birth_date

    url = reverse("admin:households_household_change", args=[household.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), **{"members-0-birth_date": "05/01/2099"}))
    assert response.context["inline_admin_formsets"][0].formset.errors[0] == {
        "birth_date": ["Tanggal lahir 05/01/2099 di masa depan."]
    }
    assert Member.objects.get(pk=member.pk).birth_date == member.birth_date


def test_a_birth_date_stored_in_the_future_does_not_block_other_corrections(bappeda_client):
    member = MemberFactory()
    Member.objects.filter(pk=member.pk).update(birth_date=datetime.date(2099, 1, 5))  # saved before the rule
    url = reverse("admin:households_member_change", args=[member.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), name="La Ode Benar"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Member.objects.get(pk=member.pk).name == "La Ode Benar"


@pytest.fixture
def english_client(bappeda_client):
    from django.conf import settings
    from django.utils import translation

    bappeda_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    yield bappeda_client
    translation.activate(settings.LANGUAGE_CODE)  # a request in English leaves English active in this thread


def test_identifier_refusals_and_warnings_read_in_english_for_an_english_user(english_client):
    household = HouseholdFactory()
    member = MemberFactory(household=household, name="Wa Ode Hasna", sex="P", birth_date=datetime.date(1990, 2, 3))
    url = reverse("admin:households_household_change", args=[household.pk])
    response = english_client.post(url, admin_form_data(
        english_client.get(url), no_kk="740901120315007", head_nik=DAMAGED_NIK, **{"members-0-nik": "74090145019OOO12"},
    ))
    assert response.context["adminform"].form.errors == {
        "no_kk": ["No KK must be 16 digits, not 15"], "head_nik": ["The NIK serial number must not be 0000"],
    }
    assert response.context["inline_admin_formsets"][0].formset.errors[0] == {"nik": ["A NIK may hold digits only: 740901**********"]}

    other_day = make_nik(region="740201", birth=datetime.date(1990, 2, 4), female=True, serial=5)  # Konawe, the 4th
    url = reverse("admin:households_member_change", args=[member.pk])
    response = english_client.post(url, admin_form_data(english_client.get(url), nik=other_day), follow=True)
    assert Member.objects.get(pk=member.pk).nik == other_day
    assert _warnings(response) == [
        "Check the NIK of Wa Ode Hasna: NIK region code 7402 is outside the loaded area (Kabupaten Konawe Utara)",
        "Check the NIK of Wa Ode Hasna: The birth date does not match the NIK",
    ]


def test_a_birth_date_before_1900_is_refused_as_a_visit_refuses_it(bappeda_client):
    member = MemberFactory(household=HouseholdFactory())
    url = reverse("admin:households_member_change", args=[member.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), birth_date="05/01/1800"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "birth_date": ["Tanggal lahir 05/01/1800 tidak mungkin; paling awal 01/01/1900."]}
    assert Member.objects.get(pk=member.pk).birth_date == member.birth_date
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), birth_date="01/01/1900"))
    assert response.status_code == 302 and Member.objects.get(pk=member.pk).birth_date == datetime.date(1900, 1, 1)
