"""What an agency records on its own enrollments, through the services, with messages."""

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from programs.models import EnrollmentStatus
from tests.agencies.helpers import deliver, listed_ids

pytestmark = pytest.mark.django_db


def _messages(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def _post(client, enrollment, action, data=None):
    return client.post(f"/kepesertaan/{enrollment.pk}/{action}/", data or {}, follow=True)


def _deliver(client, enrollment, typed):
    """Type ``typed`` into the delivery form of the household page and save it."""
    return deliver(client, enrollment, **typed)


def test_accept_makes_a_proposed_household_active_and_records_who(registry, login):
    enrollment = registry.enr.a_pkh
    response = _post(login(registry.users.head), enrollment, "terima")
    assert response.redirect_chain[-1][0] == f"/keluarga/{registry.hh.a.pk}/"
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    latest = enrollment.history.first()
    assert latest.status == EnrollmentStatus.ACTIVE and latest.history_user == registry.users.head
    html = response.content.decode()
    assert "Keluarga diterima: Program Keluarga Harapan (PKH) 2024 sekarang aktif." in html
    assert "Riwayat perubahan kepesertaan" in html and "kadis-dinsos" in html


def test_accept_twice_is_explained_and_changes_nothing(registry, login):
    enrollment = registry.enr.b_sembako  # already active
    response = _post(login(registry.users.head), enrollment, "terima")
    assert ("error", "Tidak dapat menerima: status kepesertaan saat ini Aktif. "
                     "Bila keluarga ini tidak lagi berhak, minta Bappeda membatalkan kepesertaannya.") in _messages(response)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE and enrollment.history.count() == 1


def test_reject_needs_a_reason(registry, login):
    enrollment = registry.enr.a_pkh
    response = _post(login(registry.users.head), enrollment, "tolak", {"reason": "   "})
    assert ("error", "Alasan penolakan wajib diisi.") in _messages(response)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.PROPOSED and enrollment.status_reason == ""


def test_reject_with_reason(registry, login):
    enrollment = registry.enr.a_pkh
    response = _post(login(registry.users.operator), enrollment, "tolak", {"reason": "Sudah pindah ke Kendari"})
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REJECTED
    assert enrollment.status_reason == "Sudah pindah ke Kendari"
    assert "Sudah pindah ke Kendari" in response.content.decode()


def test_mark_delivered_with_date_and_amount(registry, login):
    enrollment = registry.enr.b_sembako
    response = _deliver(login(registry.users.head), enrollment, {"delivered_on": "15/03/2024", "amount": "Rp 1.250.000"})
    enrollment.refresh_from_db()
    assert enrollment.delivered_on == datetime.date(2024, 3, 15) and enrollment.amount == 1_250_000
    assert enrollment.status == EnrollmentStatus.ACTIVE
    html = response.content.decode()
    assert "Penyaluran Program Sembako (BPNT) 2024 dicatat: total tersalurkan Rp 1.250.000, terakhir 15/03/2024." in html
    assert "15/03/2024" in html and "Rp 1.250.000" in html


@pytest.mark.parametrize(
    "data, message",
    [
        ({"delivered_on": "", "amount": "100000"}, "Tanggal penyaluran wajib diisi."),
        ({"delivered_on": "15/03/2024", "amount": ""}, "Nilai bantuan wajib diisi."),
        ({"delivered_on": "15/03/2024", "amount": "satu juta"}, "Tulis nilai dalam rupiah tanpa desimal, mis. 1.250.000."),
        ({"delivered_on": "15/03/2024", "amount": "0"}, "Nilai bantuan harus lebih dari Rp 0."),
        # No family's aid comes near Rp 10 miliar: a number that does is a typo, said in rupiah.
        ({"delivered_on": "15/03/2024", "amount": "9223372036854775807"},
         "Nilai bantuan Rp 9.223.372.036.854.775.807 melebihi batas Rp 10.000.000.000 per kepesertaan. Periksa jumlah digitnya."),
        ({"delivered_on": "15/03/2024", "amount": "9" * 21},
         "Nilai bantuan Rp 999.999.999.999.999.999.999 melebihi batas Rp 10.000.000.000 per kepesertaan. Periksa jumlah digitnya."),
        ({"delivered_on": "15/03/2024", "amount": "10.000.000.001"},
         "Nilai bantuan Rp 10.000.000.001 melebihi batas Rp 10.000.000.000 per kepesertaan. Periksa jumlah digitnya."),
        ({"delivered_on": "31/02/2024", "amount": "100000"}, "Tulis tanggal sebagai dd/mm/yyyy, mis. 05/01/2026."),
        # Month first, as an English browser's date picker wrote it: 03/15 is no day of the year.
        ({"delivered_on": "03/15/2024", "amount": "100000"}, "Tulis tanggal sebagai dd/mm/yyyy, mis. 05/01/2026."),
        ({"delivered_on": "future", "amount": "100000"}, "Tanggal penyaluran tidak boleh di masa depan."),
        ({"delivered_on": "01/01/2019", "amount": "100000"}, "Tanggal penyaluran 01/01/2019 terlalu jauh sebelum tahun program 2024."),
    ],
)
def test_bad_delivery_input_is_explained_and_nothing_is_written(registry, login, data, message):
    if data["delivered_on"] == "future":
        data = {**data, "delivered_on": (timezone.localdate() + datetime.timedelta(days=2)).strftime("%d/%m/%Y")}
    enrollment = registry.enr.b_sembako
    response = _deliver(login(registry.users.head), enrollment, data)
    assert ("error", message) in _messages(response)
    enrollment.refresh_from_db()
    assert enrollment.delivered_on is None and enrollment.amount == 600_000
    assert enrollment.history.count() == 1


def test_delivery_on_a_proposed_enrollment_is_refused(registry, login):
    enrollment = registry.enr.a_pkh
    response = _post(login(registry.users.head), enrollment, "salurkan", {"delivered_on": "15/03/2024", "amount": "100000"})
    assert ("error", "Tidak dapat mencatat penyaluran: status kepesertaan saat ini Diusulkan. "
                     "Terima usulan ini lebih dulu.") in _messages(response)
    enrollment.refresh_from_db()
    assert enrollment.amount is None


def test_complete_closes_an_active_enrollment(registry, login):
    enrollment = registry.enr.b_sembako
    _post(login(registry.users.head), enrollment, "selesai")
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.COMPLETED


def test_complete_a_proposed_one_is_refused(registry, login):
    enrollment = registry.enr.a_pkh
    response = _post(login(registry.users.head), enrollment, "selesai")
    assert ("error", "Tidak dapat menyelesaikan: status kepesertaan saat ini Diusulkan. "
                     "Terima usulan ini lebih dulu.") in _messages(response)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.PROPOSED


def _details(html: str, action: str) -> tuple[str, str] | None:
    """(summary, body) of the ``<details>`` that holds the form posting to ``action``, else None."""
    for summary, body in re.findall(r'<details class="action">\s*<summary>(.*?)</summary>(.*?)</details>', html, flags=re.S):
        if f'action="{action}"' in body:
            return summary, " ".join(re.sub(r"<[^>]+>", " ", body).split())
    return None


def test_complete_is_confirmed_in_a_second_step_that_says_what_it_closes(registry, login):
    """"Selesai" sits beside "Catat penyaluran" and the agency cannot undo it: it opens a
    confirmation that says so (no script: the site's CSP allows none inline), as "Tolak" does."""
    enrollment = registry.enr.b_sembako  # active, nothing delivered yet
    action = f"/kepesertaan/{enrollment.pk}/selesai/"
    html = login(registry.users.head).get(f"/keluarga/{registry.hh.b.pk}/").content.decode()
    assert html.count(f'action="{action}"') == 1
    summary, body = _details(html, action)
    assert summary == "Selesai"
    assert "Belum ada penyaluran yang dicatat." in body
    assert ("Tandai selesai hanya bila seluruh bantuan sudah disalurkan dan dicatat: setelah itu penyaluran "
            "tidak dapat dicatat lagi, dan hanya Bappeda yang dapat membukanya kembali.") in body
    assert "Ya, tandai selesai" in body
    _deliver(login(registry.users.head), enrollment, {"delivered_on": "15/03/2024", "amount": "600.000"})
    html = login(registry.users.head).get(f"/keluarga/{registry.hh.b.pk}/").content.decode()
    assert "Sudah disalurkan Rp 600.000, terakhir 15/03/2024." in _details(html, action)[1]


def test_a_delivery_after_completion_says_who_can_reopen(registry, login):
    enrollment = registry.enr.b_sembako
    client = login(registry.users.operator)
    _post(client, enrollment, "selesai")
    response = _post(client, enrollment, "salurkan", {"delivered_on": "15/03/2024", "amount": "600.000"})
    assert ("error", "Tidak dapat mencatat penyaluran: status kepesertaan saat ini Selesai. Hanya Bappeda yang dapat "
                     "membuka kembali kepesertaan ini: minta Bappeda mengubah statusnya bila masih ada yang perlu "
                     "dicatat.") in _messages(response)
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.delivered_on) == (EnrollmentStatus.COMPLETED, None)


def test_a_conflict_still_open_after_a_delivery_says_who_decides_and_what_to_do_meanwhile(registry, login):
    enrollment = registry.enr.f_pkh  # active, in an open conflict with Rutilahu 2024
    response = _deliver(login(registry.users.head), enrollment, {"delivered_on": "15/03/2024", "amount": "600.000"})
    warnings = [text for level, text in _messages(response) if level == "warning"]
    assert warnings == [
        f"Keluarga ini sudah menerima {registry.programs['rutilahu'].name} 2024: konflik "
        f"#{registry.conflict.pk} masih terbuka. Bappeda yang memutuskan bantuan mana yang dipertahankan; sambil "
        f"menunggu keputusan itu, tunda penyaluran berikutnya untuk keluarga ini."
    ]


@pytest.mark.bypasses_services  # the one-aid check is replaced by a stub: this test reads how the page shows it
def test_conflicts_raised_by_an_action_are_shown(registry, login, monkeypatch):
    """The one-aid check runs on every action; the conflicts it reports become warnings."""
    checked = []

    def fake_check(ids, **kwargs):
        checked.append(list(ids))
        return [registry.conflict]

    monkeypatch.setattr("programs.services.check_enrollments", fake_check)
    enrollment = registry.enr.f_rutilahu
    response = _post(login(registry.users.head), enrollment, "terima")
    assert checked == [[enrollment.pk]]
    expected = f"Keluarga ini sudah menerima Program Keluarga Harapan (PKH) 2024: konflik #{registry.conflict.pk}"
    warnings = [text for level, text in _messages(response) if level == "warning"]
    assert len(warnings) == 1 and warnings[0].startswith(expected)


def test_detail_page_shows_actions_only_for_own_programs(registry, login):
    html = login(registry.users.head).get(f"/keluarga/{registry.hh.d.pk}/").content.decode()
    # PKH 2023 (Dinsos) is completed: no action; SPAM (PU) is active but not Dinsos': no action.
    assert f"/kepesertaan/{registry.enr.d_spam.pk}/" not in html
    assert "Sistem Penyediaan Air Minum (SPAM)" in html  # every aid from every agency is listed
    html = login(registry.users.other_head).get(f"/keluarga/{registry.hh.d.pk}/").content.decode()
    assert f"/kepesertaan/{registry.enr.d_spam.pk}/salurkan/" in html


def test_delivery_form_takes_the_date_as_dd_mm_yyyy_text_and_shows_the_amount_in_rupiah(registry, login):
    """A browser's own date picker shows mm/dd/yyyy in English: the day is typed as every page
    shows dates. The planned amount is offered as it is written, 600.000."""
    enrollment = registry.enr.b_sembako  # active, Rp 600.000 planned, nothing delivered yet
    html = login(registry.users.head).get(f"/keluarga/{registry.hh.b.pk}/").content.decode()
    form = html.split(f'action="/kepesertaan/{enrollment.pk}/salurkan/"', 1)[1].split("</form>", 1)[0]
    assert 'type="date"' not in form
    date_input = re.search(r'<input[^>]*name="delivered_on"[^>]*>', form).group(0)
    assert 'type="text"' in date_input and 'placeholder="dd/mm/yyyy"' in date_input and 'inputmode="numeric"' in date_input
    assert f'id="delivered_on-{enrollment.pk}"' in date_input and f'for="delivered_on-{enrollment.pk}"' in form
    amount_input = re.search(r'<input[^>]*name="amount"[^>]*>', form).group(0)
    assert 'value="600.000"' in amount_input and f'for="amount-{enrollment.pk}"' in form
    response = _deliver(login(registry.users.head), enrollment, {"delivered_on": "05/01/2024", "amount": "600.000"})
    enrollment.refresh_from_db()
    assert (enrollment.delivered_on, enrollment.amount) == (datetime.date(2024, 1, 5), 600_000)
    assert "05/01/2024" in response.content.decode()


def test_detail_shows_members_conditions_and_open_conflicts(registry, login):
    response = login(registry.users.operator).get(f"/keluarga/{registry.hh.f.pk}/")
    html = response.content.decode()
    assert "Konflik satu bantuan terbuka" in html and f"Konflik #{registry.conflict.pk}" in html
    html = login(registry.users.operator).get(f"/keluarga/{registry.hh.a.pk}/").content.decode()
    assert "Fatimah Lapodi" in html and "Kondisi tempat tinggal" in html
    fatimah = registry.hh.a.members.get(name="Fatimah Lapodi").nik
    assert fatimah not in html and fatimah[:6] + "*" * 10 in html


def test_a_masked_nik_cannot_be_rebuilt_from_the_page_that_masks_it(registry, login):
    # A NIK is its region, the birth date (day + 40 for a woman) and a serial. The page shows the
    # village and each member's birth date and sex, so only a hidden serial keeps the NIK hidden.
    for user in (registry.users.operator, registry.users.leader):
        html = login(user).get(f"/keluarga/{registry.hh.a.pk}/").content.decode()
        for member in registry.hh.a.members.all():
            assert member.birth_date.strftime("%d/%m/%Y") in html
            assert member.nik not in html and member.nik[:6] + "*" * 10 in html
            assert "*" + member.nik[-4:] not in html


def test_leadership_sees_no_action_buttons(registry, login):
    html = login(registry.users.leader).get(f"/keluarga/{registry.hh.a.pk}/").content.decode()
    assert "/terima/" not in html and "/tolak/" not in html


def test_rejecting_one_side_closes_its_open_conflict(registry, login):
    """The real one-aid check runs on the action: a rejected proposal no longer conflicts."""
    _post(login(registry.users.head), registry.enr.f_rutilahu, "tolak", {"reason": "Rumah sudah layak"})
    registry.conflict.refresh_from_db()
    assert registry.conflict.status != "open"
    listed = login(registry.users.head).get("/keluarga/?conflict=1")
    assert listed_ids(listed) == [registry.hh.d.pk]  # d's conflict is another one
