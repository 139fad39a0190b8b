"""Aid as an import states it ("this family receives PKH"), and the enrollments that comes to.

A P3KE or DTKS extract says *Penerima PKH: Ya* for a family or a person; an agency's recipient
list names one program per row. Both reach programs as ``AidClaim``s: plain data naming a
household (and a member), the aid by its ``Penerima`` keys or the program itself, and what the file
says of the enrollment. This module maps claims to programs and reads the registry;
``programs.services.aid_claims_record`` writes them.

A list's program names are matched by :func:`programs_by_spelling`: code, name or ``Penerima``
key with case, punctuation and spacing ignored, and the usual names of the national programs
(``PROGRAM_ALIASES``: PBI JK, BPNT, KIP, BLT DD ...).

Mapping rules: a ``Penerima`` key names every program whose ``p3ke_column`` lists it; a person
program enrolls the claim's member (a claim without one is left out) and a household program the
household; claims that name the same enrollment (program, year, household, member) count once.
Whether an enrollment is already in the registry follows the database's uniqueness rule
(:func:`unique_key`): a person once per program and year, whatever family card they are on.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from dedup.engine import ForecastPair, forecast_conflicts
from dedup.engine_sql import id_param
from households.imports.columns import AID_YEAR_MARK
from households.models import Household, Member
from konut_registry.chunks import chunked
from konut_registry.db import pg_array
from konut_registry.numbers import rupiah
from programs.models import (
    LIVE_STATUSES, PORTAL_STAGE, STAGE_SEPARATOR, Enrollment, EnrollmentStatus, Program, TargetUnit, amount_problem,
    absent_member_problem, absent_record_problem, enrollment_year_problem, latest_enrollment_year, merged_record_problem,
)


@dataclass(slots=True)
class AidClaim:
    """What a file says: ``household`` (or its member ``member``) receives aid.

    ``household`` and ``member`` are ids when the claim is recorded; counting the claims of a file
    not yet written takes any keys that tell households and people apart. The aid is either
    ``aids``, ``Penerima`` keys (``{"pkh", "bpnt"}``), or ``program``, one program's id. ``year``
    None means the year the claims are recorded for.

    An extract's row claims with every other field at its default: it may be given as the plain
    tuple ``(household, member, aids)`` instead, tens of thousands of them on a
    re-sync, each read twice (the preview's count, the write)."""

    household: Hashable
    member: Hashable | None = None
    aids: Collection[str] = ()
    program: int | None = None
    year: int | None = None
    status: str = EnrollmentStatus.ACTIVE
    amount: int | None = None
    delivered_on: datetime.date | None = None
    note: str = ""
    # A recipient list's stages (TAHAP) whose amounts ``amount`` sums, and each one's amount (same
    # order); a list's claim also states what it says of an enrollment the registry already holds
    # (:func:`stated_changes`).
    stages: tuple[str, ...] = ()
    stage_amounts: tuple[int | None, ...] = ()
    # The list says the aid is not paid yet (BELUM CAIR): ``amount`` is the planned value, which
    # does not replace the amount an enrollment's deliveries came to.
    planned: bool = False
    # The stages the list says were paid and came back (RETUR, GAGAL SALUR), and each one's amount:
    # a stage an enrollment counted is taken off its amount and stages.
    returned: tuple[str, ...] = ()
    returned_amounts: tuple[int | None, ...] = ()


@dataclass(frozen=True, slots=True)
class AidProgram:
    """A program as files name it: its code, name and ``Penerima`` keys, and whom it enrolls."""

    id: int
    code: str
    name: str
    keys: tuple[str, ...]
    person: bool


def aid_programs() -> list[AidProgram]:
    """Every program, in the registry's order, with its ``Penerima`` keys (lower case): those its
    ``p3ke_column`` lists, then its code as a column names it (``Penerima BLT Desa``: ``blt_desa``)
    unless another program lists that key."""
    rows = list(Program.objects.values_list("pk", "code", "name", "p3ke_column", "target_unit"))
    listed = {pk: tuple(key.strip().lower() for key in column.split(",") if key.strip()) for pk, _c, _n, column, _u in rows}
    taken = {key for keys in listed.values() for key in keys}
    programs = []
    for pk, code, name, _column, unit in rows:
        own = code.lower().replace("-", "_")
        keys = listed[pk] if own in listed[pk] or own in taken else (*listed[pk], own)
        programs.append(AidProgram(id=pk, code=code, name=name, person=unit == TargetUnit.PERSON, keys=keys))
    return programs


# The names the national programs go by in agencies' lists, one group per program: a registry
# program answers to every name of a group when its code, name or ``Penerima`` key is one of them
# (so the aliases follow the programs the registry holds, whatever their codes).
PROGRAM_ALIASES: tuple[tuple[str, ...], ...] = (
    ("PKH", "Program Keluarga Harapan"),
    ("Sembako", "BPNT", "BPNT Sembako", "Kartu Sembako", "Program Sembako", "Bantuan Pangan Non Tunai"),
    ("PBI JK", "PBI JKN", "JKN PBI", "PBI", "KIS PBI", "PBI KIS", "Penerima Bantuan Iuran Jaminan Kesehatan"),
    ("PIP", "KIP", "Program Indonesia Pintar", "Kartu Indonesia Pintar"),
    ("BLT Desa", "BLT DD", "BLT Dana Desa", "Bantuan Langsung Tunai Desa", "Bantuan Langsung Tunai Dana Desa"),
)
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_IN_PARENTHESES = re.compile(r"\(([^)]*)\)")


def program_spelling(value: object) -> str:
    """A program's name as lists are matched to it: case, punctuation and spacing ignored
    (``BLT DESA``, ``blt-desa`` and ``Blt Desa`` all read ``bltdesa``)."""
    return _NOT_ALNUM.sub("", str(value).lower()) if value is not None else ""


def program_spellings(program: AidProgram) -> tuple[set[str], set[str]]:
    """The spellings a program answers to: its own (code, name with and without the part in
    parentheses, that part alone, ``Penerima`` keys), and those its alias groups add."""
    names = [program.code, program.name, _IN_PARENTHESES.sub("", program.name), *program.keys]
    names += _IN_PARENTHESES.findall(program.name)
    own = {program_spelling(name) for name in names} - {""}
    aliases = set()
    for group in PROGRAM_ALIASES:
        spellings = {program_spelling(name) for name in group}
        if spellings & own:
            aliases |= spellings
    return own, aliases - own


def programs_by_spelling(programs: list[AidProgram]) -> dict[str, AidProgram]:
    """Each spelling (``program_spelling``) to its program: a program's own spellings before any
    alias, and among equals the first program in the registry's order."""
    spelled = [program_spellings(program) for program in programs]
    found: dict[str, AidProgram] = {}
    for kind in (0, 1):
        for program, spellings in zip(programs, spelled):
            for spelling in sorted(spellings[kind]):
                found.setdefault(spelling, program)
    return found


EnrollmentKey = tuple  # (program id, year, household, member or None)
PlainClaim = tuple  # (household, member, aids): an ``AidClaim`` with every other field at its default
_DEFAULT_CLAIM = AidClaim(household=None)


def claim_fields(claim: AidClaim | PlainClaim) -> AidClaim:
    """What the claim says of its enrollment (``status``, ``amount``, ``delivered_on``, ``note``):
    the defaults for a plain one."""
    return _DEFAULT_CLAIM if claim.__class__ is tuple else claim


def claim_enrollments(
    claims: Iterable[AidClaim | PlainClaim], *, year: int | None, programs: list[AidProgram] | None = None
) -> dict[EnrollmentKey, AidClaim | PlainClaim]:
    """The enrollments the claims come to, each with the first claim that names it, in order
    (``AidClaim``s and plain ``(household, member, aids)`` tuples alike)."""
    catalogue = aid_programs() if programs is None else programs
    by_key: dict[str, list[AidProgram]] = {}
    by_id: dict[int, AidProgram] = {}
    for program in catalogue:
        by_id[program.id] = program
        for key in program.keys:
            by_key.setdefault(key, []).append(program)
    found: dict[EnrollmentKey, AidClaim] = {}
    # The programs of each set of keys: a file's rows share a handful of them (``shared_recipients``).
    named_by_aids: dict[Collection[str], list[tuple[AidProgram, int | None]]] = {}
    for claim in claims:
        if claim.__class__ is tuple:
            (household, member, aids), claim_year, program_id = claim, year, None
        else:
            household, member, aids, program_id = claim.household, claim.member, claim.aids, claim.program
            claim_year = claim.year or year
        if program_id is not None:
            named = [(by_id[program_id], None)] if program_id in by_id else []
        else:
            hashable = isinstance(aids, (frozenset, tuple))  # a set is not a key
            named = named_by_aids.get(aids) if hashable else None
            if named is None:
                named = _programs_named(aids, by_key)
                if hashable:
                    named_by_aids[aids] = named
        for program, aid_year in named:
            program_year = claim_year if aid_year is None else aid_year
            if not program.person:
                key = (program.id, program_year, household, None)
            elif member is not None:
                key = (program.id, program_year, household, member)
            else:
                continue  # e.g. a family row for a person program, the family's head not known
            if key not in found:
                found[key] = claim
    return found


def _programs_named(aids: Collection[str], by_key: dict[str, list[AidProgram]]) -> list[tuple[AidProgram, int | None]]:
    """``(program, year)`` of each aid key, the year the column's header named (``pkh@2022``,
    ``households.imports.columns.AID_YEAR_MARK``) or None for the claim's own."""
    named = []
    for aid in aids:
        key, _mark, year = aid.partition(AID_YEAR_MARK)
        named += [(program, int(year) if year else None) for program in by_key.get(key, ())]
    return named


# Up to this many households, ``aid_no_longer_stated`` asks for their enrollments by id.
FEW_HOUSEHOLDS = 2000


def aid_no_longer_stated(
    *, source: str, year: int, aid_keys: Collection[str], stated: set[tuple[int, int]], households: Collection[int]
) -> list[tuple[AidProgram, list[int]]]:
    """The aid a re-synced extract no longer states: for each program that ``aid_keys`` (the
    file's aid columns) name, which of ``households`` (the file's families in the registry, ids in
    ascending order) hold a live enrollment of ``year`` from ``source`` that ``stated``
    (``(program, household)`` ids, what the file's rows claim) does not name. A few queries, none
    per family."""
    programs = {program.id: program for program in aid_programs() if set(program.keys) & set(aid_keys)}
    if not programs or not households:
        return []
    found: dict[int, set[int]] = {}
    live = Enrollment.objects.filter(
        source=source, year=year, status__in=LIVE_STATUSES, program_id__in=programs
    ).order_by().values_list("program_id", "household_id")
    if len(households) > FEW_HOUSEHOLDS:
        # Read the year's live enrollments of the source, kept in Python: a list of thousands of
        # households in the SQL is checked row by row after the index on program and year (0.4 s
        # for 5,000 ids on PostgreSQL), and joined to an array it is planned as a nested loop
        # when the statistics predate an import that just filled the table.
        wanted = set(households)
        pairs = ((program_id, household_id) for program_id, household_id in live.iterator(chunk_size=20_000) if household_id in wanted)
    else:
        pairs = (pair for chunk in chunks(households) for pair in live.filter(household_id__in=chunk))
    for program_id, household_id in pairs:
        if (program_id, household_id) not in stated:
            found.setdefault(program_id, set()).add(household_id)
    return [(programs[program_id], sorted(ids)) for program_id, ids in sorted(found.items())]


def claims_held(claims: Iterable[AidClaim], *, year: int | None = None) -> tuple[dict, set[EnrollmentKey]]:
    """The claims' enrollments (:func:`claim_enrollments`) and the keys of those the registry
    already holds (:func:`present_enrollment_keys`)."""
    claimed = claim_enrollments(claims, year=year)
    return claimed, present_enrollment_keys(claimed)


def aid_claims_conflicts(*, held: tuple[dict, set], changes: Iterable[StatedChange] = ()) -> list[ForecastPair]:
    """The one-aid conflicts that recording claims (a recipient list's, naming their program and
    year; ``held``: their :func:`claims_held`) with ``aid_claims_record`` would raise, found without
    writing anything: the claims' enrollments the registry does not hold yet and would not refuse (``enrollment_refusals``),
    and the new status of those ``changes`` set (a list's updates of enrollments held, not
    ``held`` ones), handed to the dedup engine's forecast (``dedup.engine.forecast_conflicts``),
    the rule it applies when they are saved. A few queries, none per claim."""
    claimed, present = held
    fresh = [(key, claim_fields(claim).status) for key, claim in claimed.items() if key not in present]
    refused = enrollment_refusals([key for key, _status in fresh], [status for _key, status in fresh]) if fresh else {}
    planned, seen = [], set()
    for index, ((program_id, year, household_id, member_id), status) in enumerate(fresh):
        unique = key_unique(program_id, year, household_id, member_id)
        if index in refused or unique in seen:  # refused, or the same person twice: not written
            continue
        seen.add(unique)
        planned.append((household_id, program_id, year, status))
    restated = [
        (change.enrollment.pk, change.fields.get("status", change.enrollment.status)) for change in changes if not change.held
    ]
    return forecast_conflicts(planned=planned, restated=restated)


def present_enrollment_keys(keys: Iterable[EnrollmentKey]) -> set[EnrollmentKey]:
    """Those of ``keys`` (``claim_enrollments``'s) whose enrollment the registry already holds, by
    the database's uniqueness rule (:func:`unique_key`): a few queries, none per key."""
    if connection.vendor == "postgresql":
        return _present_enrollment_keys_joined(keys)
    # The unique key straight from the tuple: a re-sync asks for tens of thousands.
    unique = {key: key_unique(*key) for key in keys}
    if not unique:
        return set()
    present = present_unique_keys(set(unique.values()))
    return {key for key, wanted in unique.items() if wanted in present}


def _present_enrollment_keys_joined(keys: Iterable[EnrollmentKey]) -> set[EnrollmentKey]:
    """PostgreSQL's :func:`present_enrollment_keys`: the keys split by kind straight from their
    tuples, no unique key built for each (an import's chunk is 20,000 keys, and on a first import
    none is present)."""
    keys = list(keys)
    person = [(p, y, m) for p, y, _h, m in keys if m is not None and p is not None and y is not None]
    household = [(p, y, h) for p, y, h, m in keys if m is None and None not in (p, y, h)]
    present = _present_keys_joined(set(), person=person, household=household)
    if not present:
        return set()
    return {key for key in keys if key_unique(*key) in present}


def unique_key(enrollment: Enrollment) -> tuple:
    """The database's uniqueness rule for an enrollment: a person program enrolls a person once per
    program and year (whatever family card they are on), a household program a household."""
    return key_unique(enrollment.program_id, enrollment.year, enrollment.household_id, enrollment.member_id)


def key_unique(program_id, year, household_id, member_id) -> tuple:
    """:func:`unique_key` of an enrollment given by its ``EnrollmentKey`` values."""
    if member_id is not None:
        return ("person", program_id, year, member_id)
    return ("household", program_id, year, household_id)


def chunks(values, size=5000):
    """``values`` sorted, in lists of ``size``."""
    return chunked(sorted(values), size)


def present_keys(enrollments) -> set[tuple]:
    """The unique keys (:func:`unique_key`) of ``enrollments`` (objects with ``program_id``,
    ``year``, ``household_id``, ``member_id``) already in the registry: a few queries, none per row."""
    return present_unique_keys({unique_key(e) for e in enrollments})


def present_unique_keys(wanted: set[tuple]) -> set[tuple]:
    """Those of the unique keys ``wanted`` (:func:`unique_key`'s) already in the registry."""
    if connection.vendor == "postgresql":
        return _present_keys_joined(wanted)
    program_ids = {key[1] for key in wanted}
    years = {key[2] for key in wanted}
    members = {key[3] for key in wanted if key[0] == "person"}
    households = {key[3] for key in wanted if key[0] == "household"}
    present = set()
    for chunk in chunks(members):
        rows = Enrollment.objects.filter(program_id__in=program_ids, year__in=years, member_id__in=chunk)
        present |= {("person", *row) for row in rows.values_list("program_id", "year", "member_id")}
    for chunk in chunks(households):
        rows = Enrollment.objects.filter(
            program_id__in=program_ids, year__in=years, household_id__in=chunk, member__isnull=True
        )
        present |= {("household", *row) for row in rows.values_list("program_id", "year", "household_id")}
    return present


def _present_keys_joined(wanted: set[tuple], **by_kind: list[tuple]) -> set[tuple]:
    """PostgreSQL: the keys joined to the enrollments through the uniqueness indexes, one query per
    kind of key; only the keys that are present come back (a batch of tens of thousands of
    enrollments for households that already hold others in the year reads just those).
    ``by_kind``: the ``(program, year, member or household)`` of each kind given apart instead."""
    present = set()
    table = Enrollment._meta.db_table
    for kind, column, condition in (("person", "member_id", "IS NOT NULL"), ("household", "household_id", "IS NULL")):
        if kind in by_kind:
            keys = by_kind[kind]
        else:
            keys = [key[1:] for key in wanted if key[0] == kind and None not in key]
        if not keys:
            continue
        programs, years, owners = zip(*keys)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT e.program_id, e.year, e.{column} FROM {table} e "
                f"JOIN unnest(%s::bigint[], %s::int[], %s::bigint[]) AS k(program_id, year, owner) "
                f"ON e.program_id = k.program_id AND e.year = k.year AND e.{column} = k.owner "
                f"WHERE e.member_id {condition}",
                [id_param(programs), id_param(years), id_param(owners)],
            )
            present |= {(kind, *row) for row in cursor.fetchall()}
    return present


def enrollment_refusals(keys: list[tuple], statuses: list[str] | None = None) -> dict[int, str]:
    """Enrollments given as ``(program, year, household, member)`` ids that break an enrollment's
    own rules (``Enrollment.clean``), by position, with the reason as the operator reads it: a
    person program without a member, a household program naming one, a member of another family,
    a year too far ahead (``programs.models.enrollment_year_problem``), a household record merged
    into another (``programs.models.merged_record_problem``), and (``statuses``, by position) a new
    proposal for a family or a person marked absent (``programs.models.absent_record_problem``,
    ``absent_member_problem``: aid a file says was received is still recorded)."""
    programs = {pk: (unit, name) for pk, unit, name in Program.objects.values_list("pk", "target_unit", "name")}
    elsewhere = _members_elsewhere({(member, household) for _, _, household, member in keys if member is not None})
    # The records merged into another: a handful in the registry, read whole by their own index.
    merged = dict(Household.objects.filter(merged_into__isnull=False).values_list("pk", "merged_into_id"))
    proposed = {index for index, status in enumerate(statuses or ()) if status == EnrollmentStatus.PROPOSED}
    absent = set(Household.objects.filter(
        pk__in={keys[index][2] for index in proposed}, is_absent=True).values_list("pk", flat=True)) if proposed else set()
    proposed_members = {keys[index][3] for index in proposed} - {None}
    absent_members = set(Member.objects.filter(
        pk__in=proposed_members, is_absent=True).values_list("pk", flat=True)) if proposed_members else set()
    latest = latest_enrollment_year()
    refused = {}
    for index, (program_id, year, household_id, member_id) in enumerate(keys):
        unit, name = programs.get(program_id, (None, ""))
        ahead = year is not None and year > latest
        new_for_absent = household_id in absent and index in proposed
        if unit == TargetUnit.HOUSEHOLD and member_id is None and not ahead and household_id not in merged and not new_for_absent:
            continue  # the common case, first
        new_for_absent_member = member_id in absent_members and index in proposed
        values = {"program": name, "year": year, "household": household_id}
        if unit is None:
            reason = _("Program tidak ditemukan di registri.")
        elif household_id in merged:
            reason = merged_record_problem(household_id, merged[household_id])
        elif new_for_absent:
            reason = absent_record_problem(household_id)
        elif ahead:
            reason = enrollment_year_problem(year)
        elif unit == TargetUnit.PERSON and member_id is None:
            reason = _("Program perorangan: pilih anggota keluarga penerima.")
        elif unit == TargetUnit.HOUSEHOLD and member_id is not None:
            reason = _("Program keluarga: penerima adalah keluarga, kosongkan anggota.")
        elif member_id is not None and (member_id, household_id) in elsewhere:
            reason = _("Anggota ini bukan anggota keluarga yang dipilih.")
        elif new_for_absent_member:
            reason = absent_member_problem(member_id)
        else:
            continue
        refused[index] = _("%(program)s %(year)s untuk keluarga #%(household)s tidak dicatat: %(reason)s") % {
            **values, "reason": reason,
        }
    return refused


def _members_elsewhere(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Those of the ``(member, household)`` pairs whose member is not (or no more) in that
    household. PostgreSQL answers with the few that are not in one statement; elsewhere every
    member's household is read."""
    if not pairs:
        return set()
    if connection.vendor == "postgresql":
        members, households = zip(*pairs)
        with connection.cursor() as cursor:
            # Each member looked up by its id (``LATERAL ... OFFSET 0``): a join the planner is free
            # to turn into a pass over every member of the registry, once per chunk of an import.
            cursor.execute(
                f"SELECT k.member, k.household FROM unnest(%s::bigint[], %s::bigint[]) AS k(member, household) "
                f"LEFT JOIN LATERAL (SELECT m.household_id FROM {Member._meta.db_table} m WHERE m.id = k.member "
                f"OFFSET 0) m ON true WHERE m.household_id IS DISTINCT FROM k.household",
                [pg_array(members, numbers=True), pg_array(households, numbers=True)],
            )
            return set(cursor.fetchall())
    member_households = {}
    for chunk in chunks({member for member, _ in pairs}):
        member_households.update(Member.objects.filter(pk__in=chunk).values_list("pk", "household_id"))
    return {(member, household) for member, household in pairs if member_households.get(member) != household}


# --- A list's stage (TAHAP), one whatever its spelling.

# A stage's number in words, as some lists write it (``Tahap Satu``, ``Tahap Kedua``).
_STAGE_WORDS = {
    "satu": 1, "kesatu": 1, "pertama": 1, "dua": 2, "kedua": 2, "tiga": 3, "ketiga": 3, "empat": 4, "keempat": 4,
    "lima": 5, "kelima": 5, "enam": 6, "keenam": 6,
}
# A stage's number after its word, the payment named before it or not: ``TAHAP 2 2024``, ``Tahap II``,
# ``Thp. 2``, ``TAHAP KE-2 TAHUN 2024``, ``Penyaluran Tahap 1``, ``Tahap Kedua``.
_STAGE_WORD = re.compile(
    r"^(?:(?:penyaluran|pencairan|pembayaran|salur)\s+)?(?:tahapan|tahap|thp)(?![a-z])\.?\s*(?:ke(?![a-z]))?[\s.:-]*"
    r"(\d{1,2}|[ivx]{1,4}|" + "|".join(sorted(_STAGE_WORDS, key=len, reverse=True)) + r")(?![0-9a-z])(.*)$"
)
# A TAHAP cell that holds the number alone, a year beside it at most: ``2``, ``II``, ``2/2024``.
_STAGE_BARE = re.compile(r"^(\d{1,2}|[ivx]{1,4})(?![0-9a-z])[\s/.,:-]*(?:(?:tahun|th)\.?\s*)?((?<!\d)20\d{2})?[\s.]*$")
# A year in a text, not digits of a longer number (a code, a NIK).
YEAR_IN_TEXT = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10, "xi": 11, "xii": 12}


def stage_number(label: str, *, bare: bool = True) -> tuple[int, int | None] | None:
    """``(number, year or None)`` of a stage as lists write it (arabic, roman or in words, after
    TAHAP/Thp and the payment's word at most, or alone in a TAHAP cell when ``bare``), None for a
    label without a stage number (``Januari 2024``, ``Triwulan I``, ``PORTAL 20/05/2024``)."""
    value = " ".join(str(label).split()).lower()
    found = _STAGE_WORD.match(value)
    if found:
        number, rest = found.groups()
        year = YEAR_IN_TEXT.search(rest)
        year = year.group(1) if year else None
    elif bare and (found := _STAGE_BARE.match(value)):
        number, year = found.groups()
    else:
        return None
    number = int(number) if number.isdigit() else _ROMAN.get(number) or _STAGE_WORDS.get(number)
    if not number:
        return None
    return number, int(year) if year else None


def stage_label(label: str, year: int | None) -> str:
    """A stage as an enrollment keeps it, and as stages are compared: a numbered stage as
    ``TAHAP 2 2024`` (its year from the label, else ``year``: the row's TAHUN, else the list's),
    any other label as its text in capitals, spacing collapsed (``BULAN JANUARI 2024``); "" for none."""
    numbered = stage_number(label)
    if numbered is None:
        return " ".join(str(label).split()).upper()
    number, own = numbered
    return " ".join(str(part) for part in ("TAHAP", number, own or year) if part)


# --- What a recipient list says of enrollments the registry already holds.

# How a recipient list's distribution status starts an enrollment's reason ("Status penyaluran:
# GAGAL SALUR; rekening dibekukan"): a suspension that a list set, which a later list may lift.
DISTRIBUTION_NOTE = "Status penyaluran"
# Statuses a list does not change: the enrollment ended (by a decision, the agency or a field check).
ENDED_STATUSES = (EnrollmentStatus.COMPLETED, EnrollmentStatus.CANCELLED, EnrollmentStatus.REJECTED)


@dataclass(slots=True)
class StatedChange:
    """What a list's claim changes on an enrollment the registry holds: ``fields`` to set (empty
    when the row says what is stored), ``before`` their stored values, and ``held``, why the change
    is not applied (the enrollment ended, or a field check suspended it), else ""."""

    key: EnrollmentKey
    enrollment: Enrollment
    fields: dict
    before: dict
    held: str = ""
    returned: tuple[str, ...] = ()  # the counted stages the list says came back, taken off
    # The counted stages the list restates with other amounts than the stored total, what the
    # list's amounts for them come to (``_restated_total``) and the total stored before.
    corrected: tuple[str, ...] = ()
    restated: int | None = None
    recorded: int | None = None

    def describe(self) -> str:
        """The change as the preview lists it: "PKH 2024, LA ODE BAHARI: status Aktif → Ditangguhkan; nilai ..."."""
        labels = dict(EnrollmentStatus.choices)
        parts = []
        if "status" in self.fields:
            parts.append(_("status dari %(from)s menjadi %(to)s") % {
                "from": labels[self.before["status"]], "to": labels[self.fields["status"]]})
        if "amount" in self.fields:
            parts.append(_("nilai dari %(from)s menjadi %(to)s") % {
                "from": _amount(self.before["amount"]), "to": _amount(self.fields["amount"])})
        if "delivered_on" in self.fields:
            parts.append(_("tanggal penyaluran %(date)s") % {"date": self.fields["delivered_on"].strftime("%d/%m/%Y")})
        if self.corrected:
            parts.append(_("nilai tahap %(stages)s diperbaiki daftar ini (tercatat %(from)s, di daftar %(to)s)") % {
                "stages": ", ".join(self.corrected), "from": _amount(self.recorded), "to": _amount(self.restated)})
        if self.returned:
            parts.append(_("tahap %(stages)s diretur, dikeluarkan dari nilai dan tahap tersalur") % {
                "stages": ", ".join(self.returned)})
        if "status_reason" in self.fields and self.fields["status_reason"]:
            parts.append(_("alasan: %(reason)s") % {"reason": self.fields["status_reason"][:100]})
        enrollment = self.enrollment
        name = enrollment.member.name if enrollment.member_id else enrollment.household.head_name
        return f"{enrollment.program.name} {enrollment.year}, {name}: {'; '.join(parts)}"


def _amount(value: int | None) -> str:
    return rupiah(value) if value is not None else _("tanpa nilai")


def stated_changes(claims: list[AidClaim], *, for_update: bool = False) -> list[StatedChange]:
    """What each claim (a recipient list's, naming its program and year) says of an enrollment the
    registry already holds, one per enrollment that the row would change (a row that says what is
    stored changes nothing). ``for_update``: the enrollments are read under a row lock (the write).

    A list states the payment of a stage (TAHAP): its status and reason replace the stored ones;
    the amounts of the paid stages not yet counted (``Enrollment.stages``, compared by
    :func:`stage_label`: ``Tahap II`` of 2024 is ``TAHAP 2 2024``) are added to what was
    delivered (``Enrollment.has_deliveries``; else they replace a planned value), a failed payment
    (RETUR, GAGAL SALUR) adds none, and one of a stage already counted takes that stage and the row's
    amount off (held when the row gives no amount); a row without a stage states the amount itself (a planned one,
    not paid yet, only while nothing was delivered). A list that restates every counted stage (none
    the portal's) with amounts that come to another total corrects it (a list sent again with a
    stage's amount corrected), said in ``corrected``; the enrollment keeps no amount per stage, so
    a list naming only some of them leaves the total. An enrollment
    that ended (completed, cancelled, rejected), or that a field check suspended, is not changed by
    a list, nor one whose new value would pass ``AMOUNT_MAX``, nor one whose new stage comes after
    deliveries the portal recorded since the list's last stage (it may be the same payment): the
    change is ``held``, with the reason."""
    claimed = claim_enrollments(claims, year=None)
    owners: dict[tuple, EnrollmentKey] = {key_unique(*key): key for key in claimed}
    if not owners:
        return []
    found = Enrollment.objects.select_related("program", "household", "member")
    if for_update:
        found = found.select_for_update(of=("self",))
    changes = []
    for chunk in chunks(owners, 2000):
        wanted = [owners[unique] for unique in chunk]
        rows = found.filter(
            Q(household_id__in={k[2] for k in wanted}) | Q(member_id__in={k[3] for k in wanted if k[3] is not None}),
            program_id__in={k[0] for k in wanted}, year__in={k[1] for k in wanted},
        )
        for enrollment in rows:
            key = owners.get(unique_key(enrollment))
            if key is None:
                continue
            change = _stated_change(key, enrollment, claimed[key])
            if change is not None:
                changes.append(change)
    return sorted(changes, key=lambda change: change.enrollment.pk)


def _restated_total(counted: list[str], claim: AidClaim, year: int) -> int | None:
    """What the claim's amounts for an enrollment's ``counted`` stages come to, when it restates
    every one of them with an amount and none is a delivery the portal recorded; else None: the
    enrollment keeps its total, not each stage's amount, so a list naming only some of its stages
    cannot say whether their amounts changed."""
    if not counted or any(stage.startswith(PORTAL_STAGE) for stage in counted):
        return None
    listed = {stage_label(stage, year): amount for stage, amount in zip(claim.stages, claim.stage_amounts)}
    amounts = [listed.get(stage_label(stage, year)) for stage in counted]
    return None if None in amounts else sum(amounts)


def _stated_change(key: EnrollmentKey, enrollment: Enrollment, claim: AidClaim) -> StatedChange | None:
    stored = {name: getattr(enrollment, name) for name in ("status", "amount", "delivered_on", "status_reason", "stages")}
    wanted = {"status": claim.status}
    counted = enrollment.counted_stages()
    amounts = dict(zip(claim.stages, claim.stage_amounts))
    # Stages stored in another spelling (``2`` beside a TAHUN column, ``Tahap II``) are the same stage.
    counted_keys = {stage_label(stage, enrollment.year) for stage in counted}
    new_stages = [stage for stage in claim.stages if stage_label(stage, enrollment.year) not in counted_keys]
    # A counted stage the list says came back (paid in an earlier list, RETUR in this one).
    returned = {stage_label(stage, enrollment.year): amount for stage, amount in zip(claim.returned, claim.returned_amounts)}
    returned = {stage: amount for stage, amount in returned.items() if stage in counted_keys}
    kept = [stage for stage in counted if stage_label(stage, enrollment.year) not in returned]
    # The list's amounts of the stages already counted, when it restates them all: a corrected one
    # (TAHAP 2 sent again at Rp 900.000 instead of Rp 750.000) changes the total.
    restated = _restated_total(counted, claim, enrollment.year)
    corrected = restated is not None and restated != stored["amount"]
    added_stages = []
    failed = claim.status == EnrollmentStatus.SUSPENDED
    if claim.amount is not None and not failed:
        if not claim.stages:
            if not (claim.planned and enrollment.has_deliveries):
                wanted["amount"] = claim.amount
        elif new_stages or corrected:
            added = sum(amounts.get(stage) or 0 for stage in new_stages)
            delivered = restated if corrected else (stored["amount"] or 0) if enrollment.has_deliveries else 0
            wanted["amount"] = added + delivered
            if new_stages:
                added_stages = new_stages
                wanted["stages"] = STAGE_SEPARATOR.join(counted + new_stages)
    if returned:
        taken = sum(amount or 0 for amount in returned.values())
        wanted["amount"] = max(0, (wanted.get("amount", stored["amount"]) or 0) - taken)
        wanted["stages"] = STAGE_SEPARATOR.join(kept + added_stages)
    if claim.delivered_on is not None and not failed:
        wanted["delivered_on"] = max(claim.delivered_on, stored["delivered_on"] or claim.delivered_on)
    if claim.status != stored["status"] or claim.note:
        wanted["status_reason"] = claim.note
    fields = {name: value for name, value in wanted.items() if value != stored[name]}
    if not fields:
        return None
    change = StatedChange(
        key=key, enrollment=enrollment, fields=fields, before={name: stored[name] for name in fields}, returned=tuple(returned),
        corrected=tuple(counted) if corrected and not failed else (), restated=restated, recorded=stored["amount"],
    )
    labels = dict(EnrollmentStatus.choices)
    if stored["status"] in ENDED_STATUSES:
        change.held = _(
            "kepesertaan ini berstatus %(status)s; daftar penerima tidak mengubahnya. Bila bantuan memang masih "
            "disalurkan, ubah statusnya di Admin, Kepesertaan"
        ) % {"status": labels[stored["status"]]}
    elif (stored["status"] == EnrollmentStatus.SUSPENDED and claim.status != EnrollmentStatus.SUSPENDED
          and not stored["status_reason"].startswith(DISTRIBUTION_NOTE)):
        change.held = _(
            "kepesertaan ini ditangguhkan (%(reason)s); daftar penerima tidak mencabut penangguhan. Bila sudah "
            "diputuskan lain, ubah statusnya di Admin, Kepesertaan"
        ) % {"reason": stored["status_reason"][:100] or labels[stored["status"]]}
    elif problem := amount_problem(fields.get("amount")):
        change.held = problem
    elif None in returned.values():
        change.held = _(
            "nominal tahap %(stages)s yang diretur tidak ada di daftar; nilai tersalur tidak dapat dikurangi. Isi "
            "NOMINAL baris itu, atau ubah nilainya di Admin, Kepesertaan"
        ) % {"stages": ", ".join(stage for stage, amount in returned.items() if amount is None)}
    elif added_stages and stored["delivered_on"] is not None and (
        not counted or counted[-1].startswith(PORTAL_STAGE)
    ):
        change.held = _(
            "sejak tahap terakhir dari daftar penerima, penyaluran dicatat lewat portal (total %(total)s, "
            "terakhir %(date)s); tahap %(stages)s tidak ditambahkan agar pembayaran yang sama tidak terhitung dua "
            "kali. Bila tahap ini belum dicatat di portal, catat penyalurannya di portal"
        ) % {"total": _amount(stored["amount"]), "date": stored["delivered_on"].strftime("%d/%m/%Y"),
             "stages": ", ".join(new_stages)}
    return change
