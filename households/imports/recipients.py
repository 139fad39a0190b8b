"""Agencies' recipient lists (who received their aid): read, matched to the registry, handed to programs.

Each row is matched to a registry household by NIK (a member's NIK, else a head's NIK), then by
No KK; an unmatched row is a row error. A NIK the registry holds in several families (a son split
into his own family card, his father's not updated yet) finds the family the row's No KK names,
else the one where the person is not marked absent; a row that does not tell which (no No KK, or
one of none of them) is a row error naming them (by No KK, else ID Keluarga P3KE, else head and
village), never the first record in silence. A No KK cell that holds no No KK (Excel dropped its last
digit) is not needed when the row's NIK finds the recipient: a warning then, the No KK unused;
else a row error; the same for a NIK cell that holds no NIK (Excel's ``7.40905E+15``, digits lost)
beside a valid No KK: a warning when the No KK finds the family (of a family program), the NIK
unused. A row found by its No KK alone though it gives a NIK (one the registry does not hold, or a
damaged one) is checked by name: a name that matches none of the family's members is warned
(``_check_family``); a column of the head of the family's name (``NAMA_KK``, ``NAMA KRT``) gives one
more name for that check, never compared with the NIK's owner (a member's NIK may stand beside
it), unless the NIK is the head's too (under KEPALA KELUARGA, a list without a recipient's own
name: ``columns.FAMILY_IDS``). An id written as Excel's text formula (``="7409..."``) is the text inside.
A file with no row under its header is refused (``ReadError``), not applied as
"no change". A NIK or No KK column is all a list needs; OpenSID's
program-bantuan template gives its participant's id in ``Peserta`` (the NIK for a person program,
the No KK for a family one), read as one more NIK or No KK. The program and year come from the
command's options or the upload form, or from the row (``PROGRAM``/``BANSOS``,
``TAHUN``/``PERIODE``/``TAHAP``, e.g. ``TAHAP 2 2024``), else from the OpenSID template's
``Program`` sheet (its ``Nama Program``, its start date), else from the one year the title rows
above the header name (``DAFTAR PENERIMA BANTUAN BIBIT KAKAO TA. 2024``; a warning names the row);
with no year anywhere (or titles naming two), the current year (with a warning). A chosen program or year does not override the rows' own: a row whose
``TAHUN`` names another year is a row error naming both (a row that agrees or leaves the cell
empty takes the chosen one). A row whose ``BANSOS`` names another program than the chosen one (BPNT,
or BLT BBM the registry does not know, in a Kemensos list chosen as PKH) is reported by row and
value and not recorded, the rest of the list imported (a row error when no row takes the chosen
program: the choice is wrong); what is wrong on such a row (a NIK Excel damaged, a No KK cut short, a
year ahead) does not refuse the list either: it is said in the row's note, by column and value; a program name the registry does not know, in a column that names no
registry program, is the agency's own name of the chosen one (BEDAH RUMAH), read as it and warned
once per spelling (``_Chosen``). A year more than one year ahead is a typo the
registry refuses (a row error; the whole list for the operator's year). A program is named by
code, name or ``Penerima`` key, case, punctuation and spacing ignored, or by the usual names of
the national programs (PBI JK, KIS PBI, BPNT, BLT DD: ``programs.claims.programs_by_spelling``),
with or without its year (``PKH 2024``, OpenSID's ``BLT DANA DESA 2024``): that year is the row's
(or the template's) when nothing else gives one, else the other year is kept and the name warned.
A template whose ``Nama Program`` names no program is refused naming it. A row without a year in
its ``TAHAP`` (``TAHAP II``) is an error on that column.

A matched row whose ``Kode Wilayah``, ``Desa`` or ``Kecamatan`` places the recipient elsewhere than
the registry places the family is warned, naming both places (``_check_place``). A list without a
Desa column, grouped under village headings ("DESA WANGGUDU RAYA", "Desa : Lasolo"), places each
row in the village its heading names, when a loaded village has that name (``_HeadingPlace``).

Matched rows become enrollments (status *active*, ``NOMINAL`` in rupiah such as ``Rp 750.000,-``, a
delivery date given as a month or quarter, ``Agustus 2024``, as its first day, warned).
A ``STATUS`` column is read as the enrollment status only when most of its values are enrollment
or distribution statuses, or when its header speaks of the distribution (``STATUS PENYALURAN``,
``STATUS CAIR``); otherwise (a marital status such as KAWIN or JANDA) it is ignored, with a note
naming the file's header. Distribution statuses: paid (SUDAH SALUR, TERSALUR, SUDAH CAIR, CAIR) is
*active*; a failed or returned payment (RETUR, DIKEMBALIKAN, GAGAL, GAGAL SALUR) is *suspended*:
the money did not reach the family, so a family whose only stage came back is not reached by aid
(the dashboard) and holds no aid for the one-aid rule, yet it is not *cancelled* (it stays on the
list and a later stage, or the same one paid again, lifts the suspension: ``DISTRIBUTION_NOTE``)
nor not yet paid (which stays *active*). Not yet paid (BELUM SALUR, BELUM CAIR, DALAM PROSES) stays
*active*, still aid for the one-aid rule, its amount the planned value and its stage not counted.
Only a paid row records its delivery day (``TANGGAL SALUR``): a day beside a returned or unpaid
stage would make the amount read as delivered (``Enrollment.has_deliveries``). A distribution
status other than paid is kept in the enrollment's ``status_reason``. Membership statuses (PKH's, under ``STATUS``, ``STATUS KPM`` or ``STATUS BANSOS``):
AKTIF is *active*; GRADUASI (MANDIRI) is *completed*, the year's aid delivered and closed; MENINGGAL,
NON AKTIF, TIDAK AKTIF, DIHENTIKAN and PINDAH are *cancelled* (no aid for the one-aid rule, no stage
counted, the amount only planned); the list's word is kept in the ``status_reason`` of both.

An enrollment is one per program and year for a household (or member). Two members of one family
in a family program's list (a farmer and his wife, each in a KUBE) are one enrollment, the first
row's; the later row is warned, naming the earlier (the family may get the aid twice). The rows of one recipient,
program and year from different stages (``TAHAP 1 2024``, ``TAHAP 2 2024``) are one claim whose
amount is the stages' sum (of the stages with the claim's status), each merged row warned; the
same stage twice, or two rows without a stage, are a double recipient, a row error (naming the
other row, and its sheet when it is on another), unless the two rows name different groups (a
farmer leading Poktan Sinar Tani and Poktan Harapan Baru: a group's name column, NAMA KELOMPOK,
though not read, ``columns.names_group_name``): one enrollment then, its amount both groups', the
later row warned naming the earlier and both groups; so are two members of one family each in
another group of a family program's list (a farmer and his wife each leading a Poktan). A stage is its number and year whatever the
spelling (``2`` beside ``TAHUN`` 2024, ``Tahap II``, ``Thp 2``, ``Tahap Kedua``, ``Penyaluran Tahap
2``, ``TAHAP 2 2024``: the year from the label, else the row's year), kept as ``TAHAP 2 2024``
(``programs.claims.stage_label``), so that a later list counts it once; a label without a number
(``Januari 2024``) by its text. A sheet without a stage column whose name
names a stage (a workbook with sheets ``TAHAP 1`` and ``TAHAP 2``) gives its rows that stage, and
without a TAHUN column the year its name ends with (``TAHAP 2 2024``), else the year chosen; a sheet
name whose year is not the chosen one is a row error on each of its rows (as a TAHAP cell's); a
title above the header naming a year, none of them the chosen one (``TA. 2024`` with 2023 chosen:
without a choice it would be the rows' year), is a warning on the sheet: a title is free text (the
year of a decree, "data per 31 Desember 2024") where the operator's choice is deliberate. A
stage an earlier list counted as paid that this one says came back (RETUR) is taken off the
enrollment's amount and stages, warned on its row (``programs.claims.stated_changes``); a list
sent again whose stages' amounts come to another total than the enrollment counted corrects it,
warned on the recipient's first row naming the stages and both amounts.

A group's total written once in an amount cell merged down over its members' rows (Rp 20.000.000
over a KUBE's three members) is the first row's amount only, the rows under it without one, the
sheet warned once per merged cell naming the rows (``_MergedAmounts``); the reader fills it down as
Excel shows it, which would record the total on every member's family. A first row refused (its NIK
invalid) records the total nowhere, and the warning says so, naming the row to correct.

A NIK under a caretaker's or a group leader's header (NIK PENGURUS, NIK KETUA: who collects the aid)
beside a No KK of another registered family than the NIK holder's (a grandmother collecting her
orphaned grandchildren's PKH) enrolls the family the No KK names, the row warned
(``_collected_for``), and warned again when its head's name (NAMA KK) is of none of that family; a
plain NIK column keeps its holder's family, the other No KK warned.

A list's other aid columns (``PENERIMA PKH``, ``BANSOS PKH``, ``PBI JKN``, ``Penerima SEMBAKO 2023
(HIMBARA)`` = YA beside a BSPS row) are read as the DTKS import reads them (``cells.read_recipients``,
``programs.claims.claim_enrollments``): enrollments of those programs for the row's family, or its
person (the row's NIK, else the family's head), source the list, checked by the one-aid rule with
the rest, never restating an enrollment held; the preview and the result list each column with
what it records (``_other_aid``). An aid column that names no program is reported, as in P3KE.

Each enrollment is an ``AidClaim`` naming its program, recorded by
``programs.services.aid_claims_record``, which hands the enrollments to the one-aid check as one
batch.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils import translation
from django.utils.translation import gettext as _

from dedup.names import name_similarity
from households.identifiers import IdentifierError, parse_kk, region_code_plain
from households.models import Desa, Household, ImportBatch, ImportKind, Member, Relation
from households.regions import loaded_regions
from konut_registry.numbers import rupiah
from programs.claims import (
    DISTRIBUTION_NOTE, YEAR_IN_TEXT, AidClaim, AidProgram, StatedChange, aid_claims_conflicts, aid_programs,
    claim_enrollments, claims_held, present_enrollment_keys, program_spelling, programs_by_spelling, stage_label,
    stage_number, stated_changes,
)
from programs.models import (
    EnrollmentSource, EnrollmentStatus, Program, amount_problem, enrollment_year_problem, latest_enrollment_year,
)
from programs.services import aid_claims_record

from . import columns as cols
from .aids import NAMED_FAMILIES
from .cells import place_name, read_kk, read_nik, read_recipients, village_heading
from .common import (
    HIDDEN_SHEET, Context, RowReader, hidden_hint, map_table, no_header_row, note_table_end, sheet_without_header,
)
from .context import layouts as saved_layouts
from .context import value_synonyms
from .issues import IssueLog, row_place
from .plan import MAX_REFUSED_REASONS, enrollment_counts
from .progress import Progress
from .reader import ReadError, Source, Table, header_key, is_blank, normalize_header
from .values import AID_VALUE_FIELD, ChoiceMap, YesNoMap, norm, parse_date, parse_period, parse_rupiah, text

_YEAR = re.compile(r"(20\d{2})")
# A program's name followed by its year: ``PKH 2024``, ``BLT DD TAHUN 2024``, ``BPNT (T.A. 2024)``.
_NAMED_YEAR = re.compile(r"^(.*?)[\s\-_/.,(]*(?:\b(?:tahun anggaran|tahun|thn|t\.?\s?a\.?))?\s*(20\d{2})\)?$", re.IGNORECASE)
# Below this likeness (0-100, ``dedup.names.name_similarity``) a row's name is not the name the
# registry holds for its NIK: lists shorten and misspell names, so the bar is lower than for duplicates.
NAME_MATCH = 70
_STATUS_SYNONYMS = {
    "tersalur": "active", "batal": "cancelled", "usulan": "proposed",
    # Distribution statuses, as banks and Kemensos write them. Every spelling of "delivered" is
    # active aid of the list's year: a payment does not say the aid is closed (SELESAI does). Both
    # count for the one-aid rule.
    "sudah tersalur": "active", "sudah salur": "active", "salur": "active", "sudah disalurkan": "active",
    "disalurkan": "active",
    "cair": "active", "sudah cair": "active", "telah cair": "active", "dicairkan": "active", "sudah dicairkan": "active",
    "retur": "suspended", "gagal salur": "suspended", "gagal tersalur": "suspended", "gagal": "suspended",
    "gagal cair": "suspended", "dikembalikan": "suspended", "sudah dikembalikan": "suspended",
    "telah dikembalikan": "suspended", "dana dikembalikan": "suspended",
    "tersalurkan": "active", "sudah tersalurkan": "active", "telah tersalurkan": "active", "telah disalurkan": "active",
    "diterima": "active", "sudah diterima": "active", "telah diterima": "active", "sukses": "active", "berhasil": "active",
    "belum salur": "active", "belum tersalur": "active", "belum cair": "active", "dalam proses": "active",
    "belum disalurkan": "active", "belum tersalurkan": "active", "belum diterima": "active", "proses": "active",
    "sedang proses": "active", "diproses": "active",
    # Membership statuses, as PKH's and the agencies' systems write them (STATUS, STATUS KPM,
    # STATUS BANSOS): a graduate's aid of the year was delivered and closed; a recipient who died,
    # moved or was stopped is no longer enrolled (``_STATUS_LEFT``).
    "aktif": "active", "graduasi": "completed", "graduasi mandiri": "completed",
    "graduasi sejahtera mandiri": "completed", "graduasi alamiah": "completed",
    "meninggal": "cancelled", "meninggal dunia": "cancelled", "non aktif": "cancelled", "nonaktif": "cancelled",
    "non-aktif": "cancelled", "tidak aktif": "cancelled", "dihentikan": "cancelled", "berhenti": "cancelled",
    "pindah": "cancelled", "pindah domisili": "cancelled", "pindah alamat": "cancelled",
    "mengundurkan diri": "cancelled",
}
# The distribution statuses that do not say the aid was paid: not yet paid (its amount is the
# planned value, its stage not counted), and all of them kept as the enrollment's reason.
_STATUS_PENDING = frozenset({
    "belum salur", "belum tersalur", "belum cair", "dalam proses", "belum disalurkan", "belum tersalurkan",
    "belum diterima", "proses", "sedang proses", "diproses",
})
_STATUS_KEPT = frozenset({*(raw for raw, code in _STATUS_SYNONYMS.items() if code == "suspended"), *_STATUS_PENDING})
# The membership statuses that say the recipient left the program (died, moved, stopped): the
# enrollment is cancelled, its stage not counted and its amount only planned (what an earlier list
# delivered stays), the status kept in its reason as the graduates' is (``_MEMBERSHIP_KEPT``).
_STATUS_LEFT = frozenset(raw for raw, code in _STATUS_SYNONYMS.items() if code == "cancelled" and raw != "batal")
_MEMBERSHIP_KEPT = frozenset({*_STATUS_LEFT, *(raw for raw in _STATUS_SYNONYMS if raw.startswith("graduasi"))})
# How a membership status starts an enrollment's reason ("Status kepesertaan: MENINGGAL").
MEMBERSHIP_NOTE = "Status kepesertaan"
# A status column whose header speaks of the distribution (STATUS PENYALURAN, STATUS CAIR) holds
# distribution statuses, never a marital status: an unknown value there is read as not paid yet,
# with a warning (the list is not refused for a bank's own wording, and no payment is assumed).
_DISTRIBUTION_HEADER = re.compile(r"salur|yalur|cair|bayar")
# OpenSID's program-bantuan template: its ``Program`` sheet's name and start date.
_TEMPLATE_SHEET = "program"
_TEMPLATE_YEAR_KEYS = frozenset({"rentang waktu awal", "tahun", "tahun anggaran"})
_TEMPLATE_PROGRAM_KEYS = frozenset({"nama program", "program"})
# How the operator chooses the program of a whole list, as the refusal of a list without a program
# column says it: the upload page's; a command passes its own (``options["choose_program"]``).
_CHOOSE_PROGRAM = "Pilih program yang diterima seluruh daftar di isian Program (daftar penerima) pada halaman unggah"
# The columns that say where a recipient lives, checked against the family the row matched.
_PLACE_FIELDS = ("region_code", "desa", "kecamatan")
# The lengths of a Kemendagri code: province, regency, kecamatan, village.
_REGION_CODE_LENGTHS = frozenset({2, 4, 6, 10})


@dataclass(slots=True)
class _Row:
    """A valid row of a list: whom it names, for which program, year and stage, and what it says."""

    sheet: str
    row: int
    nik: str | None
    kk: str
    participant: str  # OpenSID's ``Peserta``: a NIK or a No KK
    name: str
    program: AidProgram
    year: int
    stage: str  # the TAHAP cell, "" without one
    status: object  # the STATUS cell, then its enrollment status
    amount: int | None
    delivered: datetime.date | None
    note: str
    # The list's Kode Wilayah, Desa and Kecamatan cells that hold a value (not blank, "-" or
    # KOSONG): (field, column, text).
    place: tuple[tuple[str, str, str], ...] = ()
    # (column, reason) of a No KK cell that is no No KK beside a valid NIK: a warning when the NIK
    # finds the recipient (the No KK is not needed), else the row's error (``_match``).
    kk_problem: tuple[str, str] | None = None
    # (column, reason) of a NIK cell that is no NIK beside a valid No KK: a warning when the No KK
    # finds the family (for a family program), else the row's error (``_match``).
    nik_problem: tuple[str, str] | None = None
    # A distribution status that says the stage is not paid yet (BELUM CAIR): no stage counted.
    pending: bool = False
    # The head of the family's name (``NAMA_KK``, ``NAMA KRT``), "" without one: not the recipient's
    # (a member's NIK may stand beside it), one more name of the family a No KK alone found.
    head_name: str = ""
    head_column: str = ""
    # The NIK column is a group leader's or a caretaker's (NIK KETUA, NIK PENGURUS): the person who
    # collects the aid, maybe for another family than their own, which the row's No KK then names:
    # the NIK's and the No KK's columns then, else ().
    leader_columns: tuple[str, str] | tuple[()] = ()
    # The row's NIK is such a caretaker's, and the row enrolls the family its No KK names
    # (``_collected_for``): its head's name (``head_name``) is checked against that family.
    collected_for: bool = False
    # The group's name (NAMA KELOMPOK, a column not read: the registry keeps no group), "" without one,
    # and its column: a leader of two groups in one list is one recipient of both groups' aid.
    group: str = ""
    group_column: str = ""
    # The earlier row of the same recipient in another group, whose enrollment this row's adds to.
    joined: _Row | None = None
    # The other aid the row's aid columns say the recipient receives (PENERIMA PKH = YA beside a BSPS
    # row): their aid keys (``cells.read_recipients``), recorded as the DTKS import records them.
    aids: frozenset = frozenset()
    # A program cell naming another program than the chosen one (``_Chosen.program_of``): the
    # cell, its program (None: one the registry does not know), the column and the chosen program's
    # name; with the row's cells, for its error when no row of the list names the chosen program.
    other: tuple | None = None
    cells: list | None = None
    # A row of another program with errors (a NIK Excel damaged, a No KK cut short): its errors stand
    # if it turns out to be the chosen program's (``_Chosen.settle``); else they are taken back and
    # said in its note, the row not recorded (``_other_programs``). Its cells by column, for that note.
    refused: bool = False
    values: dict | None = None


@dataclass
class RecipientPlan:
    """The plan of a recipient list (an ``ImportPlan``): one claim per enrollment."""

    issues: IssueLog = field(default_factory=IssueLog)
    claims: list[AidClaim] = field(default_factory=list)  # each a distinct enrollment (a recipient's stages merged)
    total_rows: int = 0
    existing: int = 0
    data_year: int | None = None
    # What the rows say of enrollments the registry already holds (status, amount, reason), each
    # ``held`` when the list may not change it (warned on its row).
    changes: list[StatedChange] = field(default_factory=list)
    # The one-aid conflicts applying the list would raise (``programs.claims.aid_claims_conflicts``),
    # and the list's families they concern, each with its aids (``_forecast``), in the list's order.
    conflicts_forecast: int = 0
    conflict_families: list[str] = field(default_factory=list)
    # The enrollments the list's other aid columns say (PENERIMA PKH = YA on a BSPS list), one claim
    # each naming its program and year, those the registry holds already, and per column what they
    # come to (``_other_aid``): recorded as the DTKS import records its aid columns, never restating
    # an enrollment held.
    other_claims: list[AidClaim] = field(default_factory=list)
    other_existing: int = 0
    other_aid: list[dict] = field(default_factory=list)
    # The rows naming another program than the chosen one, not recorded, by value (``_other_programs``).
    other_programs: list[dict] = field(default_factory=list)

    @property
    def updates(self) -> list[StatedChange]:
        return [change for change in self.changes if not change.held]

    @property
    def has_changes(self) -> bool:
        return len(self.claims) + len(self.other_claims) > self.existing + self.other_existing or bool(self.updates)

    def apply(self, *, batch: ImportBatch | None, by, progress: Progress) -> dict:
        """Record the matched rows through ``aid_claims_record`` (one transaction, one dedup batch),
        the other aid columns' enrollments with them."""
        result = aid_claims_record(
            claims=self.claims, year=None, source=EnrollmentSource.IMPORT, batch=batch, by=by, apply_stated=True,
            also=self.other_claims,
        )
        return enrollment_counts(result)

    def summary(self) -> dict:
        zero = {"created": 0, "updated": 0, "unchanged": 0, "absent": 0}
        return {
            "households": dict(zero), "members": dict(zero),
            "errors": len(self.issues.errors), "warnings": len(self.issues.warnings),
            "error_rows": len(self.issues.error_rows), "warning_rows": len(self.issues.warning_rows),
            "rows": self.total_rows, "data_year": self.data_year,
            "enrollments_planned": len(self.claims) + len(self.other_claims),
            "enrollments_existing": self.existing + self.other_existing,
            "enrollments_updated": len(self.updates),
            "enrollment_changes": [change.describe() for change in self.updates[:MAX_REFUSED_REASONS]],
            **self.issues.mapping_summary(),
            **self._forecast_summary(),
            **({"other_aid": self.other_aid} if self.other_aid else {}),
            **({
                "other_programs": self.other_programs,
                "other_program_rows": sum(item["count"] for item in self.other_programs),
            } if self.other_programs else {}),
        }

    def _forecast_summary(self) -> dict:
        if not self.conflicts_forecast:
            return {}
        families = self.conflict_families
        return {"conflicts_forecast": {
            "count": self.conflicts_forecast, "families": len(families), "named": families[:NAMED_FAMILIES],
            "more": max(0, len(families) - NAMED_FAMILIES),
        }}


class _Programs:
    """The registry's programs by the names lists give them (``programs_by_spelling``)."""

    def __init__(self):
        programs = aid_programs()
        self.by_spelling = programs_by_spelling(programs)
        self.known = ", ".join(program.code for program in programs)

    def get(self, value: object) -> AidProgram | None:
        return self.by_spelling.get(program_spelling(value))

    def named(self, value: object) -> tuple[AidProgram | None, int | None]:
        """The program a cell names and the year its name ends with (``PKH 2024``, ``BLT DANA DESA
        TA 2024``: the program's name with its year), None when it names none."""
        program = self.get(value)
        if program is not None or is_blank(value):
            return program, None
        found = _NAMED_YEAR.match(text(value, 200))
        program = self.get(found.group(1)) if found else None
        return (program, int(found.group(2))) if program else (None, None)

    def unknown(self, value: object) -> str:
        return f"Program '{text(value, 60)}' tidak dikenal; program di registri: {self.known}"


def parse_recipients(
    sources: list[Source], *, options: dict, progress: Callable[[int], None] | None = None, forecast: bool = True
) -> RecipientPlan:
    """Read, validate and match every row; raise ``ReadError`` when a file has no usable header.
    ``forecast``: count the one-aid conflicts the list would raise (for a preview; an import being
    applied raises them instead)."""
    plan = RecipientPlan()
    log = plan.issues
    programs = _Programs()
    choose = options.get("choose_program") or _CHOOSE_PROGRAM  # said when no program is known
    fixed_program = None
    if options.get("program"):
        fixed_program = programs.get(options["program"])
        if fixed_program is None:
            raise ReadError(programs.unknown(options["program"]) + " (gunakan kode program, mis. pkh, bsps).")
    fixed_year = options.get("year")
    latest = latest_enrollment_year()
    if fixed_year and fixed_year > latest:
        raise ReadError(_year_ahead(fixed_year))
    plan.data_year = fixed_year
    with translation.override(None):
        statuses = ChoiceMap([(c, str(l)) for c, l in EnrollmentStatus.choices], _STATUS_SYNONYMS)
    regions = loaded_regions()
    layouts = saved_layouts()
    ctx = Context(
        desa_by_code={}, desa_by_names={}, choices={}, region_prefixes=regions.prefixes, region_label=regions.label,
        layouts=layouts,
    )
    rows: list[_Row] = []
    merges: list[_MergedAmounts] = []
    # What an aid column's cell says (Ya, Tidak, a tick, the values Bappeda mapped), and each aid key
    # the list's aid columns read with their headers (``_other_aid``).
    aid_values = YesNoMap(value_synonyms(ImportKind.RECIPIENTS).get(AID_VALUE_FIELD))
    aid_headers: dict[str, list[str]] = {}
    choices: list[_Chosen] = []
    status_headers: dict[str, str] = {}  # sheet -> its status column's header
    villages = _Villages()
    for source in sources:
        found = False
        rows_before, headers_read = plan.total_rows, []
        for name in source.hidden_sheets():
            if normalize_header(name) != _TEMPLATE_SHEET:  # a template's settings, read hidden or not
                log.warning(name, 0, "", HIDDEN_SHEET)
        for sheet_name in source.sheet_names():
            table = layouts.table(source, sheet_name)
            if table is None:
                if normalize_header(sheet_name) != _TEMPLATE_SHEET:  # a template's settings, read apart
                    log.warning(sheet_name, 0, "", sheet_without_header("'NIK', 'No KK'"))
                continue
            index = map_table(table, cols.RECIPIENTS, ctx, log).index
            keys = set(index.values())
            if not keys & {"nik", "no_kk", "participant"}:
                log.warning(
                    table.name, 0, "",
                    f"Lembar ini tidak dibaca: tidak ada kolom NIK atau No KK (baris judul kolom: baris {table.header_row}). "
                    "Jika lembar ini berisi data, beri judul kolom NIK atau No KK atau petakan di Admin, Pemetaan kolom impor",
                )
                continue
            found = True
            headers_read.append(row_place(table.header_row, table.name))
            template = _Template(source, table.name)
            program, named_year = fixed_program, None
            if program is None and "program" not in keys:
                named = template.value(_TEMPLATE_PROGRAM_KEYS)
                program, named_year = programs.named(named)
                if program is None and named:
                    raise ReadError(
                        f"{table.source}, lembar {table.name}: Program '{text(named, 60)}' di lembar Program (Nama "
                        f"Program) tidak dikenal; program di registri: {programs.known}. {choose}, atau tulis di Nama "
                        "Program kode atau nama program di registri, lalu unggah lagi."
                    )
            if program is None and "program" not in keys:
                raise ReadError(
                    f"{table.source}, lembar {table.name}: kolom program tidak ditemukan (judul yang dikenali, mis. "
                    f"PROGRAM, BANSOS, Jenis Bansos, Jenis Bantuan, Nama Program). {choose}, atau beri kolom program "
                    "salah satu judul itu (judul lain dapat dipetakan di Admin, Pemetaan kolom impor), lalu unggah lagi."
                )
            # A workbook with one sheet per stage ("TAHAP 1", "TAHAP 2 2024") and no stage column: the
            # sheet's name is its rows' stage, and its year (if it names one) their year.
            staged = stage_number(table.name, bare=False) if "period" not in keys else None
            sheet_stage = table.name if staged else ""
            sheet_year = staged[1] if staged else None
            if keys & {"year", "period"}:
                year = fixed_year
            else:
                year = fixed_year or sheet_year or _sheet_year(template, table, log, named_year)
            sheet_problems = [] if "year" in keys else [
                problem for problem in (_sheet_year_problem(table.name, sheet_year, fixed_year),) if problem
            ]
            title_problem = "" if "year" in keys else _title_year_problem(table, fixed_year)
            if title_problem:
                log.warning(table.name, 0, "", title_problem)
            # An aid column whose header names a year (Penerima SEMBAKO 2023) is that year's aid; without
            # a year chosen, any year it names is the aid's (the rows' own years may differ).
            reader = RowReader(table, index, log, aid_values, year or latest)
            for key, headers in reader.aid_columns():
                known = aid_headers.setdefault(key, [])
                known += [header for header in headers if header not in known]
            nik_is_head = cols.person_role(reader.label("nik")) in cols.HEAD_ROLES
            leader_columns = (
                (reader.label("nik"), reader.label("no_kk")) if cols.person_role(reader.label("nik")) == cols.LEADER_ROLE else ()
            )
            if "status" in keys:
                status_headers[table.name] = reader.label("status")
            # Without a year anywhere (no column, choice, sheet name or Program sheet), a row's program
            # name may give one (``BLT DD 2024``); else the sheet's title (``TA. 2024``) or the current year, warned.
            chosen = _Chosen(
                program, year, *(_fallback_year(table, keys, ctx.today.year) if not year else (None, "")),
                choose=choose,
            )
            choices.append(chosen)
            first_row = len(rows)
            headings = None if keys & {"desa", "region_code"} else _HeadingPlace(table, villages)
            merged_amounts = _MergedAmounts(table, index, reader)
            merges.append(merged_amounts)
            group_at = next(
                (i for i, h in enumerate(table.headers) if i not in index and h and cols.names_group_name(header_key(h))), None,
            )
            for row, cells in table.rows:
                plan.total_rows += 1
                if progress and plan.total_rows % 2000 == 0:
                    progress(2000)
                reader.load(row, merged_amounts.once(row, cells))
                for problem in sheet_problems:
                    reader.error("", problem)
                record = _staged(_row(reader, ctx, programs, chosen, latest, nik_is_head=nik_is_head), sheet_stage)
                if record is not None and record.refused:
                    pass  # a row of another program with errors: judged once the sheet is read
                elif record is not None and headings is not None:
                    record.place = headings.current() + record.place
                if record is not None and not record.refused:
                    record.leader_columns = leader_columns
                    if record.head_name:
                        record.head_column = reader.label("head_name")
                    if group_at is not None and group_at < len(cells):
                        record.group, record.group_column = text(cells[group_at], 150), cols.column_label(table.headers[group_at])
                    record.aids = read_recipients(reader)
                rows.append(record)
            chosen.settle(log, programs, rows[first_row:])
            if headings is not None:
                headings.drop_placed()
            note_table_end(table, log)
        if not found:
            raise ReadError(
                no_header_row(source, "daftar penerima", "Daftar penerima OPD", "NIK atau No KK", "'NIK', 'NOKK', 'NAMA_PENERIMA', 'NOMINAL'")
            )
        if plan.total_rows == rows_before:
            # A header with nothing under it is an unfinished or wrongly saved list, not a list of no one.
            raise ReadError(
                f"{source.display_name}: daftar penerima kosong: tidak ada baris data di bawah baris judul kolom "
                f"({'; '.join(headers_read)}). Isi data penerima di bawah judul kolom, lalu unggah lagi.{hidden_hint(source)}"
            )
    read = [r for r in rows if r is not None]
    if any(r.other for r in read):
        read = _other_programs(plan, read, chosen_rows=sum(chosen.chosen_rows for chosen in choices))
    read = [r for r in read if not r.refused]  # rows of the chosen program with errors, refused
    counted = _match(plan, _with_status(log, read, statuses, status_headers), aid_headers, forecast=forecast)
    for merged_amounts in merges:
        merged_amounts.say(log, counted)
    return plan


class _MergedAmounts:
    """A table's amount cells merged down over several rows (a group's total written once over its
    members' rows): the reader repeats the value in every row under it, as Excel shows it, which
    would record the group's total on each member's family. The value is the first row's only, the
    rows under it without a value, and the sheet says so once per merged cell, naming the rows."""

    def __init__(self, table: Table, index: dict[int, str], reader: RowReader):
        self.table, self.reader = table, reader
        self.found: list[tuple[int, int, str]] = []  # (first row, last row, value) of each merge
        self.column = next((position for position, key in index.items() if key == "amount"), None)
        self.merges = {top: bottom for top, bottom, column in table.merged_down if column == self.column}
        # The rows under each merge's first (one column's merges do not overlap: at most the sheet's rows).
        self.covered = {row for top, bottom in self.merges.items() for row in range(top + 1, bottom + 1)}

    def say(self, log: IssueLog, counted: set[tuple[str, int]]) -> None:
        """Warn the sheet once per merged value, once the rows are matched: where it was recorded,
        or that it was not, its first row being refused (an invalid NIK, no one in the registry) or
        adding no value (another member of a family already enrolled). The value is not moved to the
        next member's row: the operator corrects the first row and sends the list again, which then
        records it there, and a value moved would stay on the other family too."""
        label = self.reader.label("amount")
        for top, bottom, value in self.found:
            merged = f"Nilai '{value}' di kolom {label} digabung untuk baris {top}-{bottom}: "
            if (self.table.name, top) in counted:
                said = f"dicatat sekali, pada baris {top} (keluarga penerima baris itu); baris lainnya dicatat tanpa nilai"
            elif log.has_error(self.table.name, top):
                said = (f"tidak dicatat, karena baris {top} ditolak (lihat kesalahannya); baris lainnya dicatat tanpa "
                        f"nilai. Perbaiki baris {top}, lalu unggah lagi")
            else:
                said = (f"tidak dicatat, karena baris {top} tidak menambah nilai (lihat peringatannya); baris lainnya "
                        "dicatat tanpa nilai")
            log.warning(self.table.name, 0, label, merged + said)

    def once(self, row: int, cells: list) -> list:
        """The row's cells, its amount cell blank when the value is one merged down from a row above."""
        if not self.merges or self.column is None or self.column >= len(cells):
            return cells
        if row in self.merges and not is_blank(cells[self.column]):
            self.found.append((row, self.merges[row], text(cells[self.column], 40)))
        if row in self.covered:
            cells = list(cells)
            cells[self.column] = None
        return cells


class _Villages:
    """The loaded villages by name (and kecamatan), read once, when a heading first names one."""

    def __init__(self):
        self._pairs: set[tuple[str, str]] | None = None
        self._names: set[str] = set()

    def known(self, desa: str, kecamatan: str) -> bool:
        """Whether a village of that name (in that kecamatan, when named) is loaded, as ``place_name`` matches."""
        if self._pairs is None:
            self._pairs = {
                (place_name(kecamatan_name), place_name(name))
                for name, kecamatan_name in Desa.objects.values_list("name", "kecamatan__name")
            }
            self._names = {name for _kecamatan, name in self._pairs}
        if kecamatan:
            return (place_name(kecamatan), place_name(desa)) in self._pairs
        return place_name(desa) in self._names


class _HeadingPlace:
    """The village the heading rows of a table without a village column name ("DESA WANGGUDU RAYA",
    "Desa : Lasolo" over its recipients): the place of the rows below them, checked against where
    the registry has the family as a Desa column is (``_check_place``). A heading that names no
    loaded village places no row below it and is warned as a heading passed over, as is one that
    names no village ("DUSUN II", under which the village stays)."""

    def __init__(self, table: Table, villages: _Villages):
        self.table, self.villages = table, villages
        self.seen = 0  # the table's headings looked at: those above the rows read
        self.place: tuple[tuple[str, str, str], ...] = ()
        self.placed: set[int] = set()  # the rows of the headings that named a loaded village

    def current(self) -> tuple[tuple[str, str, str], ...]:
        """The place of the row just read: the last village heading above it, as ``_Row.place``."""
        headings = self.table.headings
        while self.seen < len(headings):
            row, heading = headings[self.seen]
            self.seen += 1
            named = village_heading(heading)
            if named is None:
                continue
            desa, kecamatan = named
            if not self.villages.known(desa, kecamatan):
                self.place = ()
                continue
            self.placed.add(row)
            where = f"judul baris {row}"
            self.place = (("desa", f"Desa/Kelurahan ({where})", desa),)
            if kecamatan:
                self.place += (("kecamatan", f"Kecamatan ({where})", kecamatan),)
        return self.place

    def drop_placed(self) -> None:
        """Leave the headings that placed rows out of those warned as passed over: they were read."""
        self.table.headings = [(row, heading) for row, heading in self.table.headings if row not in self.placed]


def _sheet_year(template: _Template, table: Table, log: IssueLog, named_year: int | None) -> int | None:
    """The year of a table without a year column: the template's (``Rentang Waktu (Awal)``,
    ``2024-01-01``), else the year its ``Nama Program`` ends with (``BLT DANA DESA 2024``), else
    None. A program name whose year is not the start date's is warned."""
    found = _YEAR.search(template.value(_TEMPLATE_YEAR_KEYS))
    if not found:
        return named_year
    year = int(found.group(1))
    if named_year and named_year != year:
        log.warning(
            table.name, 0, "",
            f"Nama Program di lembar Program menyebut tahun {named_year}, berbeda dengan Rentang Waktu (Awal) "
            f"({year}); dipakai {year}",
        )
    return year


def _fallback_year(table: Table, keys: set[str], this_year: int) -> tuple[int | None, str]:
    """The year of a sheet's rows that give none (no year chosen, nor in the sheet's name or the
    Program sheet), and the warning that says where it came from: the one year the rows above its
    header name (a title "... BIBIT KAKAO TA. 2024", "TAHUN ANGGARAN 2024"); else, without a year
    or stage column, the current year (a title naming two years is no guess); else ``(None, "")``:
    a row without its year is an error, or with titles naming two years ``(None, "2023, 2024")``:
    one error for the sheet asks for the year (``TWO_TITLE_YEARS``, ``_Chosen.year_of``)."""
    years = _title_years(table)
    if len(years) == 1:
        [(year, (number, words))] = years.items()
        return year, f"Tahun tidak ada di baris data; dipakai tahun {year} dari judul lembar (baris {number}: '{text(words, 100)}')"
    named = ", ".join(map(str, sorted(years)))
    if keys & {"year", "period"}:
        return None, named
    note = f"Tahun tidak ada di berkas maupun formulir; dipakai tahun {this_year}"
    if years:
        note += f" (judul lembar menyebut lebih dari satu tahun: {named}; pilih tahunnya di formulir)"
    return this_year, note


def _title_years(table: Table) -> dict[int, tuple[int, str]]:
    """The years the title rows above a table's header name, each with the first title row naming it."""
    years: dict[int, tuple[int, str]] = {}
    for number, words in table.titles:
        for found in YEAR_IN_TEXT.finditer(words):
            years.setdefault(int(found.group(1)), (number, words))
    return years


# The sheet's one error when its rows' TAHUN or TAHAP give no year and its titles name two (``_fallback_year``).
TWO_TITLE_YEARS = (
    "Judul lembar menyebut lebih dari satu tahun ({years}) dan kolom {column} tidak menyebut tahunnya: pilih "
    "tahunnya (--year, atau Tahun di formulir unggah), atau tulis tahun di kolom {column} (mis. {example})"
)


def _sheet_year_problem(sheet: str, sheet_year: int | None, chosen: int | None) -> str:
    """Why the rows of a sheet named by its stage and year (``TAHAP 2 2024``) cannot take the year
    the operator chose: the sheet's name gives another. "" when it gives none, or the same."""
    if not (sheet_year and chosen) or sheet_year == chosen:
        return ""
    return (
        f"Nama lembar '{sheet}' menyebut tahun {sheet_year}, berbeda dengan tahun yang dipilih ({chosen}); perbaiki "
        "pilihan tahun atau nama lembarnya"
    )


def _title_year_problem(table: Table, chosen: int | None) -> str:
    """The sheet's warning when its title names a year ("DAFTAR PENERIMA BPNT TAHUN 2024") other than
    the one the operator chose: without a chosen year the title's would be the rows'
    (``_fallback_year``). The chosen year is kept: a title also names a decree's year or a data
    date, so it is no ground to refuse the rows. A title naming several years agrees with any one of
    them chosen (choosing is what ``TWO_TITLE_YEARS`` asks for). "" when the titles name none, or it."""
    years = _title_years(table)
    if not (years and chosen) or chosen in years:
        return ""
    named = ", ".join(f"{year} (baris {number}: '{text(words, 100)}')" for year, (number, words) in sorted(years.items()))
    return (
        f"Judul lembar menyebut tahun {named}, berbeda dengan tahun yang dipilih ({chosen}); dipakai {chosen}: periksa "
        "pilihan tahunnya"
    )


class _Template:
    """The OpenSID template's ``Program`` sheet beside a data sheet: key/value rows (``Nama Program``,
    ``Rentang Waktu (Awal)``), read once, when the program or the year is first asked of it."""

    def __init__(self, source: Source, data_sheet: str):
        self.source, self.data_sheet = source, data_sheet
        self._values: dict[str, str] | None = None

    def value(self, keys: frozenset[str]) -> str:
        """The value after the first of ``keys`` the sheet names, else ""."""
        if self._values is None:
            self._values = self._read()
        return next((value for key, value in self._values.items() if key in keys), "")

    def _read(self) -> dict[str, str]:
        for name in self.source.all_sheet_names():  # hidden or not
            if name != self.data_sheet and normalize_header(name) == _TEMPLATE_SHEET:
                return self.source.key_values(name, _TEMPLATE_PROGRAM_KEYS | _TEMPLATE_YEAR_KEYS)
        return {}


def _with_status(log: IssueLog, rows: list[_Row], statuses: ChoiceMap, headers: dict[str, str]) -> list[_Row]:
    """Rows with their enrollment status: read from the status column when most of its values are
    enrollment or distribution statuses, or when its header (``headers``: each sheet's) speaks of
    the distribution (an unknown value is then read as not paid yet, with a warning), else *active*, the column ignored
    with a warning naming it. A distribution status that is not *paid* is kept in the row's note;
    one that says the stage is not paid yet marks the row ``pending``."""
    distribution = {sheet for sheet, header in headers.items() if _DISTRIBUTION_HEADER.search(norm(header))}
    filled = [r for r in rows if not is_blank(r.status) and r.sheet not in distribution]
    known = sum(1 for r in filled if statuses(r.status)[0])
    ignored = filled and known * 2 <= len(filled)
    if ignored:
        sample = ", ".join(sorted({text(r.status, 20) for r in filled})[:3])
        header = headers.get(filled[0].sheet) or "STATUS"
        log.warning(filled[0].sheet, 0, header,
                    f"Kolom {header} bukan status penerimaan (mis. {sample}); diabaikan, semua baris berstatus Aktif")
    result = []
    for r in rows:
        raw = r.status
        if ignored and r.sheet not in distribution:
            raw = None
        code, _known = statuses(raw) if not is_blank(raw) else (EnrollmentStatus.ACTIVE, True)
        unknown_payment = not code and r.sheet in distribution  # read as not paid yet, said
        if unknown_payment:
            log.warning(r.sheet, r.row, headers.get(r.sheet) or "STATUS", f"Status penyaluran '{text(raw, 40)}' tidak dikenal: "
                        "dicatat sebagai belum tersalur (tahap tidak dihitung, nilai sebagai rencana); periksa baris ini")
            code = EnrollmentStatus.ACTIVE
        if not code:
            log.error(r.sheet, r.row, headers.get(r.sheet) or "STATUS", f"Status '{text(raw, 40)}' tidak dikenal (Aktif, "
                      "Diusulkan, Selesai, Ditolak, Dibatalkan, Ditangguhkan; status kepesertaan AKTIF, GRADUASI, "
                      "MENINGGAL, NON AKTIF, PINDAH, DIHENTIKAN; atau status penyaluran SUDAH SALUR, SUDAH CAIR, RETUR, "
                      "DIKEMBALIKAN, GAGAL SALUR, BELUM SALUR, BELUM CAIR)")
            continue
        r.status = code
        said = norm(raw)
        if unknown_payment or said in _STATUS_KEPT:
            r.note = "; ".join(x for x in (f"{DISTRIBUTION_NOTE}: {text(raw, 40)}", r.note) if x)
            r.pending = unknown_payment or said in _STATUS_PENDING
        elif said in _MEMBERSHIP_KEPT:
            r.note = "; ".join(x for x in (f"{MEMBERSHIP_NOTE}: {text(raw, 40)}", r.note) if x)
            r.pending = said in _STATUS_LEFT  # no stage of theirs was paid by this list
        result.append(r)
    return result


# The rows of one value a summary of rows naming another program lists by number.
_OTHER_ROWS_SHOWN = 20


def _other_programs(plan: RecipientPlan, rows: list[_Row], *, chosen_rows: int) -> list[_Row]:
    """The rows to match: those naming the chosen program (``_Chosen``). A row naming another
    program is not the chosen program's aid: warned on its row, listed by value in the summary
    (``RecipientPlan.other_programs``) and not recorded, the rest of the list imported; the errors
    found on it while it was read are taken back and said with it (column, value, reason): a row
    not recorded refuses nothing. When no row of the list takes the chosen program, the choice is
    the mistake: each such row is an error, its own errors with it."""
    log = plan.issues
    kept, groups = [], {}
    # What is wrong on a row not recorded does not refuse the list: said in its note instead.
    taken = log.withdraw({(r.sheet, r.row) for r in rows if r.other is not None}) if chosen_rows else {}
    for row in rows:
        if row.other is None:
            kept.append(row)
            continue
        cell, own, column, chosen = row.other
        said = f"'{cell}': {own.name}" if own else f"'{cell}', tidak dikenal di registri"
        if not chosen_rows:
            log.error(row.sheet, row.row, column, f"Program di berkas ({said}) berbeda dengan program yang dipilih "
                      f"({chosen}); perbaiki pilihan program atau isi kolom ini")
            log.keep_cells(row.sheet, row.row, row.cells)
            continue
        if own:
            reason = f"Program di berkas ({said}) bukan program yang dipilih ({chosen}); baris ini tidak dicatat"
        else:
            reason = (f"Program di berkas ('{cell}') tidak dikenal di registri dan bukan program yang dipilih ({chosen}): "
                      "kolom ini menyebut program registri di baris lain; baris ini tidak dicatat. Bila baris ini "
                      "memang program yang dipilih, tulis nama program itu di kolom ini")
        problems = _problems_of(row, taken.get((row.sheet, row.row), ()))
        if problems:
            reason += "; yang salah di baris ini tidak menolak daftar: " + "; ".join(
                f"{item['column']} '{item['value']}': {item['reason']}" for item in problems
            )
        log.warning(row.sheet, row.row, column, reason)
        group = groups.setdefault((row.sheet, cell), {
            "sheet": row.sheet, "value": cell, "program": own.name if own else "", "rows": [], "count": 0,
            "problems": [],
        })
        group["count"] += 1
        if len(group["rows"]) < _OTHER_ROWS_SHOWN:
            group["rows"].append(row.row)
        room = _OTHER_ROWS_SHOWN - len(group["problems"])
        group["problems"] += problems[:max(0, room)]
    plan.other_programs = list(groups.values())
    return kept


def _problems_of(row: _Row, errors) -> list[dict]:
    """What is wrong on a row of another program, not recorded: its errors (taken back from the
    log), and a NIK or No KK cell that is none beside a valid other one (judged only when matched),
    each with its row, column and value."""
    said = [(issue.column, issue.reason) for issue in errors]
    said += [problem for problem in (row.nik_problem, row.kk_problem) if problem and problem not in said]
    values = row.values or {}
    return [
        {"row": row.row, "column": column, "value": values.get(column, ""), "reason": reason} for column, reason in said
    ]


def _year_ahead(year: int) -> str:
    """Why an enrollment cannot be for ``year``: the registry's own rule and words
    (``programs.models.enrollment_year_problem``), in Indonesian (its source text) like every import
    message."""
    with translation.override(None):
        return enrollment_year_problem(year)


class _Chosen:
    """A sheet's program and year when the rows need not name them: the operator's choice (the form,
    the command's options) or the OpenSID template's (``Program`` sheet, asked only without the
    column). A row's own program or year is checked against the operator's: the file wins
    nothing in silence, the choice overrides nothing in silence.

    A row whose program cell names another program than the chosen one (BPNT in a list chosen as
    PKH) is not the chosen program's aid: it is reported and not recorded (``_other_programs``), the
    rest of the list imported. A name the registry does not know is the agency's own name of the
    chosen program (BEDAH RUMAH for Rutilahu) when the sheet's program column names no registry
    program in any row: it is read as the chosen one, warned once per spelling (``settle``). In a
    column that names registry programs (a Kemensos list of PKH, BPNT, PBI JK rows), an unknown name
    (BLT BBM, ATENSI YAPI) is another program, as a known one is. The chosen program's own spellings
    (``PKH 2024``, ``Program Keluarga Harapan``) are the chosen program."""

    def __init__(
        self, program: AidProgram | None, year: int | None, fallback: int | None = None, fallback_note: str = "", *,
        choose: str,
    ):
        self.program, self.year = program, year
        # How the operator chooses the list's program, said when a row's program is unknown and none
        # was chosen (a group list's JENIS BANTUAN names the goods: Hand Tractor, Jaring).
        self.choose = choose
        # The year of a row that names none, in a sheet without any (its title's, else the current
        # year), and the warning that says where it came from, given once (``_fallback_year``); without
        # one, the years two titles name, said in one error (``TWO_TITLE_YEARS``).
        self.fallback, self.fallback_note, self._fallback_noted = fallback, fallback_note, False
        self._unknown_noted: set[str] = set()  # the unknown program spellings already warned
        self.named = False  # a row's program cell named a registry program (the chosen one or another)
        self.chosen_rows = 0  # the rows that take the chosen program (its name, or an empty cell)
        self._year_noted: set[tuple] = set()  # (program cell, its year, the row's year) already warned

    def program_of(self, reader: RowReader, programs: _Programs) -> tuple[AidProgram | None, int | None, tuple | None]:
        """The row's program (None after an error on the row), the year its name ends with
        (``PKH 2024``), None without one, and the row's ``_Row.other`` when its cell names another
        program than the chosen one, or one the registry does not know (judged by ``settle``)."""
        cell = reader.get("program")
        if self.program is None:
            program, named_year = programs.named(cell)
            if program is None:
                reader.error(
                    "program", f"Program '{text(cell, 60)}' tidak dikenal. {self.choose}, atau tulis di kolom ini kode "
                    f"program di registri: {programs.known}",
                )
            return program, named_year, None
        if is_blank(cell):
            self.chosen_rows += 1
            return self.program, None, None
        own, named_year = programs.named(cell)
        if own is not None:
            self.named = True
        if own is None or own.id != self.program.id:
            return self.program, None, (text(cell, 60), own, reader.label("program"), self.program.name)
        self.chosen_rows += 1
        return own, named_year, None

    def settle(self, log: IssueLog, programs: _Programs, rows: list[_Row | None]) -> None:
        """Once the sheet's rows are read: when its program column named no registry program, its
        unknown names are the agency's own name of the chosen program (BEDAH RUMAH for Rutilahu),
        read as it and warned once per spelling; else they stay another program's rows."""
        if self.named:
            return
        for row in rows:
            if row is None or row.other is None:
                continue
            cell, _own, column, chosen = row.other
            row.other, row.cells = None, None
            self.chosen_rows += 1
            spelling = program_spelling(cell)
            if spelling not in self._unknown_noted:
                self._unknown_noted.add(spelling)
                log.warning(
                    row.sheet, row.row, column,
                    f"{programs.unknown(cell)}. Baris dengan nilai ini dicatat sebagai program yang dipilih "
                    f"({chosen}); bila bukan program itu, perbaiki pilihan program atau berkasnya",
                )

    def year_of(self, reader: RowReader, named_year: int | None = None) -> tuple[int | None, str]:
        """The row's year and the column it came from (``year``, ``period``, ``program`` for the
        year the program's name ends with, "" for the chosen one); ``(None, ...)`` after an error on
        the row. A program name's year gives way to any other, warned."""
        found = _YEAR.search(text(reader.get("year")))
        column = "year"
        if not found:
            found = _YEAR.search(text(reader.get("period")))
            column = "period"
        own = int(found.group(1)) if found else None
        if own is None:
            if self.year:
                self._named_other(reader, named_year, self.year)
                return self.year, ""
            if named_year:
                return named_year, "program"
            if self.fallback:
                if not self._fallback_noted:
                    self._fallback_noted = True
                    reader.log.warning(reader.sheet, 0, "", self.fallback_note)
                return self.fallback, ""
            # The column the year was looked for in: TAHUN, else the TAHAP that gave none (TAHAP II).
            key = "year" if reader.has("year") else "period"
            if self.fallback_note:  # titles naming two years: said once for the sheet, each such row refused
                reader.ok = False
                if not self._fallback_noted:
                    self._fallback_noted = True
                    example = "2024" if key == "year" else "Tahap 1 2024"
                    label = reader.label(key)
                    reader.log.error(
                        reader.sheet, 0, label, TWO_TITLE_YEARS.format(years=self.fallback_note, column=label, example=example),
                    )
                return None, ""
            reader.error(key, "Tahun/periode kosong atau tidak berisi tahun (mis. 2024)")
            return None, ""
        self._named_other(reader, named_year, own)
        if self.year and own != self.year:
            reader.error(
                column,
                f"Tahun di berkas ({own}) berbeda dengan tahun yang dipilih ({self.year}); perbaiki pilihan tahun atau "
                "isi kolom ini",
            )
            return None, column
        return own, column

    def _named_other(self, reader: RowReader, named_year: int | None, year: int) -> None:
        """Warn (once per program cell and years) that the program's name gives another year than
        the row's, which is kept."""
        cell = text(reader.get("program"), 60)
        if not named_year or named_year == year or (cell, named_year, year) in self._year_noted:
            return
        self._year_noted.add((cell, named_year, year))
        reader.warning("program", f"Program '{cell}' menyebut tahun {named_year}, berbeda dengan tahun baris ini ({year}); "
                       f"dipakai {year}")


def _row(
    reader: RowReader, ctx, programs: _Programs, chosen: _Chosen, latest_year: int, *, nik_is_head: bool = False,
) -> _Row | None:
    """``nik_is_head``: the table's NIK column is the head of the family's (under KEPALA KELUARGA)."""
    nik, nik_problems = None, []
    if not is_blank(reader.get("nik")):
        info = read_nik(reader, "nik", ctx, required=True, on_error=lambda key, reason: nik_problems.append(reason))
        nik = info.value if info else None
    kk, kk_problems = "", []
    if not is_blank(reader.get("no_kk")):
        # Beside a valid NIK, a No KK Excel damaged is judged once the NIK is looked up (``_match``).
        kk = read_kk(reader, "no_kk", on_error=(lambda key, reason: kk_problems.append(reason)) if nik else None)
    kk_problem = (reader.label("no_kk"), kk_problems[0]) if kk_problems else None
    nik_problem = None
    if nik_problems:
        # Beside a valid No KK, a NIK Excel damaged (or mistyped) is judged once the No KK is looked up.
        if kk:
            nik_problem = (reader.label("nik"), nik_problems[0])
        else:
            reader.error("nik", nik_problems[0])
    alone = is_blank(reader.get("nik")) and is_blank(reader.get("no_kk"))
    participant = _participant(reader, alone=alone)
    if alone and is_blank(reader.get("participant")):
        reader.error("nik", "NIK dan No KK kosong: penerima tidak dapat dicocokkan")
    program, named_year, other = chosen.program_of(reader, programs)
    year, column = chosen.year_of(reader, named_year)
    if year and year > latest_year:
        # A typo (2035 for 2025) in the row's TAHUN/TAHAP, or in the OpenSID form's start date.
        reader.error(column or "year", _year_ahead(year))
    amount, problem = parse_rupiah(reader.get("amount"))
    if not problem and amount is not None:
        # An id pasted into NOMINAL, or a few zeros too many: the registry's own limit and words.
        with translation.override(None):
            problem = amount_problem(amount)
    if problem:
        reader.error("amount", problem)
    delivered, problem = parse_date(reader.get("delivered_on"))
    if problem:
        # A month (``Agustus 2024``) or a quarter without its day: its first day, said.
        delivered, period_problem = parse_period(reader.get("delivered_on"))
        if period_problem:
            reader.error("delivered_on", problem)
        else:
            reader.warning(
                "delivered_on", f"Tanggal penyaluran '{text(reader.get('delivered_on'), 40)}' tanpa hari; dicatat "
                f"{delivered:%d/%m/%Y} (hari pertama bulan atau triwulan itu)",
            )
    if not reader.ok:
        if kk_problem:
            reader.error("no_kk", kk_problem[1])
        if nik_problem:
            reader.error("nik", nik_problem[1])
        if other is None:
            return None
        return _Row(
            sheet=reader.sheet, row=reader.row, nik=None, kk="", participant="", name="", program=program, year=year or 0,
            stage="", status=None, amount=None, delivered=None, note="", other=other, cells=reader.raw_cells, refused=True,
            values=_cell_values(reader),
        )
    name, head_name = text(reader.get("name"), 150), text(reader.get("head_name"), 150)
    if not name and nik_is_head:
        name = head_name  # the NIK under KEPALA KELUARGA is the head's: checked against the head's name
    return _Row(
        sheet=reader.sheet, row=reader.row, nik=nik, kk=kk, participant=participant, name=name,
        program=program, year=year,
        stage=text(reader.get("period"), 40), status=reader.get("status"), amount=amount, delivered=delivered,
        note=text(reader.get("note"), 500),
        place=tuple((key, reader.label(key), value) for key in _PLACE_FIELDS if (value := text(reader.get(key), 100))),
        kk_problem=kk_problem, nik_problem=nik_problem, head_name=head_name,
        other=other, cells=reader.raw_cells if other else None, values=_cell_values(reader) if other else None,
    )


def _cell_values(reader: RowReader) -> dict[str, str]:
    """The row's cells by column label, as a note quotes them."""
    cells = reader.raw_cells
    return {reader.label(key): text(cells[index], 40) for index, key in reader.columns.items() if index < len(cells)}


def _staged(row: _Row | None, sheet_stage: str) -> _Row | None:
    """The row with its stage as enrollments keep it (``programs.claims.stage_label``): ``2``
    beside TAHUN 2024, ``Tahap II`` and ``TAHAP 2 2024`` are one stage, ``TAHAP 2 2024``;
    ``sheet_stage``, the sheet's name when it names the stage of a sheet without a stage column."""
    if row is not None:
        row.stage = stage_label(row.stage or sheet_stage, row.year)
    return row


def _participant(reader: RowReader, *, alone: bool) -> str:
    """The ``Peserta`` cell's id: read as a No KK would be when it is the row's only id (an error
    then if it is none); beside a NIK or No KK, used only when it holds 16 digits."""
    cell = reader.get("participant")
    if is_blank(cell):
        return ""
    if alone:
        return read_kk(reader, "participant")
    try:
        return parse_kk(text(cell))
    except IdentifierError:
        return ""


def _rows_of(model_values, field_name: str, values: set[str]):
    """The rows of ``model_values`` (a ``values_list`` starting with ``field_name``) whose
    ``field_name`` is one of ``values``, a few thousand values a query."""
    values = sorted(v for v in values if v)
    for start in range(0, len(values), 5000):
        yield from model_values.filter(**{f"{field_name}__in": values[start : start + 5000]})


def _lookup(model_values, field_name: str, values: set[str]) -> dict:
    found: dict[str, tuple] = {}
    for row in _rows_of(model_values, field_name, values):
        found.setdefault(row[0], row[1:])
    return found


class _Holder(NamedTuple):
    """A family of the registry that holds a NIK: as a member's (``member`` its id), else as its head's."""

    member: int | None
    household: int
    name: str
    no_kk: str
    absent: bool  # the member, or the family, is marked absent (``is_absent``)
    # What else names the family when it has no No KK (a P3KE family's): its ID Keluarga P3KE, its
    # head's name and its village (``label``).
    p3ke_id: str | None = None
    head_name: str = ""
    desa: str | None = None

    def label(self) -> str:
        """The family as a row's error names it: by its No KK, else its ID Keluarga P3KE, else its
        head's name and village."""
        if self.no_kk:
            return f"No KK {self.no_kk}"
        if self.p3ke_id:
            return f"ID Keluarga P3KE {self.p3ke_id}"
        return f"keluarga {self.head_name or '(tanpa nama kepala keluarga)'}, Desa/Kelurahan {self.desa or '-'}"


class _Registry:
    """The live members and households the rows name, looked up in a few queries."""

    def __init__(self, rows: list[_Row]):
        niks = {r.nik for r in rows} | {r.participant for r in rows}
        kks = {r.kk for r in rows} | {r.participant for r in rows}
        live_members = Member.objects.filter(household__merged_into__isnull=True).order_by("household_id", "pk")
        live_households = Household.objects.filter(merged_into__isnull=True).order_by("pk")
        # Every family that holds each NIK (a son split into his own family card is still on his
        # father's until the old card is updated): a member's NIK, then a head's not among its members.
        self.holders: dict[str, list[_Holder]] = {}
        family = ("household__p3ke_id", "household__head_name", "household__desa__name")
        members = live_members.values_list(
            "nik", "pk", "household_id", "name", "household__no_kk", "is_absent", "household__is_absent", *family
        )
        for nik, member, household, name, no_kk, absent, family_absent, *named in _rows_of(members, "nik", niks):
            self._hold(nik, _Holder(member, household, name, no_kk, absent or family_absent, *named))
        heads = live_households.values_list("head_nik", "pk", "head_name", "no_kk", "is_absent", "p3ke_id", "desa__name")
        for nik, household, name, no_kk, absent, p3ke_id, desa in _rows_of(heads, "head_nik", niks):
            self._hold(nik, _Holder(None, household, name, no_kk, absent, p3ke_id=p3ke_id, head_name=name, desa=desa))
        self.household_by_kk = _lookup(live_households.values_list("no_kk", "pk"), "no_kk", kks)

    def _hold(self, nik: str, holder: _Holder) -> None:
        held = self.holders.setdefault(nik, [])
        if all(h.household != holder.household for h in held):
            held.append(holder)

    def places(self, household_ids: set[int]) -> dict[int, tuple[str, str, str]]:
        """``household -> (Kemendagri code, village name, kecamatan name)`` of its village."""
        households = Household.objects.values_list("pk", "desa__code", "desa__name", "desa__kecamatan__name")
        return _lookup(households, "pk", household_ids)

    def family_names(self, household_ids: set[int]) -> dict[int, list[str]]:
        """``household -> names`` of its head and members, the head first, each name once."""
        names: dict[int, list[str]] = {}
        for household_id, (head_name,) in _lookup(Household.objects.values_list("pk", "head_name"), "pk", household_ids).items():
            names[household_id] = [head_name] if head_name else []
        members = Member.objects.filter(household_id__in=sorted(household_ids)).order_by("pk")
        for household_id, name in members.values_list("household_id", "name"):
            if name and name not in names.setdefault(household_id, []):
                names[household_id].append(name)
        return names

    def by_nik(self, row: _Row) -> bool:
        """Whether the row's NIK (or ``Peserta`` id as a NIK) is a live member's or head's."""
        return any(nik and nik in self.holders for nik in (row.nik, row.participant))

    def find(self, row: _Row) -> tuple[int | None, int | None, str, str, tuple[_Holder, ...]]:
        """``(member, household, name, No KK, families)`` of the row: by NIK (a member's, else a
        head's), then No KK, the ``Peserta`` id tried as either after them (name and No KK: the
        registry's for the NIK found, "" for a No KK match); ``(None, None, "", "", ())`` when none
        is in the registry. A NIK several families hold finds the one the row's No KK names, else
        the one family where the person is not marked absent; when the row does not tell which,
        none: ``families`` then holds them (the row's error names them, ``_shared_nik``)."""
        for nik in (row.nik, row.participant):
            if nik and nik in self.holders:
                holder, families = _holder(self.holders[nik], {row.kk, row.participant} - {"", nik})
                if holder is None:
                    return None, None, "", "", families
                return holder.member, holder.household, holder.name, holder.no_kk, ()
        for kk in (row.kk, row.participant):
            if kk and kk in self.household_by_kk:
                return None, self.household_by_kk[kk][0], "", "", ()
        return None, None, "", "", ()


def _holder(holders: list[_Holder], kks: set[str]) -> tuple[_Holder | None, tuple[_Holder, ...]]:
    """The family of a NIK's ``holders`` that a row whose No KKs are ``kks`` names, and ``()``;
    else the one where the person is not marked absent; else ``(None, those families)``. The
    registry's first record wins nothing in silence: aid booked to another family is aid the
    recipient's own family is recorded without."""
    named = [h for h in holders if h.no_kk in kks]
    if named:
        return named[0], ()
    live = [h for h in holders if not h.absent] or holders
    if len(live) == 1:
        return live[0], ()
    return None, tuple(live)


def _shared_nik(log: IssueLog, row: _Row, families: tuple[_Holder, ...]) -> None:
    """The error of a row whose NIK several families hold, none of them named by the row's No KK.
    A row names a family by its No KK only (``_Registry.find``): one without a No KK (a P3KE
    family's) can be chosen once the registry holds its No KK, which the advice says."""
    nik = next(nik for nik in (row.nik, row.participant) if nik)
    listed = ", ".join(family.label() for family in families)
    given = f"No KK di berkas ({row.kk}) bukan salah satunya" if row.kk else "baris ini tidak menyebut No KK-nya"
    fill = "isi No KK keluarga penerima di berkas"
    if any(not family.no_kk for family in families):
        fill += " (keluarga tanpa No KK dapat dipilih setelah No KK-nya diisi di registri: Admin, Keluarga)"
    log.error(
        row.sheet, row.row, "NIK",
        f"NIK {nik} ada di {len(families)} keluarga di registri ({listed}) dan {given}: {fill}, atau tandai anggota "
        "ini tidak ada di keluarga lamanya (Admin, Anggota keluarga)",
    )


def _check_found(log: IssueLog, row: _Row, name: str, kk: str) -> None:
    """Warn when the person the row's NIK found is not the one the row names, or lives in another
    family than the row's No KK: a mistyped NIK lands on someone else, who would get the aid."""
    if row.name and name and name_similarity(row.name, name) < NAME_MATCH:
        log.warning(
            row.sheet, row.row, "NAMA",
            f"Nama di berkas '{text(row.name, 60)}' berbeda dengan nama pemilik NIK ini di registri ('{name}'); "
            "periksa NIK-nya",
        )
    if row.kk and kk and row.kk != kk:
        log.warning(
            row.sheet, row.row, "No KK",
            f"No KK di berkas {row.kk} berbeda dengan No KK keluarga pemilik NIK ini di registri ({kk})",
        )


# The names of a family a warning shows at most.
_FAMILY_NAMES_SHOWN = 6


def _kk_only(row: _Row, registry: _Registry) -> bool:
    """Whether the row's family was found by its No KK alone (no NIK given, one the registry does
    not hold, or one Excel damaged) and the row names someone: the family must be checked by name."""
    return bool(_names(row) and not registry.by_nik(row))


def _names(row: _Row) -> list[str]:
    """The names a row gives of its family: the recipient's, the head's (``NAMA_KK``), or both."""
    return [name for name in (row.name, row.head_name) if name]


def _names_family(given: list[str], names: list[str]) -> bool:
    """Whether one of the ``given`` names is the name of one of a family's members (``names``)."""
    return any(name_similarity(one, name) >= NAME_MATCH for one in given for name in names)


def _shown_names(names: list[str]) -> str:
    """A family's members' names as a warning quotes them, the first few."""
    return ", ".join(names[:_FAMILY_NAMES_SHOWN]) + (", …" if len(names) > _FAMILY_NAMES_SHOWN else "")


def _check_family(log: IssueLog, row: _Row, names: list[str]) -> None:
    """Warn when the row found by its No KK alone names none of that family's members: a No KK
    mistyped (or copied from the row above) lands on another family, who would get the aid."""
    given = _names(row)
    if _names_family(given, names):
        return
    kk = row.kk or row.participant
    family = f"nama '{text(given[0], 60)}' tidak cocok dengan anggota keluarga No KK {kk} ({_shown_names(names)})"
    if row.nik:
        log.warning(
            row.sheet, row.row, "NIK",
            f"NIK {row.nik} tidak ada di registri, dan {family}; penerima dicocokkan dengan No KK saja: periksa NIK "
            "dan No KK-nya",
        )
    else:
        log.warning(
            row.sheet, row.row, "NAMA",
            f"{family[0].upper()}{family[1:]}; penerima dicocokkan dengan No KK saja: periksa No KK-nya",
        )


def _check_place(log: IssueLog, row: _Row, place: tuple[str, str, str]) -> None:
    """Warn when the list places the recipient elsewhere than the registry places the family the
    row matched: a mistyped NIK lands on a family of another village, or the family moved. The
    Kode Wilayah is compared by its digits (a kecamatan's code with the village's first digits),
    else the Desa and Kecamatan names as the importers match them (``cells.place_name``)."""
    code, desa, kecamatan = place
    listed = {key: value for key, _column, value in row.place}
    if "region_code" in listed:
        digits = region_code_plain(listed["region_code"])
        same = len(digits) in _REGION_CODE_LENGTHS and region_code_plain(code).startswith(digits)
    else:
        same = all(
            place_name(listed[key]) == place_name(name)
            for key, name in (("desa", desa), ("kecamatan", kecamatan)) if key in listed
        )
    if same:
        return
    shown = ", ".join(f"{column} '{value}'" for _key, column, value in row.place)
    log.warning(
        row.sheet, row.row, row.place[0][1],
        f"Tempat di berkas ({shown}) berbeda dengan tempat keluarga ini di registri (Desa/Kelurahan {desa}, "
        f"Kecamatan {kecamatan}, kode {code}); periksa NIK/No KK-nya, atau perbarui alamat keluarga bila pindah",
    )


def _match(
    plan: RecipientPlan, rows: list[_Row], aid_headers: dict[str, list[str]], *, forecast: bool
) -> set[tuple[str, int]]:
    """Match the rows and plan their enrollments, and those of their other aid columns (``aid_headers``:
    each aid key's headers); the (sheet, row) of each row whose value an enrollment counts."""
    log = plan.issues
    registry = _Registry(rows)
    enrollments: dict[tuple, list[_Row]] = {}  # (program, year, household, member or None) -> its rows
    aided: list[tuple[_Row, int | None, int]] = []  # (row, member, household) of the rows with other aid
    found = [_collected_for(log, r, registry, *registry.find(r)) for r in rows]
    places = registry.places({household_id for r, _m, household_id, *_rest in found if r.place and household_id})
    families = registry.family_names({
        household_id for r, _m, household_id, *_rest in found
        if household_id and (_kk_only(r, registry) or (r.collected_for and r.head_name))
    })
    for r, member_id, household_id, name, kk, shared in found:
        if r.nik_problem:
            column, reason = r.nik_problem
            if household_id is not None and not r.program.person:
                log.warning(r.sheet, r.row, column, f"{reason}. NIK ini tidak dipakai: penerima dicocokkan dengan No KK-nya")
            else:
                # No family found, or a person's program: the No KK does not say who the recipient is.
                log.error(r.sheet, r.row, column, reason)
                if household_id is not None:
                    continue
        if r.kk_problem:
            column, reason = r.kk_problem
            if household_id is not None and registry.by_nik(r):
                log.warning(r.sheet, r.row, column, f"{reason}. No KK ini tidak dipakai: penerima dicocokkan dengan NIK-nya")
            else:
                log.error(r.sheet, r.row, column, reason)
                if household_id is not None:
                    continue
        if shared:
            _shared_nik(log, r, shared)
            continue
        if household_id is None:
            shown = ", ".join(
                f"{label} {value}" for label, value in (("NIK", r.nik), ("No KK", r.kk), ("Peserta", r.participant)) if value
            )
            log.error(r.sheet, r.row, "NIK", f"Penerima tidak ditemukan di registri ({shown})")
            continue
        _check_found(log, r, name, kk)
        if household_id in families and _kk_only(r, registry):
            _check_family(log, r, families[household_id])
        elif r.collected_for and r.head_name and household_id in families:
            _check_collected_for(log, r, families[household_id])
        if r.place:
            _check_place(log, r, places[household_id])
        person = r.program.person
        if person and member_id is None:
            if r.nik:
                log.error(r.sheet, r.row, "NIK", "Program perorangan: NIK penerima harus NIK anggota keluarga di registri")
            else:
                # Found by its No KK alone: a list whose NIK column has a title not recognised reads so on every row.
                log.error(
                    r.sheet, r.row, "NIK",
                    "Program perorangan: baris ini tidak berisi NIK penerima (keluarganya ditemukan lewat No KK saja). "
                    "Isi NIK anggota keluarga penerima; bila daftar ini punya kolom NIK dengan judul yang tidak dikenali, "
                    "petakan judul itu di Admin, Pemetaan kolom impor (jenis tabel Daftar penerima OPD), lalu unggah lagi",
                )
            continue
        key = (r.program.id, r.year, household_id, member_id if person else None)
        if r.aids:
            aided.append((r, member_id, household_id))
        same = enrollments.setdefault(key, [])
        stages = {normalize_header(s.stage) for s in same}
        if same and (not r.stage or normalize_header(r.stage) in stages or "" in stages):
            r.joined = _other_group(r, same, person=person)
            if r.joined is not None:  # the leader of another group too: one enrollment, both groups' aid
                same.append(r)
                continue
            there = row_place(same[0].row, same[0].sheet if same[0].sheet != r.sheet else None)
            if not person and r.nik and all(s.nik and s.nik != r.nik for s in same):
                # Another member of the family (a farmer and his wife in one KUBE): the family's
                # enrollment is one; the family getting the aid twice is said, not refused.
                log.warning(
                    r.sheet, r.row, "NIK",
                    f"Penerima NIK {r.nik} sekeluarga dengan penerima di {there} (NIK {same[0].nik}): program ini untuk "
                    "keluarga, jadi keluarga ini dicatat sekali; baris ini tidak menambah kepesertaan maupun nilainya. "
                    "Periksa apakah keluarga ini menerima bantuan ini dua kali",
                )
                continue
            log.error(r.sheet, r.row, "NIK", f"Penerima ganda untuk program dan tahun yang sama: sudah ada di {there}")
            if r.aids:
                aided.pop()
            continue
        same.append(r)
    plan.claims = [_claim(key, same, log) for key, same in enrollments.items()]
    held = claims_held(plan.claims)
    plan.existing = len(held[1])
    other, other_held = _other_aid(plan, aided, aid_headers, set(held[0]))
    if plan.existing:
        plan.changes = stated_changes(plan.claims)
        for change in plan.changes:
            first = enrollments[change.key][0]
            if change.held:
                log.warning(first.sheet, first.row, "STATUS", f"{change.describe()}: {change.held}")
            elif change.returned:  # a stage paid in an earlier list came back: taken off
                log.warning(first.sheet, first.row, "TAHAP", change.describe())
            elif change.corrected:  # a stage's amount corrected in a list sent again
                log.warning(first.sheet, first.row, "NOMINAL", change.describe())
    if forecast:
        _forecast(plan, ({**other, **held[0]}, held[1] | other_held))
    years = {claim.year for claim in plan.claims}
    if len(years) == 1:
        plan.data_year = next(iter(years))
    return {(r.sheet, r.row) for same in enrollments.values() for r in same}


def _other_aid(
    plan: RecipientPlan, aided: list[tuple[_Row, int | None, int]], aid_headers: dict[str, list[str]], own: set,
) -> tuple[dict, set]:
    """Plan the enrollments the rows' other aid columns say (``_Row.aids``), as the DTKS import
    records its aid columns (``programs.claims.claim_enrollments``): a family program for the
    row's family, a person program for the row's person (its NIK's), else the family's head. Those
    ``own`` (the list's own enrollments) names are left to them. Per aid column, what they come to
    (``RecipientPlan.other_aid``). Returns the enrollments (key -> claim) and those the registry holds."""
    if not aid_headers:
        return {}, set()
    catalogue = aid_programs()
    by_id = {program.id: program for program in catalogue}
    # The programs each aid key names (``pkh``, ``sembako@2023``), as a claim of it comes to them.
    named = {
        key: [by_id[found[0]] for found in claim_enrollments([AidClaim(0, 0, (key,))], year=0, programs=catalogue)]
        for key in aid_headers
    }
    heads: dict[int, int] = {}
    households = {household for _row, member, household in aided if member is None}
    family_heads = Member.objects.filter(relation=Relation.HEAD).order_by("pk").values_list("household_id", "pk")
    for household, member in _rows_of(family_heads, "household_id", households):
        heads.setdefault(household, member)
    claims = []
    for row, member, household in aided:
        member = member if member is not None else heads.get(household)
        for key in sorted(row.aids):
            if member is None and any(program.person for program in named.get(key, ())):
                headers = ", ".join(aid_headers.get(key, [key]))
                plan.issues.warning(
                    row.sheet, row.row, headers,
                    f"Kolom {headers} menyebut bantuan perorangan, tetapi keluarga ini tanpa kepala keluarga di "
                    "registri dan baris ini tanpa NIK anggota keluarga; bantuan perorangan itu tidak dicatat",
                )
            claims.append(AidClaim(household=household, member=member, aids=(key,), year=row.year))
    other = {key: claim for key, claim in claim_enrollments(claims, year=None, programs=catalogue).items() if key not in own}
    held = present_enrollment_keys(other)
    plan.other_claims = [AidClaim(household=h, member=m, program=p, year=y) for p, y, h, m in other]
    plan.other_existing = len(held)
    counts: dict[str, dict[tuple[str, int], list[int]]] = {}
    for key, claim in other.items():
        program_id, year = key[:2]
        count = counts.setdefault(claim.aids[0], {}).setdefault((by_id[program_id].code.upper(), year), [0, 0])
        count[key in held] += 1
    for key, headers in aid_headers.items():
        columns = ", ".join(headers)
        if key not in counts:
            aid = ", ".join(program.code.upper() for program in named[key])
            plan.other_aid.append({"columns": columns, "aid": aid, "new": 0, "existing": 0})
        for (code, year), (new, existing) in sorted(counts.get(key, {}).items()):
            plan.other_aid.append({"columns": columns, "aid": f"{code} {year}", "new": new, "existing": existing})
    return other, held


def _collected_for(log: IssueLog, row: _Row, registry: _Registry, member_id, household_id, name, kk, shared) -> tuple:
    """The row and what ``_Registry.find`` found for it, but the family the row's No KK names when
    its NIK is a caretaker's or a group leader's (NIK PENGURUS, NIK KETUA: who collects the aid, not
    the recipient) of another family: a PKH list gives the caretaker's NIK beside the recipient
    family's No KK. The row is warned; a plain NIK column keeps its holder's family."""
    if not (row.leader_columns and row.kk and row.nik and row.nik in registry.holders) or row.kk_problem or shared:
        return row, member_id, household_id, name, kk, shared
    named = registry.household_by_kk.get(row.kk)
    if row.program.person or named is None or named[0] == household_id:
        return row, member_id, household_id, name, kk, shared
    column, kk_column = row.leader_columns
    log.warning(
        row.sheet, row.row, column,
        f"NIK {row.nik} di kolom {column} adalah NIK pengurus yang mengambil bantuan (keluarga No KK {kk}), bukan "
        f"anggota keluarga No KK {row.kk} yang disebut di kolom {kk_column}: kepesertaan dicatat untuk "
        f"keluarga No KK {row.kk}",
    )
    row.collected_for = True
    return row, None, named[0], name, row.kk, shared


def _check_collected_for(log: IssueLog, row: _Row, names: list[str]) -> None:
    """Warn when the head's name (NAMA KK) of a row a caretaker's NIK moved to the family its No KK
    names (``_collected_for``) matches none of that family's members: a No KK mistyped (or copied
    from the row above) would enroll another family, and the caretaker's NIK cannot tell."""
    if _names_family([row.head_name], names):
        return
    log.warning(
        row.sheet, row.row, row.head_column,
        f"Nama '{text(row.head_name, 60)}' di kolom {row.head_column} tidak cocok dengan anggota keluarga No KK "
        f"{row.kk} ({_shown_names(names)}), keluarga yang disebut di kolom {row.leader_columns[1]} dan dicatat sebagai penerima: "
        "periksa No KK-nya",
    )


def _forecast(plan: RecipientPlan, held: tuple[dict, set]) -> None:
    """The one-aid conflicts the list would raise, by the rule the engine applies when it is
    saved, and its families they concern: "No KK 7409... (SITI): BSPS 2024 dengan PKH 2024", in the
    list's order (the Bupati's rule: a family receiving one aid receives no other; Bappeda and the
    agency see them before confirming). A few queries, none per row."""
    pairs = aid_claims_conflicts(held=held, changes=plan.updates)
    plan.conflicts_forecast = len(pairs)
    if not pairs:
        return
    households = {side[1] for pair in pairs for side in (pair.first, pair.second)}
    families = _lookup(Household.objects.values_list("pk", "no_kk", "head_name"), "pk", households)
    codes = dict(Program.objects.values_list("pk", "code"))
    order: dict[int, int] = {}
    for index, claim in enumerate(plan.claims):
        order.setdefault(claim.household, index)
    aids: dict[int, list[str]] = {}
    for pair in pairs:
        (household, program), (other_household, other_program) = pair.first[1:], pair.second[1:]
        mine = f"{codes[program].upper()} {pair.year}"
        other = f"{codes[other_program].upper()} {pair.year}"
        if other_household == household:
            aid = _("%(mine)s dengan %(other)s") % {"mine": mine, "other": other}
        else:  # the same person on another family card (rule same_person)
            aid = _("%(mine)s dengan %(other)s lewat No KK %(kk)s") % {
                "mine": mine, "other": other, "kk": families[other_household][0],
            }
        aids.setdefault(household, []).append(aid)
    plan.conflict_families = [
        _("No KK %(kk)s (%(name)s): %(aids)s") % {"kk": families[household][0], "name": families[household][1], "aids": "; ".join(found)}
        for household, found in sorted(aids.items(), key=lambda item: order.get(item[0], len(order)))
    ]


def _other_group(row: _Row, same: list[_Row], *, person: bool) -> _Row | None:
    """The earlier row of the same recipient that names another group than ``row`` (a farmer
    leading two kelompok tani), the one of its stage first; None when a row names no group, or one
    of them names the same group (a double recipient, or in a family program another member of the
    family in the same group). The recipient is the person (the same NIK, else No KK), or in a
    family program the family: a farmer and his wife each leading a group are one enrollment of
    both groups' aid, as one farmer leading both is."""
    who = row.nik or row.participant or row.kk
    groups = {normalize_header(s.group) for s in same}
    if not row.group or "" in groups or normalize_header(row.group) in groups:
        return None
    if person and any((s.nik or s.participant or s.kk) != who for s in same):
        return None
    return next((s for s in same if s.stage == row.stage), same[0])


def _claim(key: tuple, rows: list[_Row], log: IssueLog) -> AidClaim:
    """The claim of one enrollment's rows: a row's own, or the stages of a year merged (see the
    module docstring), each merged row warned."""
    program_id, year, household_id, member_id = key
    first = rows[0]
    if len(rows) == 1:
        return AidClaim(
            household=household_id, member=member_id, program=program_id, year=year, status=first.status,
            amount=first.amount, delivered_on=first.delivered if _paid(first) else None, note=first.note,
            planned=first.pending, **_stages([first]), **_returned([first]),
        )
    paid = any(r.status == EnrollmentStatus.ACTIVE for r in rows)
    status = EnrollmentStatus.ACTIVE if paid else first.status
    # The stages paid, else (none paid yet) the planned ones.
    counted = [r for r in rows if r.status == status]
    planned = all(r.pending for r in counted)
    amounts = [r.amount for r in counted if r.amount is not None and (planned or not r.pending)]
    amount = sum(amounts) if amounts else None
    delivered = max((r.delivered for r in rows if r.delivered and _paid(r)), default=None)
    note = "; ".join(f"{r.stage or r.group}: {r.note}" if r.stage or r.group else r.note for r in rows if r.note)[:500]
    shown = rupiah(amount) if amount is not None else "tanpa nominal"
    staged = [r for r in rows if r.joined is None]  # a group's row joined to another's adds no stage
    stages = ", ".join(r.stage for r in staged)
    for r in staged if len(staged) > 1 else ():
        log.warning(r.sheet, r.row, "TAHAP", f"{len(staged)} tahap penerima yang sama untuk program dan tahun yang sama "
                    f"({stages}) digabung menjadi satu kepesertaan, nilai {shown}")
    for r in rows:
        if r.joined is not None:
            _joined_group(log, r, shown)
    return AidClaim(
        household=household_id, member=member_id, program=program_id, year=year, status=status, amount=amount,
        delivered_on=delivered, note=note, planned=planned, **_stages(counted), **_returned(rows),
    )


def _joined_group(log: IssueLog, row: _Row, shown: str) -> None:
    """Warn on a row whose recipient an earlier row names in another group: one enrollment, its
    value the groups' sum (``shown``)."""
    earlier = row.joined
    who = f"NIK {row.nik}" if row.nik else f"No KK {row.kk or row.participant}"
    there = row_place(earlier.row, earlier.sheet if earlier.sheet != row.sheet else None)
    if row.nik and earlier.nik and earlier.nik != row.nik:  # another member of the family (a family program)
        log.warning(
            row.sheet, row.row, row.group_column,
            f"Penerima {who} sekeluarga dengan penerima di {there} (NIK {earlier.nik}) untuk kelompok lain "
            f"('{text(earlier.group, 60)}'); baris ini ('{text(row.group, 60)}') digabung menjadi satu kepesertaan "
            f"keluarga, nilai {shown} (nilai kelompok-kelompoknya dijumlahkan). Periksa apakah keluarga ini memang "
            "tercatat di kelompok-kelompok itu",
        )
        return
    log.warning(
        row.sheet, row.row, row.group_column,
        f"Penerima {who} juga tercatat di {there} untuk kelompok lain ('{text(earlier.group, 60)}'); baris ini "
        f"('{text(row.group, 60)}') digabung menjadi satu kepesertaan, nilai {shown} (nilai kelompok-kelompoknya "
        "dijumlahkan). Periksa apakah penerima ini memang tercatat di kelompok-kelompok itu",
    )


def _stage_sums(rows: list[_Row]) -> dict[str, int | None]:
    """Each stage of ``rows`` and its amount: the rows' sum when a recipient's groups (``_Row.joined``)
    share a stage; None when none of them gives one."""
    amounts: dict[str, int | None] = {}
    for r in rows:
        before = amounts.get(r.stage)
        amounts[r.stage] = r.amount if before is None else before + (r.amount or 0)
    return amounts


def _stages(rows: list[_Row]) -> dict[str, tuple]:
    """The stages (TAHAP) of the rows whose amounts a claim counts, as an enrollment keeps them
    (``TAHAP 3 2024``: ``_staged``), and each one's amount: the claim's ``stages`` and
    ``stage_amounts``."""
    amounts = _stage_sums([r for r in rows if r.stage and _paid(r)])
    return {"stages": tuple(amounts), "stage_amounts": tuple(amounts.values())}


def _paid(row: _Row) -> bool:
    """Whether the row says its aid was paid: not a failed or returned payment, nor one not paid yet
    (nor a recipient who left). Only such a row counts its stage and records its delivery day."""
    return row.status != EnrollmentStatus.SUSPENDED and not row.pending


def _returned(rows: list[_Row]) -> dict[str, tuple]:
    """The stages of the rows whose payment failed (RETUR, GAGAL SALUR), and each one's amount: the
    claim's ``returned`` and ``returned_amounts``, taken off an enrollment that counted them."""
    amounts = _stage_sums([r for r in rows if r.stage and r.status == EnrollmentStatus.SUSPENDED])
    return {"returned": tuple(amounts), "returned_amounts": tuple(amounts.values())}
