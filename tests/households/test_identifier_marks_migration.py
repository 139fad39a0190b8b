"""Identifiers stored before the import read them without Excel's text marks (``'122240001``,
``="..."``) lose them: the next upload of the same data finds the family it holds, rather than
creating it a second time. A value another record already holds is left, and logged: that is one
family twice, for the dedup screens."""

from __future__ import annotations

import json
import logging

import pytest
from django.db import connection

from households.models import Household, Member

from .conftest import apps_at, migrate_to_latest, nik, write_csv
from .test_import_bad_input import run
from .test_import_excel_text_ids import P3KE_2022, p3ke_2022

BEFORE = [("households", "0021_desa_reference_code")]


def old_models():
    old = apps_at(BEFORE)
    desa = old.get_model("households", "Desa").objects.get(code_plain="7409012006")

    def family(head_name="LA KAIMU", **fields):
        return old.get_model("households", "Household").objects.create(
            desa=desa, head_name=head_name, source="p3ke", source_year=2022, **fields
        )

    return family, old.get_model("households", "Member")


def migrated(caplog) -> list[str]:
    with caplog.at_level(logging.WARNING):
        migrate_to_latest()
    return [r.getMessage() for r in caplog.records if "tanda teks Excel" in r.getMessage()]


def left(label: str, pk: int, field: str, holder: int) -> str:
    return (
        f"{label} #{pk}: {field} dibiarkan dengan tanda teks Excel: tanpa tanda itu sama dengan milik {label} "
        f"#{holder} (duplikat identitas; gabungkan di layar duplikat)"
    )


@pytest.mark.django_db(transaction=True)
def test_stored_ids_lose_excel_marks_and_the_plain_file_finds_the_family(reference, tmp_path, caplog):
    family, OldMember = old_models()
    # Stored from an apostrophe file before the import read the marks, with what the source said.
    marked = family(p3ke_id="'122240001", head_nik=nik(21), source_values={"p3ke_id": "'122240001", "address": "Dusun I"})
    OldMember.objects.create(
        household=marked, name="LA KAIMU", relation="kepala", nik=nik(21), id_individu="'91220000011",
        dtks_id='="D21"', source_values={"id_individu": "'91220000011"},
    )
    # The same family as another record holds it already: left with its mark, and logged.
    twin = family(p3ke_id="'122240009")
    holder = family(p3ke_id="122240009", head_name="LA KAIMU II")
    twin_member = OldMember.objects.create(household=twin, name="LA KAIMU II", id_individu="'91220000091")
    holder_member = OldMember.objects.create(household=holder, name="LA KAIMU II", id_individu="91220000091")
    # What would be no identifier without its mark is left as it is.
    odd = family(p3ke_id="'", head_nik="'740901")

    logged = migrated(caplog)

    assert dict(Household.objects.values_list("pk", "p3ke_id")) == {
        marked.pk: "122240001", twin.pk: "'122240009", holder.pk: "122240009", odd.pk: "'",
    }
    assert Household.objects.get(pk=marked.pk).source_values == {"p3ke_id": "122240001", "address": "Dusun I"}
    assert Household.objects.get(pk=odd.pk).head_nik == "'740901"
    member = Member.objects.get(household=marked.pk)
    assert (member.nik, member.id_individu, member.dtks_id, member.source_values) == (
        nik(21), "91220000011", "D21", {"id_individu": "91220000011"},
    )
    assert Member.objects.get(pk=twin_member.pk).id_individu == "'91220000091"
    assert not Household.history.exists() and not Member.history.exists()  # the same identifiers, no change
    assert logged == [
        left("keluarga", twin.pk, "p3ke_id", holder.pk), left("anggota", twin_member.pk, "id_individu", holder_member.pk),
    ]

    # The plain file of the same data: the family the registry holds, not a second one.
    plain = write_csv(tmp_path / "p3ke.csv", P3KE_2022, [p3ke_2022("")])
    code, out, err = run("import_p3ke", str(plain), "--partial", "--json", "--year", "2022")
    assert code == 0, (out, err)
    assert json.loads(out)["households"]["created"] == 0
    assert list(Household.objects.filter(p3ke_id="122240001").values_list("pk", flat=True)) == [marked.pk]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL never stored a 16-digit NIK with a mark: 17 characters")
def test_stored_nik_and_no_kk_lose_excel_marks(reference, caplog):
    family, OldMember = old_models()
    marked = family(no_kk='="7409010101200001"', head_nik=f"'{nik(21)}", source_values={"head_nik": f"'{nik(21)}"})
    OldMember.objects.create(household=marked, name="LA KAIMU", nik=f"'{nik(21)}")
    twin = family(no_kk="'7409010101200002")
    holder = family(no_kk="7409010101200002", head_name="WA ODE")

    logged = migrated(caplog)

    stored = {h.pk: (h.no_kk, h.head_nik, h.source_values) for h in Household.objects.all()}
    assert stored == {
        marked.pk: ("7409010101200001", nik(21), {"head_nik": nik(21)}),
        twin.pk: ("'7409010101200002", "", {}),
        holder.pk: ("7409010101200002", "", {}),
    }
    assert Member.objects.get().nik == nik(21)
    assert logged == [left("keluarga", twin.pk, "no_kk", holder.pk)]
