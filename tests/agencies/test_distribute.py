"""Bappeda distributes households to an agency's program in bulk, through the one-aid check."""

import pytest
from django.conf import settings
from django.contrib.messages import get_messages

from programs.models import Enrollment, EnrollmentSource, EnrollmentStatus

pytestmark = pytest.mark.django_db


def _messages(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def test_distribute_ticked_households(registry, login):
    hh = registry.hh
    response = login(registry.users.bappeda).post(
        "/keluarga/distribusi/",
        {"program": "bsps", "year": "2025", "household": [hh.e.pk, hh.g.pk], "filters": "aid=none"},
    )
    assert response.status_code == 302 and response["Location"] == "/keluarga/?aid=none"
    created = Enrollment.objects.filter(program__code="bsps", year=2025)
    assert set(created.values_list("household_id", flat=True)) == {hh.e.pk, hh.g.pk}
    assert set(created.values_list("status", "source", "created_by")) == {
        (EnrollmentStatus.PROPOSED, EnrollmentSource.DISTRIBUTION, registry.users.bappeda.pk)
    }
    assert ("success", "2 keluarga diusulkan ke Bantuan Stimulan Perumahan Swadaya (BSPS) 2025; 0 sudah terdaftar sebelumnya; 0 konflik satu bantuan ditandai.") in _messages(response)
    # The agency now finds them in its list.
    perkim = login(registry.users.bappeda).get("/keluarga/?agency=perkim&year=2025")
    assert perkim.context["paginator"].count == 2


def test_distribute_everything_the_filter_selects(registry, login):
    response = login(registry.users.bappeda).post(
        "/keluarga/distribusi/", {"program": "spam", "year": "2025", "everything": "on", "filters": "desil=1"}
    )
    assert response.status_code == 302
    assert set(Enrollment.objects.filter(program__code="spam", year=2025).values_list("household_id", flat=True)) == {
        registry.hh.a.pk, registry.hh.d.pk, registry.hh.g.pk
    }


def test_already_enrolled_households_are_counted_not_duplicated(registry, login):
    response = login(registry.users.bappeda).post(
        "/keluarga/distribusi/", {"program": "pkh", "year": "2024", "household": [registry.hh.a.pk, registry.hh.e.pk]}
    )
    assert ("success", "1 keluarga diusulkan ke Program Keluarga Harapan (PKH) 2024; 1 sudah terdaftar sebelumnya; 0 konflik satu bantuan ditandai.") in _messages(response)
    assert Enrollment.objects.filter(program__code="pkh", year=2024, household=registry.hh.a).count() == 1


@pytest.mark.bypasses_services  # the one-aid check is replaced by a stub: this test reads how the page reports it
def test_conflicts_of_a_distribution_are_reported(registry, login, monkeypatch):
    from dedup.engine import RecheckResult

    seen = []

    def fake_check(ids, households, **kwargs):
        seen.extend(ids)
        conflict = registry.conflict
        # Pretend the new enrollment conflicts with the household's PKH.
        conflict.enrollment_b_id = ids[0]
        return RecheckResult(), [conflict]

    monkeypatch.setattr("programs.services.check_enrollments_and_households", fake_check)
    response = login(registry.users.bappeda).post(
        "/keluarga/distribusi/", {"program": "bsps", "year": "2024", "household": [registry.hh.f.pk]}
    )
    assert len(seen) == 1
    warnings = [text for level, text in _messages(response) if level == "warning"]
    assert warnings and warnings[0].startswith("Keluarga ini sudah menerima Program Keluarga Harapan (PKH) 2024: konflik #")


@pytest.mark.parametrize(
    "data, message",
    [
        ({"program": "pip", "year": "2025", "household": ["1"]}, "Program tidak dikenal."),
        ({"program": "", "year": "2025", "household": ["1"]}, "Pilih program tujuan."),
        ({"program": "pkh", "year": "1999", "household": ["1"]}, "Pastikan nilai ini lebih besar dari atau sama dengan 2000."),
        ({"program": "pkh", "year": "2025"}, "Pilih minimal satu keluarga, atau centang semua keluarga hasil filter."),
        ({"program": "pkh", "year": "2025", "household": ["abc"]}, "Pilihan keluarga tidak valid."),
        ({"program": "pkh", "year": "2025", "household": ["999999"]}, "Sebagian keluarga yang dipilih tidak ditemukan; tidak ada yang didistribusikan."),
    ],
)
def test_bad_distribution_is_explained_and_writes_nothing(registry, login, data, message):
    before = Enrollment.objects.count()
    response = login(registry.users.bappeda).post("/keluarga/distribusi/", data)
    assert ("error", message) in _messages(response)
    assert Enrollment.objects.count() == before


def test_person_programs_are_refused_by_the_service(registry):
    from django.core.exceptions import ValidationError

    from programs.distribution import households_distribute
    from programs.models import Program

    with pytest.raises(ValidationError, match="program perorangan"):
        households_distribute(program=Program.objects.get(code="pip"), year=2025, household_ids=[registry.hh.a.pk],
                              by=registry.users.bappeda)
    assert not Enrollment.objects.filter(program__code="pip").exists()


def test_list_offers_distribution_to_bappeda_only(registry, login):
    assert 'id="distribute-form"' in login(registry.users.bappeda).get("/keluarga/").content.decode()
    for user in (registry.users.head, registry.users.leader):
        assert 'id="distribute-form"' not in login(user).get("/keluarga/").content.decode()


def test_real_one_aid_check_flags_a_second_aid(registry, login):
    """Without any stand-in: distributing BSPS to a household with an active Sembako raises a conflict."""
    from dedup.models import Conflict

    response = login(registry.users.bappeda).post(
        "/keluarga/distribusi/", {"program": "bsps", "year": "2024", "household": [registry.hh.b.pk]}
    )
    conflict = Conflict.objects.get(household=registry.hh.b)
    warnings = [text for level, text in _messages(response) if level == "warning"]
    assert warnings == [f"Keluarga ini sudah menerima Program Sembako (BPNT) 2024: konflik #{conflict.pk} dibuat"]
    listed = login(registry.users.head).get("/keluarga/?conflict=1")
    assert registry.hh.b in listed.context["page"].object_list


def test_a_choice_beyond_the_remaining_quota_is_refused_whole(registry, login):
    from programs.models import Program

    bsps = Program.objects.get(code="bsps")
    bsps.quota = 1
    bsps.save()
    hh = registry.hh
    response = login(registry.users.bappeda).post(
        "/keluarga/distribusi/", {"program": "bsps", "year": "2025", "household": [hh.e.pk, hh.g.pk]}
    )
    assert (
        "error",
        "Kuota Bantuan Stimulan Perumahan Swadaya (BSPS) tahun 2025 tersisa 1 keluarga, sedangkan 2 keluarga yang "
        "dipilih belum terdaftar di program ini; tidak ada yang didistribusikan. Kurangi pilihan atau ubah kuota program.",
    ) in _messages(response)
    assert not Enrollment.objects.filter(program=bsps, year=2025).exists()
    english = login(registry.users.bappeda)
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = english.post("/keluarga/distribusi/", {"program": "bsps", "year": "2025", "household": [hh.e.pk, hh.g.pk]})
    assert (
        "error",
        "The 2025 quota of Bantuan Stimulan Perumahan Swadaya (BSPS) has 1 household left; chosen households not yet "
        "in this program: 2. Nothing was distributed. Choose fewer households or change the program's quota.",
    ) in _messages(response)
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"

    response = login(registry.users.bappeda).post(
        "/keluarga/distribusi/", {"program": "bsps", "year": "2025", "household": [hh.e.pk]}
    )
    assert Enrollment.objects.filter(program=bsps, year=2025).count() == 1
    # The quota is full; a household already in the program is counted, not refused.
    response = login(registry.users.bappeda).post(
        "/keluarga/distribusi/", {"program": "bsps", "year": "2025", "household": [hh.e.pk]}
    )
    assert ("success", "0 keluarga diusulkan ke Bantuan Stimulan Perumahan Swadaya (BSPS) 2025; 1 sudah terdaftar sebelumnya; 0 konflik satu bantuan ditandai.") in _messages(response)
    response = login(registry.users.bappeda).post(
        "/keluarga/distribusi/", {"program": "bsps", "year": "2025", "household": [hh.g.pk]}
    )
    assert any(level == "error" and "tersisa 0 keluarga" in text for level, text in _messages(response))
    assert Enrollment.objects.filter(program=bsps, year=2025).count() == 1


def test_distributing_everything_under_an_invalid_filter_is_refused(registry, login):
    """An unknown village in the list's filters would otherwise select every household."""
    response = login(registry.users.bappeda).post(
        "/keluarga/distribusi/", {"program": "spam", "year": "2025", "everything": "on", "filters": "desa=999999&desil=1"}
    )
    assert response.status_code == 302 and response["Location"] == "/keluarga/?desa=999999&desil=1"
    assert ("error", "Distribusi dibatalkan: filter Desa/kelurahan tidak valid. Perbaiki filter, lalu coba lagi.") in _messages(response)
    assert not Enrollment.objects.filter(program__code="spam", year=2025).exists()
