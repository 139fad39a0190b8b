"""The admin as a Bappeda operator sees it: Indonesian, every page answers, lists stay cheap, and
enrollment saves run the one-aid check and refuse duplicates."""

import datetime
import re

import pytest
from django.contrib import admin
from django.db import IntegrityError, transaction
from django.urls import reverse

from agencies.models import Role
from programs.models import Enrollment, EnrollmentStatus, Program
from programs.resources import EnrollmentResource
from programs.services import enrollment_create
from tests.factories import HouseholdFactory, MemberFactory, UserFactory
from tests.security.admin_forms import admin_form_data


@pytest.fixture
def demo_registry(reference):
    from programs.demo import seed_demo

    seed_demo(families=60, seed=7, users=True)


def registered_models():
    return sorted(admin.site._registry, key=lambda m: m._meta.label)


@pytest.mark.django_db
def test_every_admin_list_and_change_page_answers_in_indonesian(bappeda_client, demo_registry, django_assert_max_num_queries):
    checked = 0
    for model in registered_models():
        if model._meta.app_label not in {"households", "programs", "agencies", "dedup"}:
            continue
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        with django_assert_max_num_queries(25):
            response = bappeda_client.get(url)
        assert response.status_code == 200, url
        assert 'lang="id"' in response.content.decode()
        listed = list(response.context["cl"].result_list[:1])  # what this user may open
        obj = listed[0] if listed else None
        if obj is not None:
            change = bappeda_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
            assert change.status_code == 200, (opts.label, obj.pk)
        checked += 1
    assert checked >= 8
    index = bappeda_client.get(reverse("admin:index")).content.decode()
    assert "Registri Kemiskinan Konawe Utara" in index
    assert "Keluarga" in index and "Kepesertaan" in index


@pytest.mark.django_db
def test_household_list_query_count_does_not_grow_with_rows(bappeda_client, reference, django_assert_max_num_queries):
    from programs.demo import seed_demo

    seed_demo(families=120, seed=8, users=False)
    url = reverse("admin:households_household_changelist")
    with django_assert_max_num_queries(12):
        assert bappeda_client.get(url).status_code == 200
    with django_assert_max_num_queries(15):
        assert bappeda_client.get(reverse("admin:programs_enrollment_changelist")).status_code == 200


@pytest.mark.django_db
def test_household_page_shows_members_and_every_aid(bappeda_client, reference):
    household = HouseholdFactory(head_name="Lasandara Tosuli")
    MemberFactory(household=household, name="Wa Ode Hasna")
    enrollment_create(household=household, program=Program.objects.get(code="bsps"), year=2024, status="active")
    enrollment_create(household=household, program=Program.objects.get(code="pkh"), year=2024, status="active")
    page = bappeda_client.get(reverse("admin:households_household_change", args=[household.pk])).content.decode()
    assert "Wa Ode Hasna" in page
    assert "Bantuan Stimulan Perumahan Swadaya (BSPS)" in page and "Program Keluarga Harapan (PKH)" in page
    assert "Dinas Perumahan dan Permukiman" in page or "Disperkim" in page


@pytest.mark.django_db
def test_search_finds_household_by_nik_kk_and_name(bappeda_client, reference):
    household = HouseholdFactory(head_name="Ruslan Pagala", no_kk="7409011203150007")
    other = HouseholdFactory(head_name="Hasan Laosa")
    member = MemberFactory(household=household)
    url = reverse("admin:households_household_changelist")
    for term in ("Ruslan", "7409011203150007", member.nik):
        page = bappeda_client.post(url, {"q": term}, follow=True).content.decode()  # the search box posts
        assert "Ruslan Pagala" in page and "Hasan Laosa" not in page, term
    assert other.head_name in bappeda_client.get(url, {"q": "Laosa"}).content.decode()


@pytest.mark.django_db
def test_duplicate_enrollment_is_a_form_error_and_nothing_is_written(bappeda_client, reference):
    household = HouseholdFactory()
    program = Program.objects.get(code="pkh")
    enrollment_create(household=household, program=program, year=2024, status="active")
    response = bappeda_client.post(
        reverse("admin:programs_enrollment_add"),
        {"program": program.pk, "household": household.pk, "year": 2024, "status": "proposed", "status_reason": ""},
    )
    assert response.status_code == 200
    assert "sudah terdaftar di program ini pada tahun yang sama" in response.content.decode()
    assert Enrollment.objects.filter(household=household).count() == 1


@pytest.mark.django_db
@pytest.mark.bypasses_services  # writes rows straight to the table: it tests the database's own constraints
def test_duplicate_enrollment_is_refused_by_the_database(reference):
    household = HouseholdFactory()
    program = Program.objects.get(code="pkh")
    Enrollment.objects.create(household=household, program=program, year=2024)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.create(household=household, program=program, year=2024)
    member = MemberFactory(household=household)
    pip = Program.objects.get(code="pip")
    Enrollment.objects.create(household=household, member=member, program=pip, year=2024)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.create(household=household, member=member, program=pip, year=2024)
    assert Enrollment.objects.filter(household=household).count() == 2


@pytest.mark.django_db
def test_person_program_needs_a_member_of_the_household(bappeda_client, reference):
    household = HouseholdFactory()
    stranger = MemberFactory()
    pip = Program.objects.get(code="pip")
    url = reverse("admin:programs_enrollment_add")
    page = bappeda_client.post(url, {"program": pip.pk, "household": household.pk, "year": 2024, "status": "proposed"}).content.decode()
    assert "Program perorangan: pilih anggota keluarga penerima." in page
    page = bappeda_client.post(url, {"program": pip.pk, "household": household.pk, "member": stranger.pk, "year": 2024, "status": "proposed"}).content.decode()
    assert "Anggota ini bukan anggota keluarga yang dipilih." in page
    assert not Enrollment.objects.exists()


@pytest.mark.django_db
def test_admin_add_enrollment_goes_through_the_service(bappeda_client, bappeda_user, reference):
    household = HouseholdFactory()
    program = Program.objects.get(code="bsps")
    response = bappeda_client.post(
        reverse("admin:programs_enrollment_add"),
        {"program": program.pk, "household": household.pk, "year": 2024, "status": "active", "amount": 17500000},
        follow=True,
    )
    assert response.status_code == 200
    enrollment = Enrollment.objects.get(household=household)
    assert enrollment.created_by == bappeda_user and enrollment.amount == 17_500_000
    assert enrollment.history.first().history_user == bappeda_user


@pytest.mark.django_db
def test_agency_and_leadership_users_have_no_admin(client, reference):
    for role in (Role.AGENCY_HEAD, Role.LEADERSHIP):
        user = UserFactory(username=f"u-{role}", role=role)
        client.force_login(user)
        response = client.get(reverse("admin:households_household_changelist"))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_bappeda_cannot_delete_households_or_grant_superuser(bappeda_client, reference):
    household = HouseholdFactory()
    assert bappeda_client.get(reverse("admin:households_household_delete", args=[household.pk])).status_code == 403
    page = bappeda_client.get(reverse("admin:agencies_user_add")).content.decode()
    assert 'name="is_superuser"' not in page


@pytest.mark.django_db
def test_enrollment_export_keeps_16_digit_ids_as_text(bappeda_client, reference):
    import io

    import openpyxl

    household = HouseholdFactory(head_name="=HYPERLINK(\"http://x\")", no_kk="7409011203150007")
    enrollment_create(household=household, program=Program.objects.get(code="pkh"), year=2024, status="active")
    url = reverse("admin:programs_enrollment_export")
    page = bappeda_client.get(url).content.decode()
    assert "xlsx" in page and "xls<" not in page
    fields = {f"enrollmentresource_{name}": "on" for name in EnrollmentResource._meta.fields}
    response = bappeda_client.post(url, {"format": "0", "resource": "0", **fields})
    assert response.status_code == 200, response.content[:500]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]]))
    assert row["No KK"] == "7409011203150007" and row["NIK kepala keluarga"] == household.head_nik
    assert isinstance(row["NIK kepala keluarga"], str) and len(row["NIK kepala keluarga"]) == 16
    name = sheet.cell(row=2, column=header.index("Nama kepala keluarga") + 1)
    assert (name.value, name.data_type) == ("=HYPERLINK(\"http://x\")", "s")  # text as typed, not a formula


@pytest.mark.django_db
def test_programs_import_through_the_admin_updates_by_code(bappeda_client, reference):
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["code", "name", "cluster", "agency", "target_unit", "funding_source", "is_local", "p3ke_column", "quota", "active", "description"])
    sheet.append(["spam", "SPAM Perdesaan", "kantong", "dpu", "household", "apbd_kab", 1, "", 500, 1, ""])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "program.xlsx"
    response = bappeda_client.post(reverse("admin:programs_program_import"), {"resource": "0", "format": "0", "import_file": data})
    assert response.status_code == 200
    confirm = response.context["confirm_form"]
    response = bappeda_client.post(reverse("admin:programs_program_process_import"), confirm.initial, follow=True)
    assert response.status_code == 200
    spam = Program.objects.get(code="spam")
    assert spam.name == "SPAM Perdesaan" and spam.quota == 500
    assert Program.objects.count() == 30


@pytest.mark.django_db
def test_members_are_listed_in_family_card_order(bappeda_client, reference):
    household = HouseholdFactory()
    MemberFactory(household=household, name="Anak Pertama", relation="anak")
    MemberFactory(household=household, name="Istri Kepala", relation="pasangan")
    MemberFactory(household=household, name="Kepala Rumah", relation="kepala")
    page = bappeda_client.get(reverse("admin:households_household_change", args=[household.pk])).content.decode()
    assert page.index("Kepala Rumah") < page.index("Istri Kepala") < page.index("Anak Pertama")


@pytest.mark.django_db
def test_enrollment_form_shows_and_reads_the_amount_with_thousands_separators(reference):
    from django.contrib.admin.sites import site

    from programs.models import Enrollment

    field = site._registry[Enrollment].formfield_for_dbfield(Enrollment._meta.get_field("amount"), None)
    assert field.label == "Nilai (Rp)"
    assert 'value="1.200.000"' in field.widget.render("amount", 1_200_000)
    assert field.clean("1.200.000") == field.clean("1200000") == field.clean("Rp 1.200.000") == 1_200_000
    assert field.clean("") is None


@pytest.mark.django_db
def test_every_sortable_admin_column_sorts(bappeda_client, demo_registry):
    """Each column header link of each admin list, as a Bappeda operator clicks it. Sorting on a
    relation follows the related model's own ordering, and an expression there (the members' family
    card order) cannot be followed through a relation: such a column needs an order of its own."""
    failures, clicked = [], 0
    for model in registered_models():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = bappeda_client.get(url)
        if response.status_code != 200:
            continue  # not a Bappeda operator's list (groups, task results): test_url_matrix says so
        head = response.content.decode().split("<thead>", 1)[-1].split("</thead>", 1)[0]
        for query in sorted(set(re.findall(r'href="(\?o=[^"]*)"', head))):
            clicked += 1
            sorted_page = bappeda_client.get(url + query.replace("&amp;", "&"))
            if sorted_page.status_code != 200:
                failures.append(f"{url}{query}: {sorted_page.status_code}")
    assert clicked > 50
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_enrollment_list_sorts_by_member_name(bappeda_client, reference):
    household = HouseholdFactory(head_name="Kepala Uji")
    pip = Program.objects.get(code="pip")
    for name in ("Wa Ode Sari", "Andi Lasa", "Made Rante"):
        enrollment_create(household=household, program=pip, year=2025, member=MemberFactory(household=household, name=name),
                          by=UserFactory(username="op-uji"))
    url = reverse("admin:programs_enrollment_changelist")
    column = ["action_checkbox", *admin.site._registry[Enrollment].list_display].index("member_name")
    for order, expected in ((str(column), ["Andi Lasa", "Made Rante", "Wa Ode Sari"]),
                            (f"-{column}", ["Wa Ode Sari", "Made Rante", "Andi Lasa"])):
        response = bappeda_client.get(url, {"o": order})
        assert response.status_code == 200
        assert [str(e.member) for e in response.context["cl"].result_list] == expected
        assert "Anggota" in response.content.decode()


@pytest.mark.django_db
def test_a_stale_admin_save_is_refused_and_keeps_what_the_agency_recorded_meanwhile(bappeda_client, reference):
    """Bappeda opens an enrollment to fix its planned amount; meanwhile the agency accepts it and
    records a delivery in the portal; Bappeda's save of the form it opened before would undo both."""
    from django.test import Client
    from django.utils import timezone

    from tests.agencies.helpers import deliver_form

    enrollment = enrollment_create(
        household=HouseholdFactory(), program=Program.objects.get(code="sembako"), year=2024, amount=600_000
    ).enrollment
    url = reverse("admin:programs_enrollment_change", args=[enrollment.pk])
    opened = admin_form_data(bappeda_client.get(url), amount="650.000")

    portal = Client()
    portal.force_login(UserFactory(username="operator-dinsos", role=Role.AGENCY_OPERATOR, agency=enrollment.program.agency))
    portal.post(f"/kepesertaan/{enrollment.pk}/terima/")
    page = portal.get(f"/keluarga/{enrollment.household_id}/").content.decode()
    portal.post(f"/kepesertaan/{enrollment.pk}/salurkan/", deliver_form(page, enrollment, delivered_on="15/03/2024", amount="600.000"))
    enrollment.refresh_from_db()
    recorded = (enrollment.status, enrollment.amount, enrollment.delivered_on)
    assert recorded == (EnrollmentStatus.ACTIVE, 600_000, datetime.date(2024, 3, 15))
    versions = enrollment.history.count()

    response = bappeda_client.post(url, opened, follow=True)
    assert response.status_code == 200
    assert "berhasil diubah" not in response.content.decode()
    when = timezone.localtime(enrollment.history.first().history_date).strftime("%d/%m/%Y %H:%M")
    assert response.context["adminform"].form.non_field_errors() == [
        f"Kepesertaan ini sudah diubah oleh operator-dinsos pada {when}, setelah Anda membuka formulir ini; "
        "perubahan Anda tidak disimpan. Muat ulang halaman untuk melihat data terbaru, lalu ulangi perubahan Anda."
    ]
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.amount, enrollment.delivered_on) == recorded
    assert enrollment.history.count() == versions

    # Reloaded, the form shows what is recorded now, and its save goes through.
    reloaded = admin_form_data(bappeda_client.get(url), status_reason="Nilai disalurkan sesuai daftar bank")
    response = bappeda_client.post(url, reloaded, follow=True)
    assert response.redirect_chain and "berhasil diubah" in response.content.decode()
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.amount, enrollment.delivered_on) == recorded
    assert enrollment.status_reason == "Nilai disalurkan sesuai daftar bank"


@pytest.mark.django_db
def test_an_absurd_amount_is_refused_in_rupiah_terms_and_nothing_is_written(bappeda_client, reference):
    household = HouseholdFactory()
    enrollment = enrollment_create(household=household, program=Program.objects.get(code="bsps"), year=2024, amount=17_500_000).enrollment
    url = reverse("admin:programs_enrollment_change", args=[enrollment.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), amount="9223372036854775807"))
    assert response.context["adminform"].form.errors == {"amount": [
        "Nilai bantuan Rp 9.223.372.036.854.775.807 melebihi batas Rp 10.000.000.000 per kepesertaan. Periksa jumlah digitnya."
    ]}
    enrollment.refresh_from_db()
    assert enrollment.amount == 17_500_000 and enrollment.history.count() == 1
    response = bappeda_client.post(
        reverse("admin:programs_enrollment_add"),
        {"program": Program.objects.get(code="pkh").pk, "household": household.pk, "year": 2024, "status": "active",
         "amount": "9" * 21},
    )
    assert response.context["adminform"].form.errors == {"amount": [
        "Nilai bantuan Rp 999.999.999.999.999.999.999 melebihi batas Rp 10.000.000.000 per kepesertaan. Periksa jumlah digitnya."
    ]}
    assert Enrollment.objects.filter(household=household).count() == 1


def _enrollment_export(client) -> list[dict]:
    """The admin's enrollment export as a Bappeda operator takes it: every column offered, as xlsx
    (the only format offered), each row by its column labels."""
    import io

    import openpyxl

    url = reverse("admin:programs_enrollment_export")
    form = client.get(url).context["form"]
    fmt = next(value for value, label in form.fields["format"].choices if label.lower() == "xlsx")
    offered = [name for name in form.fields if name.startswith("enrollmentresource_")]
    response = client.post(url, {"format": fmt, "resource": "0", **{name: "on" for name in offered}})
    assert response.status_code == 200, response.content[:500]
    header, *rows = openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    return [dict(zip(header, row)) for row in rows]


@pytest.mark.django_db
def test_enrollment_export_tells_same_named_villages_of_two_regencies_apart(bappeda_client, reference, settings):
    """A province has villages of the same name in kecamatan of the same name (Purwodadi, Kec.
    Purwodadi in Grobogan and in Purworejo): each row carries the village code and its regency."""
    from django.core.management import call_command

    from households.models import Desa

    settings.KONUT_WILAYAH = "74"  # the province covers both regencies
    call_command("load_reference", wilayah="74.02", verbosity=0)
    konut, konawe = Desa.objects.get(code="74.09.01.2006"), Desa.objects.get(code="74.02.01.2006")
    konawe.name = konut.name
    konawe.save()
    konawe.kecamatan.name = konut.kecamatan.name
    konawe.kecamatan.save()
    pkh = Program.objects.get(code="pkh")
    for desa in (konut, konawe):
        enrollment_create(household=HouseholdFactory(desa=desa), program=pkh, year=2024, status="active")
    rows = _enrollment_export(bappeda_client)
    assert sorted((r["Desa/kelurahan"], r["Kode desa/kelurahan (Kemendagri)"], r["Kecamatan"], r["Kabupaten/kota"]) for r in rows) == [
        (konut.name, "7402012006", konut.kecamatan.name, "Kabupaten Konawe"),
        (konut.name, "7409012006", konut.kecamatan.name, "Kabupaten Konawe Utara"),
    ]
    assert list(rows[0]).index("Kabupaten/kota") == list(rows[0]).index("Kecamatan") + 1


@pytest.mark.django_db
def test_one_regencys_enrollment_export_has_the_village_code_and_no_regency(bappeda_client, reference):
    from households.models import Desa

    household = HouseholdFactory(desa=Desa.objects.get(code="74.09.01.2006"))
    enrollment_create(household=household, program=Program.objects.get(code="pkh"), year=2024, status="active")
    [row] = _enrollment_export(bappeda_client)
    assert row["Kode desa/kelurahan (Kemendagri)"] == "7409012006" and "Kabupaten/kota" not in row


@pytest.mark.django_db
@pytest.mark.parametrize("several", [False, True], ids=["one-regency", "two-regencies"])
def test_enrollment_export_query_count_does_not_grow_with_rows(bappeda_client, reference, several, settings):
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if several:
        settings.KONUT_WILAYAH = "74"  # the province covers both regencies
        call_command("load_reference", wilayah="74.02", verbosity=0)
    pkh = Program.objects.get(code="pkh")
    counts = []
    for rows in (2, 8):
        while pkh.enrollments.count() < rows:
            enrollment_create(household=HouseholdFactory(), program=pkh, year=2024, status="active")
        with CaptureQueriesContext(connection) as queries:
            assert len(_enrollment_export(bappeda_client)) == rows
        counts.append(len(queries))
    assert counts[0] == counts[1]


def _recipient_cells(html: str) -> list[str]:
    """The recipient column of the enrollment list, as its cells read."""
    cells = re.findall(r'<td class="field-member_name[^"]*">(.*?)</td>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


@pytest.mark.django_db
def test_the_enrollment_list_marks_a_recipient_recorded_dead_as_the_household_page_does(
        bappeda_client, bappeda_user, reference):
    """A recipient whose death an approved verval recorded reads "(meninggal)" in the enrollment list
    and in its search results, as in the household page's aid table; a living one does not; and the
    mark costs no query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dedup.membership import members_mark_absent

    household = HouseholdFactory(head_name="Kepala Uji")
    pip = Program.objects.get(code="pip")
    url = reverse("admin:programs_enrollment_changelist")
    counts = []
    for rows in (2, 5):
        while pip.enrollments.count() < rows:
            member = MemberFactory(household=household, name=f"Wa Ode Sari {pip.enrollments.count()}")
            enrollment_create(household=household, program=pip, year=2025, member=member, by=bappeda_user)
            members_mark_absent(members=[member], absent=True, by=bappeda_user, reason="Meninggal (verval)", deceased=True)
        with CaptureQueriesContext(connection) as queries:
            html = bappeda_client.get(url).content.decode()
        counts.append(len(queries))
        assert sorted(_recipient_cells(html)) == [f"Wa Ode Sari {n} (meninggal)" for n in range(rows)]
    assert counts[0] == counts[1]
    living = MemberFactory(household=household, name="Andi Lasa")
    enrollment_create(household=household, program=pip, year=2025, member=living, by=bappeda_user)
    assert "Andi Lasa" in _recipient_cells(bappeda_client.get(url).content.decode())
    household_page = bappeda_client.get(reverse("agencies:household_detail", args=[household.pk])).content.decode()
    assert "Wa Ode Sari 0" in household_page and "(meninggal)" in household_page

    found = bappeda_client.get(url, {"q": "Wa Ode Sari 3"}).content.decode()
    assert _recipient_cells(found) == ["Wa Ode Sari 3 (meninggal)"]
