"""Values that look like COPY's own markup are stored as typed: a text reading exactly ``\\N`` (COPY's
NULL), a backslash before an N inside a name, text outside ASCII in the JSON of unknown values."""

from __future__ import annotations

import pytest

from households.models import Household, Member

from .conftest import HH_2023, IND_2023, head_member_row, household_row, write_xlsx
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db


def test_texts_like_copy_markup_are_stored_as_typed(reference, tmp_path):
    households = [household_row("122000001", 100, **{"Alamat": "\\N", "Jenis Atap": "Daun rumbia \u00f1 \u2013 \u6728"})]
    members = [head_member_row("122000001", "91220000011", 100, Nama="LA \\N ODE")]
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})
    code, out, _ = run("import_p3ke", str(path), "--json")
    assert code == 0, out
    household = Household.objects.get(p3ke_id="122000001")
    assert household.address == "\\N"
    assert household.raw_values == {"roof_type": "Daun rumbia \u00f1 \u2013 \u6728"}
    assert household.source_values["address"] == "\\N"
    history = household.history.get()
    assert history.address == "\\N" and history.raw_values == household.raw_values
    member = Member.objects.get(id_individu="91220000011")
    assert member.name == "LA \\N ODE" and member.history.get().name == "LA \\N ODE"
