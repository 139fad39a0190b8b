"""An agency records its aid in stages: each delivery adds to what was delivered (as an import merges
a list's TAHAP stages), the page says the total and the latest day, and the history says what
changed, old and new."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from programs.models import EnrollmentStatus
from tests.agencies.helpers import deliver_form

pytestmark = pytest.mark.django_db

SEMBAKO = "Program Sembako (BPNT)"


def _messages(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def _page(client, enrollment) -> str:
    return client.get(f"/keluarga/{enrollment.household_id}/").content.decode()


def _deliver(client, enrollment, day: str, amount: str, *, page: str | None = None):
    """Type a delivery into the form of the household page (``page``: one opened earlier) and save it."""
    data = deliver_form(page or _page(client, enrollment), enrollment, delivered_on=day, amount=amount)
    return client.post(f"/kepesertaan/{enrollment.pk}/salurkan/", data, follow=True)


def _when(enrollment) -> str:
    """When the enrollment's latest change was saved, as the messages say it."""
    return timezone.localtime(enrollment.history.first().history_date).strftime("%d/%m/%Y %H:%M")


def _cells(html: str, row_id: str) -> list[str]:
    row = html.split(f'id="{row_id}"', 1)[1].split("</tr>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]


def _history(html: str) -> list[list[str]]:
    table = html.split("Riwayat perubahan kepesertaan", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], flags=re.S)
    return [[" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td>(.*?)</td>", row, flags=re.S)] for row in rows]


def test_deliveries_in_stages_add_up_and_the_page_says_the_total_and_the_latest_day(registry, login):
    enrollment = registry.enr.b_sembako  # 2024, active, Rp 600.000 planned, nothing delivered yet
    client = login(registry.users.head)

    first = _deliver(client, enrollment, "20/11/2024", "750.000")
    assert ("success", f"Penyaluran {SEMBAKO} 2024 dicatat: total tersalurkan Rp 750.000, terakhir 20/11/2024.") in _messages(first)
    assert ("warning", "Nilai rencana Rp 600.000 diganti dengan nilai yang disalurkan Rp 750.000.") in _messages(first)

    second = _deliver(client, enrollment, "25/11/2024", "Rp 600.000")
    assert _messages(second) == [
        ("success", f"Penyaluran {SEMBAKO} 2024 dicatat: total tersalurkan Rp 1.350.000, terakhir 25/11/2024."),
        ("warning", "Penyaluran bertahap: Rp 600.000 pada 25/11/2024 ditambahkan ke Rp 750.000 yang sudah tercatat "
                    "(terakhir 20/11/2024); total tersalurkan Rp 1.350.000, terakhir 25/11/2024."),
    ]
    enrollment.refresh_from_db()
    assert (enrollment.amount, enrollment.delivered_on, enrollment.status) == (
        1_350_000, datetime.date(2024, 11, 25), EnrollmentStatus.ACTIVE
    )

    html = second.content.decode()
    cells = _cells(html, f"kepesertaan-{enrollment.pk}")
    assert cells[5:7] == ["25/11/2024", "Rp 1.350.000 total tersalurkan"]
    assert "Penyaluran terakhir" in html
    form = html.split(f'action="/kepesertaan/{enrollment.pk}/salurkan/"', 1)[1].split("</form>", 1)[0]
    assert "Sudah disalurkan Rp 1.350.000, terakhir 25/11/2024. Penyaluran tahap berikutnya ditambahkan ke total." in form
    # A new stage starts empty: the total is not offered again as if it were one stage's amount.
    assert re.search(r'<input[^>]*name="amount"[^>]*>', form).group(0).count("value=") == 0

    history = _history(html)
    assert history[0][4:] == [
        "Aktif", "Diubah Nilai (Rp): Rp 750.000 → Rp 1.350.000 Tanggal penyaluran: 20/11/2024 → 25/11/2024"
    ]
    assert history[1][4:] == ["Aktif", "Diubah Nilai (Rp): Rp 600.000 → Rp 750.000 Tanggal penyaluran: – → 20/11/2024"]
    assert history[0][1] == history[1][1] == "kadis-dinsos"


def test_an_earlier_stage_recorded_late_adds_up_and_keeps_the_latest_day(registry, login):
    enrollment = registry.enr.b_sembako
    client = login(registry.users.head)
    _deliver(client, enrollment, "25/11/2024", "600.000")
    _deliver(client, enrollment, "20/08/2024", "750.000")
    enrollment.refresh_from_db()
    assert (enrollment.amount, enrollment.delivered_on) == (1_350_000, datetime.date(2024, 11, 25))


def test_a_delivery_in_another_year_than_the_enrollments_is_recorded_with_a_warning(registry, login):
    enrollment = registry.enr.b_sembako  # a 2024 enrollment
    response = _deliver(login(registry.users.head), enrollment, "10/02/2025", "600.000")
    assert (
        "warning",
        "Tanggal penyaluran 10/02/2025 tidak di tahun program 2024; periksa tanggal atau tahun kepesertaannya.",
    ) in _messages(response)
    enrollment.refresh_from_db()
    assert enrollment.delivered_on == datetime.date(2025, 2, 10)


def test_the_same_delivery_saved_twice_or_from_a_page_opened_earlier_is_recorded_once(registry, login):
    """A double click, a reload after a slow save, or the head recording the stage the operator just
    recorded: the page they post from no longer shows what is recorded, so the delivery is refused
    and the message says what is recorded now. A next stage from the current page still adds."""
    enrollment = registry.enr.b_sembako  # 2024, active, Rp 600.000 planned, nothing delivered yet
    head_page = _page(login(registry.users.head), enrollment)  # the head opened the page earlier
    operator = login(registry.users.operator)
    page = _page(operator, enrollment)

    first = _deliver(operator, enrollment, "15/03/2024", "600.000", page=page)
    assert _messages(first) == [
        ("success", f"Penyaluran {SEMBAKO} 2024 dicatat: total tersalurkan Rp 600.000, terakhir 15/03/2024."),
    ]
    enrollment.refresh_from_db()
    already = (
        "error",
        f"Penyaluran tidak dicatat dua kali: sejak halaman Anda dibuka, penyaluran sudah dicatat oleh operator-dinsos "
        f"pada {_when(enrollment)}. Sekarang tercatat total tersalurkan Rp 600.000, terakhir 15/03/2024. "
        "Bila ini memang tahap berikutnya, catat lagi dari halaman ini.",
    )
    again = _deliver(operator, enrollment, "15/03/2024", "600.000", page=page)  # double click, or reload
    assert _messages(again) == [already]
    assert _messages(_deliver(login(registry.users.head), enrollment, "15/03/2024", "600.000", page=head_page)) == [already]
    enrollment.refresh_from_db()
    assert (enrollment.amount, enrollment.delivered_on) == (600_000, datetime.date(2024, 3, 15))
    assert enrollment.history.count() == 2

    # The page the refusal returns to shows what is recorded: a genuine next stage from it adds.
    second = _deliver(operator, enrollment, "15/06/2024", "600.000", page=again.content.decode())
    assert ("success", f"Penyaluran {SEMBAKO} 2024 dicatat: total tersalurkan Rp 1.200.000, terakhir 15/06/2024.") in _messages(second)
    enrollment.refresh_from_db()
    assert (enrollment.amount, enrollment.delivered_on) == (1_200_000, datetime.date(2024, 6, 15))


def test_a_delivery_from_a_page_whose_planned_value_changed_since_is_refused(registry, login):
    from programs.services import enrollment_update

    enrollment = registry.enr.b_sembako
    client = login(registry.users.operator)
    page = _page(client, enrollment)
    enrollment_update(enrollment=enrollment, by=registry.users.bappeda, amount=650_000)  # Bappeda, in the admin
    response = _deliver(client, enrollment, "15/03/2024", "600.000", page=page)
    assert _messages(response) == [(
        "error",
        f"Penyaluran tidak dicatat: sejak halaman Anda dibuka, kepesertaan ini diubah oleh bappeda pada {_when(enrollment)}; "
        "sekarang nilai rencananya Rp 650.000 dan belum ada penyaluran. Periksa, lalu catat lagi dari halaman ini.",
    )]
    enrollment.refresh_from_db()
    assert (enrollment.amount, enrollment.delivered_on) == (650_000, None)


def test_a_delivery_posted_without_the_state_its_page_showed_is_refused(registry, login):
    enrollment = registry.enr.b_sembako
    response = login(registry.users.operator).post(
        f"/kepesertaan/{enrollment.pk}/salurkan/", {"delivered_on": "15/03/2024", "amount": "600.000"}, follow=True
    )
    assert _messages(response) == [
        ("error", "Formulir penyaluran ini tidak lengkap. Muat ulang halaman, lalu catat lagi.")
    ]
    enrollment.refresh_from_db()
    assert (enrollment.amount, enrollment.delivered_on) == (600_000, None)


def test_a_stage_that_takes_the_total_over_the_limit_is_refused(registry, login):
    enrollment = registry.enr.b_sembako
    client = login(registry.users.head)
    _deliver(client, enrollment, "20/11/2024", "10.000.000.000")
    response = _deliver(client, enrollment, "25/11/2024", "1")
    assert _messages(response) == [(
        "error", "Nilai bantuan Rp 10.000.000.001 melebihi batas Rp 10.000.000.000 per kepesertaan. Periksa jumlah digitnya."
    )]
    enrollment.refresh_from_db()
    assert (enrollment.amount, enrollment.delivered_on) == (10_000_000_000, datetime.date(2024, 11, 20))


def test_stages_a_list_paid_are_shown_before_the_operator_records_another(registry, login):
    """A Kemensos list without a date column recorded two stages: the page says they were paid, with
    their total and names, in the table, the delivery form and the Selesai box, instead of 'nothing
    recorded' (which had operators type the same payment again)."""
    enrollment = registry.enr.b_sembako
    enrollment.amount, enrollment.stages = 1_500_000, "TAHAP 1 2024; TAHAP 2 2024"
    enrollment.save()
    client = login(registry.users.head)

    html = _page(client, enrollment)

    assert "Belum ada penyaluran yang dicatat." not in html
    assert _cells(html, f"kepesertaan-{enrollment.pk}")[6] == "Rp 1.500.000 total tersalurkan"
    note = "Sudah disalurkan Rp 1.500.000 menurut daftar penerima (TAHAP 1 2024; TAHAP 2 2024)."
    assert html.count(note) == 2  # the delivery form and the Selesai box
