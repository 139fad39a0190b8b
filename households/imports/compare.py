"""Compare a parsed extract with the registry by natural keys: the ``ExtractPlan``, nothing written.

``make_plan`` reads the registry in a few queries (no per-row query) and works out, for households
and members, what to create, update, leave unchanged and mark absent. Four rules protect the
registry:
- a blank cell never wipes a stored value;
- a value corrected locally is kept: each record remembers what the source last said
  (``source_values``, see ``snapshot``); a stored value that differs from it was edited here and
  wins over the new extract (the operator gets a warning naming both values); but a desil typed
  by hand, dated the day it was typed, gives way to a ranking made after it (``_weigh_hand_desil``);
- nothing is deleted: a household (or member) missing from a full extract is marked ``is_absent``,
  unless the registry holds the household from data newer than the file's, by data year or, in the same
  year, by desil ranking (``_held_newer``);
- a row older than its family's stored data (``NEWER_FAMILY``) only fills what the registry leaves blank.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections import Counter
from collections.abc import Callable, Collection

from django.db.models import Count, Min, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.text import capfirst

from households.identifiers import mask
from households.models import (
    LIVING_CONDITION_FIELDS, DataSource, Desa, Household, Kabupaten, Member, Relation, kept_households,
)
from konut_registry.chunks import chunked

from . import attach
from .aids import FirstClaims, aid_dropped, aid_planned, member_claim
from .common import HOUSEHOLD_FIELDS, MEMBER_FIELDS, Extract, HouseholdRecord, more_than_one_head
from .issues import row_place
from .plan import Change, ExtractPlan, MemberDecisions, NewFamily
from .rowhash import KnownRows
from .snapshot import canonical, merged_sources

# The registry is read this many records at a time: only the stored rows of the records being
# compared are held, whatever the size of the file or of the registry.
CHUNK = 1000
# The kinds of extract whose unchanged member rows are skipped (P3KE, and DTKS/DTSEN with their families).
SKIPPED_BY_ROW_HASH = ("p3ke", "dtks", "dtsen")
# The JSON fields are read as text and decoded only for a record the file changes (most are equal).
_JSON_FIELDS = (Cast("raw_values", TextField()), Cast("source_values", TextField()))


def _decoded(value) -> dict:
    if not value or value == "{}":
        return {}
    return json.loads(value) if isinstance(value, str) else value


def _diff(*, current: dict, cur_raw: dict, values, raw: dict, is_absent: bool) -> tuple[list[str], bool]:
    """Fields whose incoming non-blank value differs from the stored one; whether raw values differ."""
    # Equal values are equal in canonical form too: compare plainly first (most fields, most rows).
    candidates = [
        name for name, value in values.items()
        if value != (stored := current.get(name)) and canonical(value) != canonical(stored)
    ]
    raw_changed = False
    if raw or (cur_raw and any(k in cur_raw for k in values)):
        merged = {**cur_raw, **raw}
        for name in values:
            merged.pop(name, None)
        raw_changed = merged != cur_raw
    return candidates, raw_changed or is_absent


# Not operator corrections: the data year and a member's family always follow the source.
_ALWAYS_TAKEN = frozenset({"source_year", "household_id"})
_MISSING = object()


# An absent record listed by a file older than the registry's data: the newer data's mark stays.
KEPT_ABSENT = "Tidak ada di data terbaru registri; berkas ini lebih lama, jadi tetap ditandai tidak ada"


def _resolve(record, current: dict, log_warning: Callable[[object, str, str], None], model, *, older: bool = False,
             deceased: DeathWarnings | None = None, kind: str = ""):
    """Three-way merge of one stored record (``current``: its fields, ``raw_values``, ``is_absent``
    and ``source_values``) with the record read from the file: keep local corrections; the
    ``Change``, or None when nothing would change. The write works out the new snapshot and raw
    values again from the record as it is then (``snapshot.merged_sources``). A family's ranking
    and its living conditions are each one unit (``_UNITS``): a local correction of one of its values
    that the file says otherwise keeps the whole unit as it is, with the source and date it had;
    otherwise the file's values are taken with its source and date (``kind``: the file's source).
    A record marked absent
    comes back unless the file is ``older`` than the registry's data (``ExtractPlan.older_than_registry``),
    or it is a member recorded dead (``is_deceased``: a verval approval found it), whatever the file
    says: ``deceased`` warns of it."""
    values = record.values
    cur_raw = _decoded(current["raw_values"])
    candidates, other = _diff(current=current, cur_raw=cur_raw, values=values, raw=record.raw, is_absent=current["is_absent"])
    if not candidates and not other:
        return None
    if current.get("newer"):
        return _fill_blanks(record, current, candidates)
    snapshot = _decoded(current["source_values"])
    to_set, kept = {}, []
    ranked = values.get("desil") is not None  # the row's ranking: taken or kept whole, by its desil
    for name in candidates:
        value = values[name]
        stored = current.get(name)
        if ranked and name in _RANKED_WITH_DESIL:
            continue
        if name in _ALWAYS_TAKEN or not _corrected(name, stored, snapshot):
            to_set[name] = value
        else:
            kept.append(name)
            if snapshot.get(name) != canonical(value):
                field = model._meta.get_field(name.removesuffix("_id"))
                log_warning(
                    record, capfirst(str(field.verbose_name)),
                    f"Koreksi lokal dipertahankan: registri '{_show(field, stored)}', data baru '{_show(field, value)}'",
                )
    if model is Household:
        if left := _keep_or_take_units(record, current, snapshot, to_set, kept, log_warning, kind):
            # Left for the correction they go with, not as corrections of their own: the snapshot keeps
            # what the source said of them before, so a later file that agrees with the correction gives them.
            record.values = {name: value for name, value in values.items() if name not in left}
            values = record.values
        if ranked and not any(name in kept or name in left for name in _RANKING_VALUES):
            # The ranking taken, or the same as the row's: its source and date are the row's. A
            # ranking kept as a local correction keeps its own (the registry would credit the file with it).
            to_set.update((name, values[name]) for name in _RANKED_WITH_DESIL if name in candidates)
    new_snapshot, raw = merged_sources(values, record.raw, snapshot, cur_raw)
    revive = current.get("is_absent", False)
    if revive and older:
        log_warning(record, "", KEPT_ABSENT)
        revive = False
    if revive and current.get("is_deceased"):
        # A member an approved verval found dead: the aid of their own is not to be claimed again.
        deceased.warn(record, current["pk"])
        revive = False
    if to_set or new_snapshot != snapshot or raw != cur_raw or revive:
        if revive:
            to_set["is_absent"] = False
            if model is Household:  # the data holds it again: no longer absent for a verval's reason
                to_set["absent_reason"] = ""
        return Change(current["pk"], to_set, record)
    return None


DECEASED = "Tercatat meninggal menurut verval yang disahkan pada {day}; tidak diaktifkan kembali"


class DeathWarnings:
    """The warnings of the rows of absent members recorded dead (``Member.is_deceased``: a verval
    approval) that stay absent: each names the day the death was recorded, as the member's history
    has it. The warning takes its place among the row's others at once; the days are read for all
    the rows warned so far in one query (:meth:`fill`)."""

    def __init__(self, issues) -> None:
        self.issues = issues
        self.waiting: list[tuple[int, int]] = []  # (the warning's place, the member)

    def warn(self, record, member_id: int) -> None:
        self.waiting.append((len(self.issues.warnings), member_id))
        self.issues.warning(record.sheet, record.row, "", DECEASED.format(day="-"))

    def fill(self) -> None:
        if not self.waiting:
            return
        days = dict(
            Member.history.filter(id__in={pk for _at, pk in self.waiting}, is_deceased=True)
            .order_by().values_list("id").annotate(on=Min("history_date"))
        )
        warnings = self.issues.warnings
        for at, pk in self.waiting:
            if days.get(pk):
                day = timezone.localtime(days[pk]).strftime("%d/%m/%Y")
                warnings[at] = dataclasses.replace(warnings[at], reason=DECEASED.format(day=day))
        self.waiting = []


def _corrected(name: str, stored, snapshot: dict) -> bool:
    """Whether the stored value of ``name`` is a local correction: not what the source last said."""
    return canonical(stored) is not None and snapshot.get(name, _MISSING) != canonical(stored)


def _fill_blanks(record, current: dict, candidates: list[str]):
    """A row of a family whose stored data is newer than the row (``NEWER_FAMILY``): the fields the
    registry holds no value of are filled from it, as no newer value is lost (a field only the
    older source gives, or one a newer file left blank); nothing else is taken (not its data year,
    nor a move to another family, nor an absent record brought back), and only what it fills goes
    into the stored snapshot (``Change.filled_only``). A desil it fills comes with its source and
    date (``_RANKING``). None when it fills nothing."""
    to_set = {
        name: record.values[name] for name in candidates
        if name not in _ALWAYS_TAKEN and canonical(current.get(name)) is None
    }
    if "desil" in to_set:
        # A ranking is filled whole: the source and date of a desil cleared by hand are not the row's.
        # A row without a persentil (DTSEN, DTKS) leaves the stored one: its source says nothing of it.
        to_set.update((name, record.values.get(name)) for name in _RANKING if name in record.values or name in _RANKED_WITH_DESIL)
    return Change(current["pk"], to_set, record, filled_only=True) if to_set else None


# A row of a family whose stored data year is later than the row's: what it may still fill (``_fill_blanks``).
NEWER_FAMILY = "Data keluarga ini di registri lebih baru (tahun {stored}) dari berkas ini (tahun {year}); tidak diubah"
NEWER_FAMILY_FILLED = "; hanya kolom yang kosong di registri diisi: {fields}"


def _newer_year(record, current: dict, year: int | None, this_year: int) -> int | None:
    """The stored family's data year when it is later than the row's (``year``: the file's, for a
    row without its own) and not after ``this_year`` (a year typed wrong is no newer data); else None."""
    stored, given = current.get("source_year"), record.get("source_year", year)
    if stored is not None and given is not None and given < stored <= this_year:
        return stored
    return None


# A family's ranking: its desil, where it came from, the date of the ranking (DTSEN re-ranks every
# quarter) and the percentile (``dedup.membership.RANKING``): a row's ranking is taken or left whole.
_RANKING = ("desil", "desil_source", "desil_date", "persentil")
# What goes with a row's desil (``_resolve``): never taken on its own, nor a local correction of its own.
_RANKED_WITH_DESIL = ("desil_source", "desil_date")
# The values of a family's ranking: a local correction of either keeps both (``_keep_or_take_units``).
_RANKING_VALUES = ("desil", "persentil")
# A family's values that are kept or taken together, each with what they are (the warning names it).
_UNITS = (
    (_RANKING_VALUES, "peringkat (desil dan persentil)"),
    (LIVING_CONDITION_FIELDS, "kondisi tempat tinggal"),
)


def _keep_or_take_units(
    record, current: dict, snapshot: dict, to_set: dict, kept: list[str], log_warning, kind: str,
) -> set[str]:
    """Take or keep each of ``_UNITS`` whole. A unit one of whose values stays a local correction
    (``kept``: the row says otherwise; or the row says nothing of it: a verval visit's, a hand edit)
    takes none of the row's values: the family is not ranked, or its house described, half by the
    correction and half by the file, and the correction keeps its source and date; each value left
    says so. Living conditions the row changes otherwise are the file's: a source and date of the
    conditions (a verval visit's) give way to the file's (``kind``, and the row's ranking date, the
    one date a row has). Returns the names of the values left only for the correction they go with."""
    left = set()
    for names, what in _UNITS:
        corrected = [
            name for name in names
            if name in kept or (name not in record.values and _corrected(name, current.get(name), snapshot))
        ]
        if corrected:
            labels = ", ".join(_household_label(name) for name in corrected)
            for name in names:
                if name in to_set:
                    value = to_set.pop(name)
                    left.add(name)
                    field = Household._meta.get_field(name)
                    log_warning(
                        record, capfirst(str(field.verbose_name)),
                        f"Tidak diubah: {what} dipertahankan bersama koreksi lokal ({labels}); "
                        f"registri '{_show(field, current.get(name))}', data baru '{_show(field, value)}'",
                    )
        elif names is LIVING_CONDITION_FIELDS and current.get("conditions_source") and any(name in to_set for name in names):
            to_set["conditions_source"], to_set["conditions_date"] = kind, record.get("desil_date")
    return left


def _keep_newer_ranking(
    record, current: dict, log_warning: Callable[[object, str, str], None], year: int | None, today: datetime.date,
    typed_by: str | None = None,
) -> None:
    """A row ranked before the stored desil (Triwulan I imported again after Triwulan II) leaves the
    ranking as it is: its desil, source and date are not taken, and the row says so. The rest of the
    row is compared as usual, as a file of an older data year's is (only the ranking is dated).
    An undated row (P3KE's desil has no date, nor has every DTSEN file) is as old as its data year:
    it leaves a ranking dated in a later year as it is (``year``: the file's, for a row without its
    own). Otherwise its desil is a ranking of its own: another desil than the stored one is taken
    without the stored date (that date was the old ranking's, the new desil would pass for it),
    the same desil leaves the dated ranking as it is. A stored date after ``today`` (a typo that
    came in before the import refused it) is no ranking a file can be older than: the row's is taken.
    A desil typed by hand is weighed against the row's as ``_weigh_hand_desil`` says (``typed_by``:
    who typed it, if the history knows)."""
    given, stored = record.get("desil_date"), current.get("desil_date")
    if record.get("desil") is not None and current.get("desil_source") == DataSource.MANUAL:
        _weigh_hand_desil(record, current, log_warning, record.get("source_year", year), typed_by)
        return
    if stored is None or record.get("desil") is None:
        return
    if stored > today:
        log_warning(record, _household_label("desil_date"), f"Tanggal desil tersimpan ({stored:%d/%m/%Y}) belum tiba; dipakai peringkat di berkas")
        # Not a local correction to keep either (entered by hand): compared as the source's.
        current["source_values"] = {**_decoded(current["source_values"]), "desil_date": canonical(stored)}
        if given is None:
            record.set("desil_date", None)
        return
    if given is not None:
        if given >= stored:
            return
        column, message = "desil_date", f"Peringkat desil di berkas ({given:%d/%m/%Y}) lebih lama dari yang tersimpan ({stored:%d/%m/%Y})"
    else:
        year = record.get("source_year", year)
        if year is None or year >= stored.year:
            if record.get("desil") == current.get("desil"):
                _drop_ranking(record)
            else:
                record.set("desil_date", None)
            return
        column, message = "desil", f"Desil di berkas (data tahun {year}) lebih lama dari peringkat tersimpan ({stored:%d/%m/%Y})"
    _drop_ranking(record)
    log_warning(record, _household_label(column), f"{message}; desil tidak diubah")


def _weigh_hand_desil(record, current: dict, log_warning, year: int | None, typed_by: str | None) -> None:
    """A row's desil against the one typed by hand on the family's page (source ``Input manual``,
    dated the day it was typed, or the day it was cleared). A desil cleared by hand is no ranking:
    the row's fills it. A row ranked after the day it was typed replaces it (the national ranking
    came later), and so does an undated row (P3KE, an undated DTSEN file) of a later data year than
    that day's; any other row leaves it, as nothing shows its desil is the newer (the same desil
    says nothing). Either way the row says what became of the hand desil, who typed it and when.
    What is taken is taken whole (desil, source, date: an undated desil without the typing's date),
    whatever the source said before the hand entry (it is no local correction any more)."""
    given, typed, stored = record.get("desil_date"), current.get("desil_date"), current.get("desil")
    if given is not None:
        newer = typed is None or given > typed
        theirs = f"peringkat di berkas ({given:%d/%m/%Y}, desil {record.get('desil')})"
    else:
        newer = year is not None and (typed is None or year > typed.year)
        theirs = f"desil di berkas ({record.get('desil')}, data tahun {year}, tanpa tanggal peringkat)"
    hand = f"manual oleh {typed_by}" if typed_by else "manual"
    if typed is not None:
        hand += f" pada {typed:%d/%m/%Y}"
    label = _household_label("desil")
    if stored is None:
        message = f"Desil dikosongkan {hand}; diisi dengan {theirs}"
    elif newer:
        message = f"Desil {stored} yang diketik {hand} diganti dengan {theirs}"
    else:
        same = record.get("desil") == stored
        _drop_ranking(record)
        if not same:
            log_warning(record, label, f"Desil tersimpan ({stored}) diketik {hand}; {theirs} tidak lebih baru; desil tidak diubah")
        return
    if given is None:
        record.set("desil_date", None)
    # Taken as the source's: the hand entry is no local correction to keep.
    current["source_values"] = {**_decoded(current["source_values"]), **{name: canonical(current.get(name)) for name in _RANKING}}
    log_warning(record, label, message)


def _data_ranked(households):
    """Those of ``households`` whose desil date is a ranking of the data's: a desil typed by hand is
    dated the day it was typed, which says nothing of the data's rankings (``_weigh_hand_desil``)."""
    return households.exclude(desil_source=DataSource.MANUAL)


def _drop_ranking(record) -> None:
    """The row's ranking (``_RANKING``) is not taken; the rest of the row is compared as usual."""
    record.values = {name: value for name, value in record.values.items() if name not in _RANKING}


def _household_label(column: str) -> str:
    return capfirst(str(Household._meta.get_field(column).verbose_name))


def _show(field, value) -> str:
    """A value as the operator knows it: a choice by its label (``Kayu/Sirap``, not ``kayu_sirap``)."""
    if field.choices and value in (choices := dict(field.flatchoices)):
        return str(choices[value])
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if value is True:
        return "Ya"
    if value is False:
        return "Tidak"
    return str(value)


# A family's regency, by its village.
_REGENCY = "desa__kecamatan__kabupaten_id"


def _stored_households(kind: str):
    queryset = Household.objects.filter(merged_into__isnull=True)
    return queryset.filter(p3ke_id__isnull=False) if kind == "p3ke" else queryset.exclude(no_kk="")


def known_rows(kind: str) -> KnownRows:
    """The registry's records an extract of ``kind`` is matched with, as a re-sync needs them
    (``rowhash.KnownRows``): one query per model, no stored fields. Absent members are left out
    (their row is compared, to revive them). The same pass over the households counts the families
    a full extract could mark absent (``KnownRows.markable``) and notes each family's regency
    (``_covered_regencies``)."""
    p3ke = kind == "p3ke"
    key_field = "p3ke_id" if p3ke else "no_kk"
    households: dict[str, tuple[int, bool, str, int | None, int]] = {}
    markable: dict[int, Counter] = {}
    rows = _stored_households(kind).order_by("pk").values_list(
        "pk", key_field, "is_absent", "source", "source_row_hash", "source_year", _REGENCY
    )
    for pk, key, is_absent, source, row_hash, year, regency in rows.iterator(5000):
        if not is_absent and (p3ke or source == kind):
            markable.setdefault(regency, Counter())[year] += 1
        if key in households and not p3ke:
            # Two records with one KK: the one from this kind of extract (else the oldest) is the match.
            if source != kind or households[key][2] == kind:
                continue
        households[key] = (pk, is_absent, source, row_hash, regency)
    merged = _merged_keys(kind, households)
    known = KnownRows(households, markable={regency: list(years.items()) for regency, years in markable.items()}, merged=merged)
    if kind in SKIPPED_BY_ROW_HASH:
        members, shadowed = known.members, known.shadowed
        rows = _present_members(kind).filter(source_row_hash__isnull=False)
        for row_hash, pk, household_id, relation, nik in rows.values_list(
            "source_row_hash", "pk", "household_id", "relation", "nik"
        ).iterator(5000):
            if row_hash in members:
                shadowed.append((pk, household_id))
            else:
                members[row_hash] = (pk, household_id, relation == Relation.HEAD, nik)
    return known


def _merged_keys(kind: str, households: dict) -> dict[str, int]:
    """The keys of records merged into another that no present record holds, each to the merged
    record's pk; ``households`` takes each as the family it was merged into (through later merges,
    the one kept last): its row is that family's, never a new one (the key is still taken, by the
    merged record, and the merge decided the family is the kept one). Without row hash, so that
    such a row is always read and warned about."""
    key_field = "p3ke_id" if kind == "p3ke" else "no_kk"
    records = Household.objects.filter(merged_into__isnull=False)
    records = records.filter(p3ke_id__isnull=False) if kind == "p3ke" else records.exclude(no_kk="")
    # Two merged records with one key: the newest (the last by pk) stands for it.
    found = {key: pk for pk, key in records.order_by("pk").values_list("pk", key_field) if key not in households}
    if not found:
        return {}
    kept = kept_households(found.values())
    rows = Household.objects.filter(pk__in=set(kept.values())).values_list("pk", "source", _REGENCY)
    families = {pk: (source, regency) for pk, source, regency in rows}
    for key, pk in found.items():
        source, regency = families[kept[pk]]
        households[key] = (kept[pk], False, source, None, regency)
    return found


def _of_regencies(markable: dict, regencies: Collection[int] | None) -> tuple[int, int | None]:
    """How many families of ``markable`` (``KnownRows.markable``) there are and the data year of their data
    (``registry_newest``); with ``regencies``, of the families of those regencies only."""
    years: Counter = Counter()
    for regency, counts in markable.items():
        if regencies is None or regency in regencies:
            for year, n in counts:
                years[year] += n
    return sum(years.values()), registry_newest(years.items(), timezone.localdate().year)


def _rankings(extract: Extract, regencies: Collection[int] | None) -> tuple[datetime.date | None, datetime.date | None]:
    """The newest desil ranking date of the file's families, and the ranking date of the registry's
    families of its kind (``registry_newest``; read only when the file has one: DTSEN); with
    ``regencies``, of the families of those regencies only."""
    if extract.kind == "p3ke":
        return None, None  # P3KE's desil has no date (and its records may be on disk)
    dates = [when for record in extract.households.values() if (when := record.get("desil_date"))]
    if not dates:
        return None, None
    stored = _data_ranked(_stored_households(extract.kind).filter(is_absent=False, source=extract.kind, desil_date__isnull=False))
    if regencies is not None:
        stored = stored.filter(desa__kecamatan__kabupaten_id__in=regencies)
    counts = stored.order_by().values_list("desil_date").annotate(n=Count("pk"))
    return max(dates), registry_newest(counts, timezone.localdate())


# The share of the registry's families whose data year (or ranking date) makes the registry's data
# that new (``registry_newest``): a kecamatan of a regency's, not one family nor one village.
REGISTRY_SHARE = 0.05


def registry_newest(counts, latest):
    """The data year (or desil ranking date) of the registry's data, which a file's is compared with
    (``ExtractPlan.older_than_registry``), from ``(value, families)`` pairs: the newest value that
    at least ``REGISTRY_SHARE`` of the families hold, or a newer one; a value after ``latest``
    (this year, today) is left out. Not the single newest: one family's value typed wrong (2052 for
    2025) or ranked ahead of all others would make every later file older than the registry, each
    asking for confirmation and none reviving a family the newer data lists again. A newer file of
    one kecamatan, imported on its own, is a share that counts."""
    counts = sorted(((value, n) for value, n in counts if value is not None and value <= latest), reverse=True)
    needed = REGISTRY_SHARE * sum(n for _value, n in counts)
    held = 0
    for value, n in counts:
        held += n
        if held >= needed:
            return value
    return None


def _stored_members_of(kind: str):
    """The members an extract of ``kind`` is matched with: those of ``_stored_households``."""
    queryset = Member.objects.filter(household__merged_into__isnull=True)
    return queryset.filter(household__p3ke_id__isnull=False) if kind == "p3ke" else queryset.exclude(household__no_kk="")


def _present_members(kind: str):
    """The members an extract of ``kind`` is matched with that are not marked absent."""
    return _stored_members_of(kind).filter(is_absent=False)


def _keep_hash(hashes: list, pk: int, stored_hash, record) -> None:
    """An unchanged record read from a row with another hash (stored before row hashes, or in another
    layout) keeps the new one: the next re-sync skips its row. Not a row older than its family's
    stored data (``NEWER_FAMILY``): the stored hash is the newer row's, whose file is then skipped,
    while the older row is read again and warned about, neither file changing anything."""
    if record.row_hash is not None and record.row_hash != stored_hash:
        hashes.append((pk, record.row_hash))


def _ranked_after(record, other) -> bool:
    """Whether ``record``'s ranking is dated after ``other``'s (an undated one is the oldest)."""
    return (record.get("desil_date") or datetime.date.min) > (other.get("desil_date") or datetime.date.min)


def _ranking_only(record) -> HouseholdRecord:
    """The ranking of ``record`` alone (``_RANKING``), as a row of its own: what
    the row of a record merged into another gives the family kept (the rest of the row stays)."""
    values = {name: value for name, value in record.values.items() if name in _RANKING}
    return HouseholdRecord(record.key, record.sheet, record.row, values, {}, None)


def _compare(matched, plan: ExtractPlan, stored_fields, names, warn, older: bool, stored: dict | None) -> None:
    """Compare each (pk, record) of ``matched`` with its stored family: an update, or unchanged
    (keeping the row's hash when ``stored`` gives the stored one)."""
    rows = {row[0]: row for row in Household.objects.filter(pk__in=[pk for pk, _ in matched]).values_list(*stored_fields)}
    today = timezone.localdate()
    year = plan.extract.data_year
    at = [names.index(name) for name in _RANKING]  # desil, desil_source, desil_date, persentil
    # Who typed a desil by hand is said only by a row with a desil of its own (``_weigh_hand_desil``).
    ranked = {pk for pk, record in matched if record.get("desil") is not None}
    typed_by = _typed_by({
        pk: ranking for pk, row in rows.items()
        if pk in ranked and (ranking := tuple(row[i] for i in at))[1] == DataSource.MANUAL
    })
    for pk, record in matched:
        current = dict(zip(names, rows[pk]))
        newer = _newer_year(record, current, year, today.year)
        if newer is not None:
            current["newer"] = True
            plan.households_newer[pk] = newer
        else:
            _keep_newer_ranking(record, current, warn, year, today, typed_by.get(pk))
        change = _resolve(record, current, warn, Household, older=older, kind=plan.extract.kind)
        if newer is not None:
            _warn_newer(record, change, newer, year, warn)
        if change is None:
            plan.households.unchanged += 1
            if stored is not None and newer is None:
                _keep_hash(plan.household_hashes, pk, stored[record.key][3], record)
        else:
            plan.household_changes.append(change)


def _typed_by(rankings: dict[int, tuple]) -> dict[int, str]:
    """Who typed by hand (``Input manual``) the desil of each family of ``rankings`` (its stored
    ``_RANKING``): the user of the history's change that gave the family that ranking, when the
    history knows (it ends with that ranking, and a user made the change)."""
    found: dict[int, str] = {}
    for chunk in chunked(list(rankings), CHUNK):
        rows = Household.history.filter(id__in=chunk).order_by("id", "history_id").values_list(
            "id", *_RANKING, "history_user__username"
        )
        last: dict[int, tuple] = {}
        by: dict[int, str | None] = {}
        for pk, *ranking, user in rows.iterator(5000):
            if last.get(pk) != tuple(ranking):  # the ranking changed here, by this change's user
                last[pk], by[pk] = tuple(ranking), user
        found.update((pk, user) for pk, user in by.items() if user and last[pk] == rankings[pk])
    return found


def _warn_newer(record, change: Change | None, newer: int, year: int | None, warn) -> None:
    """The one warning of a row of a family whose stored data is newer (``NEWER_FAMILY``)."""
    message = NEWER_FAMILY.format(stored=newer, year=record.get("source_year", year))
    if change is not None:
        labels = [_household_label(name) for name in change.fields]
        shown = ", ".join(labels[:_FILLED_SHOWN])
        if len(labels) > _FILLED_SHOWN:
            shown += f", … ({len(labels)} kolom)"
        message += NEWER_FAMILY_FILLED.format(fields=shown)
    warn(record, "", message)


# The filled fields a row's warning names at most.
_FILLED_SHOWN = 6


def _held_newer(pks: list[int], year: int | None, ranking: datetime.date | None) -> tuple[set[int], bool]:
    """The families of ``pks`` whose stored data year is later than the file's ``year`` (and not
    after this year, as ``_newer_year``), or of its year with a desil ranking dated after the file's
    newest (``ranking``, and not after today, as ``_keep_newer_ranking``: Triwulan I again after
    Triwulan II lacks a family only the newer quarter holds): a full extract that lacks them does
    not mark them absent, as newer data holds them. Also whether any was kept by its ranking."""
    if not pks or year is None:
        return set(), False
    today = timezone.localdate()
    newer: set[int] = set()
    by_ranking = False
    for chunk in chunked(pks, CHUNK):
        families = Household.objects.filter(pk__in=chunk)
        newer.update(families.filter(source_year__gt=year, source_year__lte=today.year).values_list("pk", flat=True))
        if ranking is not None:
            ranked = set(
                _data_ranked(families.filter(source_year=year, desil_date__gt=ranking, desil_date__lte=today))
                .values_list("pk", flat=True)
            )
            by_ranking = by_ranking or bool(ranked)
            newer.update(ranked)
    return newer, by_ranking


def _covered_regencies(plan: ExtractPlan, missing: list[int], stored: dict) -> tuple[set[int] | None, list[int]]:
    """The regencies the file covers: those its rows are in, by their villages, and those of its
    rows skipped as unchanged (None with one regency loaded); and the families of ``missing``
    (stored families a full extract lacks) in them. Extracts are handed out per kabupaten: one
    regency's file says nothing of the families of the others, which are left as they are, nor is
    it older than the registry's data for another regency's newer release (``_of_regencies``,
    ``_rankings``). With several regencies loaded, the plan notes the regencies covered and how
    many others are left (``regencies_covered``, ``regencies_left``: the import's page names them,
    of a partial file too), and a full extract's confirmation counts the covered regencies'
    families only; with one, ``missing`` as it is. The stored families' regencies are those read
    with their keys (``stored``, ``known_rows``)."""
    regencies = dict(Kabupaten.objects.order_by("code").values_list("pk", "name"))
    if len(regencies) < 2:
        return None, missing
    extract = plan.extract
    covered: set[int] = set()
    villages = sorted(pk for pk in extract.households.desa_ids() if pk is not None)
    for chunk in chunked(villages, CHUNK):
        covered.update(Desa.objects.filter(pk__in=chunk).values_list("kecamatan__kabupaten_id", flat=True).distinct())
    covered.update(stored[key][4] for key in extract.skipped_households)
    lacking = set(missing)
    regency_of = {row[0]: row[4] for row in stored.values() if row[0] in lacking} if lacking else {}
    plan.regencies_covered = [name for pk, name in regencies.items() if pk in covered]
    plan.regencies_left = len(regencies) - len(plan.regencies_covered)
    return covered, [pk for pk in missing if regency_of.get(pk) in covered]


def _recognised(plan: ExtractPlan, compared: list, stored: dict) -> list[tuple[int, HouseholdRecord]]:
    """The DTKS or DTSEN families to create that the registry holds without a No KK
    (``attach``), as ``(stored pk, record)``: taken from the households to create, noted on the plan."""
    extract = plan.extract
    if extract.kind == "p3ke":
        return []
    taken = {stored[record.key][0] for record in compared} | {row.pk for row in extract.skipped_households.values()}
    found = attach.recognised(extract, plan.household_creates, taken)
    if not found:
        return []
    plan.household_creates = [record for record in plan.household_creates if record.key not in found]
    plan.households_recognised = {pk: key for key, pk in found.items()}
    return [(found[record.key], record) for record in extract.households.values() if record.key in found]


def _missing(extract: Extract, stored: dict, merged: dict) -> list[int]:
    """The present stored families of the extract's kind a full extract lacks (``stored``: each
    key's record, ``known_rows``); a family listed under the key of a record merged into it is
    not lacking."""
    households, skipped, rejected = extract.households, extract.skipped_households, extract.rejected_households
    present = {stored[key][0] for key in merged if key in households or key in skipped or key in rejected}
    missing = []
    for key, (pk, current_is_absent, source, _hash, _regency) in stored.items():
        if key in households or key in skipped or key in rejected or current_is_absent or key in merged or pk in present:
            continue
        if extract.kind == "p3ke" or source == extract.kind:
            missing.append(pk)
    return missing


def make_plan(extract: Extract, *, full_extract: bool = True, known: KnownRows | None = None) -> ExtractPlan:
    """Compare ``extract`` with the registry; nothing is written. ``known``: the registry's records
    as read before parsing (``known_rows``), else read here. Rows the parser skipped as unchanged
    are counted unchanged and keep their records from being marked absent."""
    plan = ExtractPlan(extract=extract, full_extract=full_extract, member_claims=FirstClaims(extract.data_year))
    issues = extract.issues
    p3ke = extract.kind == "p3ke"
    key_field = "p3ke_id" if p3ke else "no_kk"

    # --- households: each stored key's record (pk, absent, source, row hash), then the stored fields chunk by chunk
    known = known or known_rows(extract.kind)
    stored = known.households
    stored_fields = (
        "pk", key_field, *[f for f in HOUSEHOLD_FIELDS if f != key_field], "conditions_source", *_JSON_FIELDS, "is_absent",
    )
    names = (*stored_fields[:-3], "raw_values", "source_values", "is_absent")
    warn = lambda r, c, m: issues.warning(r.sheet, r.row, c, m)  # noqa: E731
    key_ids = plan.household_ids
    skipped = extract.skipped_households
    for key, row in skipped.items():
        key_ids[key] = row.pk
    plan.households.unchanged = len(skipped)
    has_household_sheet = not p3ke or any(t.kind == "keluarga" for t in extract.tables)
    merged = known.merged
    missing = _missing(extract, stored, merged) if full_extract and has_household_sheet else []
    covered, missing = _covered_regencies(plan, missing, stored)
    # Before the comparison: a row ranked before its stored family keeps the stored ranking
    # (``_keep_newer_ranking``), and a file older than the registry's data revives no absent
    # record. The registry's data is that of the regencies the file covers (all, if none).
    scope = covered or None
    plan.ranking_date, plan.registry_ranking = _rankings(extract, scope)
    # As read with the stored keys, before any of this import's families was written (``write.HouseholdsAhead``).
    plan.current_households, plan.registry_year = _of_regencies(known.markable, scope)
    older = plan.older_than_registry
    # Those to create are chosen by key alone (a P3KE extract's, on disk, are not read back for
    # it); only the records of stored families are compared. A DTKS or DTSEN family to create that
    # the registry holds without a No KK (from P3KE) is that family, found by its head's NIK (``attach``).
    plan.household_creates, compared = extract.households.partition(stored)
    recognised = _recognised(plan, compared, stored)
    # The kept families the file lists under a key of their own: a row of a record merged into one
    # of them gives it nothing; one merged into a family not listed so gives it its newer ranking.
    listed = set()
    if merged:
        kept = Household.objects.filter(pk__in={stored[key][0] for key in merged}).values_list("pk", key_field)
        listed = {pk for pk, key in kept if (key in extract.households or key in skipped) and stored.get(key, (None,))[0] == pk}
    rankings: dict[int, object] = {}
    key_column = "ID Keluarga P3KE" if p3ke else "Nomor KK"
    for chunk in chunked(compared, CHUNK):
        matched = []
        for record in chunk:
            pk = key_ids[record.key] = stored[record.key][0]
            if record.key in merged:
                # A record merged into another: its row is the kept family's, whose own data stays
                # (but for a newer ranking, when the file lists the family under no key of its own).
                issues.warning(
                    record.sheet, record.row, key_column,
                    f"Keluarga {record.key} sudah digabung ke keluarga #{pk}: anggota dan bantuan di baris ini dicatat "
                    "pada keluarga itu; data keluarganya tidak diubah dari baris ini, kecuali peringkat desil yang lebih baru",
                )
                other = rankings.get(pk)
                if pk in listed or record.get("desil") is None or (other is not None and not _ranked_after(record, other)):
                    plan.households.unchanged += 1
                else:
                    plan.households.unchanged += other is not None  # the row whose ranking it replaces
                    rankings[pk] = _ranking_only(record)
                continue
            matched.append((pk, record))
        _compare(matched, plan, stored_fields, names, warn, older, stored)
    _compare(list(rankings.items()), plan, stored_fields, names, warn, older, None)
    for chunk in chunked(recognised, CHUNK):
        for pk, record in chunk:
            key_ids[record.key] = pk
        _compare(chunk, plan, stored_fields, names, warn, older, None)
    plan.households.created = len(plan.household_creates)
    plan.households.updated = len(plan.household_changes)
    if full_extract and has_household_sheet:
        newer, plan.kept_by_ranking = _held_newer(missing, extract.data_year, plan.ranking_date)
        plan.household_absent = [pk for pk in missing if pk not in newer]
        plan.households_kept = len(newer)
        plan.households.absent = len(plan.household_absent)

    # --- members: each record's household (in this extract, or already in the registry), then the
    # stored members that may match a chunk of records: by ID Individu, or in the record's family.
    # What is decided for each record is kept by its position (``MemberDecisions``), not the records:
    # they stay where they are (a P3KE individual sheet's on disk) and are read again to be written.
    records = extract.members
    if not extract.has_member_sheet:
        records = [h.head for h in extract.households.values() if h.head is not None]
    plan.member_records = records
    decisions = plan.member_decisions = MemberDecisions()
    newer_families = plan.households_newer
    member_fields = ("pk", "household_id", *MEMBER_FIELDS, *_JSON_FIELDS, "is_absent", "is_deceased", "source_row_hash")
    member_names = ("pk", "household_id", *MEMBER_FIELDS, "raw_values", "source_values", "is_absent", "is_deceased",
                    "source_row_hash")
    # Any family's members: a family kept by a merge holds the people of the record merged into it,
    # with their IDs, whatever kind of record it is.
    member_qs = Member.objects.filter(household__merged_into__isnull=True)
    merged_members: set[int] = set()  # members a row of a merged record stands for
    # Whether a merge left a person ID on a merged record (rare): only then is it looked for.
    ids_left = p3ke and extract.has_member_sheet and Member.objects.filter(
        household__merged_into__isnull=False, id_individu__isnull=False
    ).exists()
    matched_pks: set[int] = {row.pk for row in extract.skipped_members}
    for row in extract.skipped_members:  # a family only in the registry: its id for the claims
        key_ids.setdefault(row.household_key, stored[row.household_key][0])
    plan.members.unchanged = len(matched_pks)
    if not extract.has_member_sheet and extract.skipped_households:
        # Each family's head read from its household row: a row skipped as unchanged leaves its head
        # unchanged too, counted as the head of a row compared would be (the preview and the import alike).
        for chunk in chunked([row.pk for row in extract.skipped_households.values()], CHUNK):
            heads = Member.objects.filter(household_id__in=chunk, relation=Relation.HEAD, is_absent=False)
            plan.members.unchanged += heads.values("household_id").distinct().count()
    claims = FirstClaims(extract.data_year)  # the aid the member rows claim, for the preview's count
    skipped_at: dict[int, str] | None = None  # a skipped member row's place, by its stored member
    position = 0
    listed = {row.household_key for row in extract.skipped_members}  # the families whose members the file lists
    unknown_families = 0  # member rows of a family neither the file nor the registry holds
    deceased = DeathWarnings(issues)
    # A P3KE individual sheet's head who is not the head its family's household row (or the registry) names.
    other_heads = OtherHeads(extract) if p3ke and extract.has_member_sheet else None
    for chunk in chunked(records, CHUNK):
        placed, chunk_claims = [], []
        for record in chunk:
            if record.recipients:
                chunk_claims.append(member_claim(record, position))
            key = record.household_key
            listed.add(key)
            household_id = key_ids.get(key)
            if household_id is None and key not in extract.households:
                row = stored.get(key)
                if row is None:
                    issues.error(
                        record.sheet, record.row, "ID Keluarga P3KE" if p3ke else "Nomor KK",
                        f"Keluarga {key} tidak ada di lembar keluarga maupun di registri",
                    )
                    unknown_families += 1
                    decisions.skip(position)
                    position += 1
                    continue
                household_id = key_ids[key] = row[0]
            placed.append((position, record, household_id))
            position += 1
        claims.add(chunk_claims)
        if other_heads is not None:
            other_heads.check(placed)
        by_id_individu, by_dtks_id, by_nik, heads = (
            _stored_members(member_qs, placed) if stored or recognised else ({}, {}, {}, {})
        )
        left_behind = _left_by_merges(placed) if ids_left else {}
        matches = []
        for at, record, household_id in placed:
            row = None
            id_individu = record.get("id_individu")
            of_merged = record.household_key in merged
            if id_individu and id_individu in by_id_individu:
                # One person's ID, in any family: also one this file brings (a child who formed a
                # family of their own moves there rather than coming in twice).
                row = by_id_individu[id_individu]
                if row[0] in matched_pks and not of_merged:
                    # Another row of the file already stands for this ID (a row of another individual
                    # sheet, skipped as unchanged): the same person twice, as a repeat on one sheet is.
                    if skipped_at is None:  # built at the first such row only
                        skipped_at = {r.pk: row_place(r.row, r.sheet) for r in extract.skipped_members}
                    where = skipped_at.get(row[0], "baris lain berkas ini")
                    issues.error(record.sheet, record.row, "ID Individu", f"ID Individu {id_individu} ganda: sudah ada di {where}")
                    decisions.skip(at)
                    continue
            elif household_id is not None:
                # In the family, by the source's own person ID (ID DTKS, in DTKS and DTSEN) before
                # the NIK: a NIK corrected here stays one person when the source still has the old.
                dtks_id, nik = record.get("dtks_id"), record.get("nik")
                if dtks_id and (household_id, dtks_id) in by_dtks_id:
                    row = by_dtks_id[(household_id, dtks_id)]
                elif nik and (household_id, nik) in by_nik:
                    row = by_nik[(household_id, nik)]
                elif not extract.has_member_sheet and record.get("relation") == Relation.HEAD and household_id in heads:
                    row = heads[household_id]
            if id_individu in left_behind and (row is None or (row[3] != id_individu and not of_merged)):
                # The ID of a person a merge left on the merged record (the kept family holds them
                # with their own ID): never given to a new record, as it is taken.
                issues.error(
                    record.sheet, record.row, "ID Individu",
                    f"ID Individu {id_individu} milik anggota keluarga #{left_behind[id_individu]} yang sudah digabung ke "
                    "keluarga lain; orang ini tidak ditemukan (menurut NIK) di keluarga yang dipertahankan",
                )
                decisions.skip(at)
                continue
            if of_merged and row is not None:
                # A row of a merged record: the kept family's member it stands for, left as it is
                # (the kept family's own row, if any, is the one compared with it).
                merged_members.add(row[0])
                decisions.match(at, row[0], None, None)
                plan.members.unchanged += 1
                continue
            # A row of a family whose stored data is newer than the file's row adds no one to it, takes
            # no one out of it, and fills only what its members' records leave blank (``_fill_blanks``).
            newer = household_id in newer_families or (row is not None and row[1] in newer_families)
            if row is None or row[0] in matched_pks:
                if newer:
                    decisions.skip(at)
                else:
                    plan.members.created += 1
                continue
            matched_pks.add(row[0])
            if household_id is None:
                # Its id comes when the family is written; a member of a newer family stays in it.
                moved_to = None if newer else NewFamily(record.household_key)
            else:
                moved_to = household_id if row[1] != household_id and not newer else None
            matches.append((at, record, row[0], moved_to, newer))
        # The stored fields (JSON as text) of the matched members only.
        rows = {row[0]: row for row in Member.objects.filter(pk__in=[m[2] for m in matches]).values_list(*member_fields)} if matches else {}
        for at, record, pk, moved_to, newer in matches:
            if moved_to is not None:
                record.set("household_id", moved_to)  # moved to another family in the new extract
            current = dict(zip(member_names, rows[pk]), newer=newer)
            change = _resolve(record, current, warn, Member, older=older, deceased=deceased)
            if change is None:
                plan.members.unchanged += 1
                if not newer:
                    _keep_hash(plan.member_hashes, pk, current["source_row_hash"], record)
                decisions.match(at, pk, moved_to, None)
            else:
                plan.members.updated += 1
                decisions.match(at, pk, moved_to, change.fields, filled_only=change.filled_only)
        deceased.fill()
        decisions.close_chunk()
    del stored
    if unknown_families and p3ke and not has_household_sheet:
        issues.warning(
            extract.tables[0].sheet if extract.tables else "", 0, "",
            f"{unknown_families} baris individu menyebut keluarga yang belum ada di registri, dan berkas ini tidak "
            "memuat lembar keluarga: unggah berkas keluarga (KEPALA-KELUARGA) bersama berkas individu ini.",
        )
    # A partial extract (one kecamatan) still says who a family it lists no longer holds, unless it
    # is older than the registry's data (a member it lacks may be newer than the file): then it
    # says how many it leaves as they are.
    if extract.has_member_sheet:
        left_out = _members_left_out(
            extract, key_ids, known, matched_pks | merged_members, None if full_extract else listed,
            # An older partial file counts every member it leaves so; otherwise those of families
            # whose data is newer than its rows are only left (their row's warning says so).
            recognised=plan.households_recognised, newer=() if older and not full_extract else newer_families,
        )
        if full_extract or not older:
            plan.member_absent = left_out
            plan.members.absent = len(left_out)
        elif left_out:
            plan.members_kept = len(left_out)
            issues.warning(
                next((t.sheet for t in extract.tables if t.kind != "keluarga"), ""), 0, "",
                f"{len(left_out)} anggota keluarga yang tidak ada lagi di berkas ini tidak ditandai tidak ada: berkas ini "
                "lebih lama dari data terbaru registri (anggota itu mungkin lebih baru dari berkas ini)",
            )
    plan.enrollments_planned, stated = aid_planned(extract, claims)
    plan.aid_dropped, family_rows = aid_dropped(extract, stated, key_ids)
    for notice in plan.aid_dropped:
        issues.warning(extract.tables[0].sheet if extract.tables else "", 0, "", notice)
    for sheet, row, reason in family_rows:
        issues.warning(sheet, row, "", reason)
    return plan


class OtherHeads:
    """The first head row (Kepala Keluarga) of each family of a P3KE individual sheet whose NIK is not
    the head NIK of the family's household row (the file's, else the registry's): the family will
    hold two heads, and the row says so as a second head row of the sheet does (``p3ke``,
    ``common.more_than_one_head``): it is recorded with its relation, the family's head is the one
    its household row names. A family whose head row was skipped as unchanged has its head read."""

    def __init__(self, extract: Extract) -> None:
        self.households = extract.households
        self.issues = extract.issues
        self.seen = {row.household_key for row in extract.skipped_members if row.is_head}

    def check(self, placed) -> None:
        """Warn the rows of ``placed`` (a chunk's ``(position, record, family id)``) that head another's family."""
        asked = []
        for _at, record, household_id in placed:
            key = record.household_key
            if record.get("relation") != Relation.HEAD or key in self.seen:
                continue
            self.seen.add(key)
            nik = record.get("nik")
            if not nik:
                continue
            given = self.households.head_nik(key) if key in self.households else None
            if given is not None:
                if given != nik:
                    place = self.households.place(key)
                    self._warn(record, f"di {row_place(place.row, place.sheet)} (NIK {mask(given)})")
            elif household_id is not None:
                asked.append((record, household_id, nik))
        if not asked:
            return
        heads = {
            pk: (head_nik, name) for pk, head_nik, name in
            Household.objects.filter(pk__in={household_id for _r, household_id, _n in asked}).values_list("pk", "head_nik", "head_name")
        }
        for record, household_id, nik in asked:
            head_nik, name = heads.get(household_id, ("", ""))
            if head_nik and head_nik != nik:
                self._warn(record, f"di registri: {name} (NIK {mask(head_nik)})")

    def _warn(self, record, other: str) -> None:
        self.issues.warning(
            record.sheet, record.row, "Hubungan dengan Kepala Keluarga", more_than_one_head(f"Keluarga {record.household_key}", other),
        )


def _members_left_out(
    extract: Extract, key_ids: dict, known: KnownRows, matched_pks: set[int], listed: set[str] | None = None,
    *, recognised: Collection[int] = (), newer: Collection[int] = (),
) -> list[int]:
    """The present members of a household in this extract that its individual sheet no longer
    lists, by family and pk; with ``listed`` (a partial extract), only in the families of which the
    sheet lists someone; never in the families whose stored data is ``newer`` than the file's rows.
    For P3KE: those with a row hash no row took (``known``), and those without one (stored before
    row hashes or by another kind of import) in one query. The families
    ``recognised`` by their NIKs (``attach``) have no No KK yet: their members are read by family."""
    households = {key_ids[key] for key in extract.households if key in key_ids}
    households.update(row.pk for row in extract.skipped_households.values())
    # A family with a member row refused lists someone no record stands for: none of its members is left out.
    households -= {key_ids[key] for key in extract.refused_member_families if key in key_ids}
    if listed is not None:
        households &= {key_ids[key] for key in listed if key in key_ids}
    households.difference_update(newer)
    rows = _present_members(extract.kind)
    candidates = []
    if extract.kind == "p3ke":
        candidates += known.untaken_members()
        rows = rows.filter(source_row_hash__isnull=True)
    candidates += rows.values_list("pk", "household_id").iterator(5000)
    for chunk in chunked(sorted(recognised), CHUNK):
        candidates += Member.objects.filter(household_id__in=chunk, is_absent=False).values_list("pk", "household_id")
    return [
        pk for pk, household_id in sorted(candidates, key=lambda c: (c[1], c[0]))
        if household_id in households and pk not in matched_pks
    ]


def _left_by_merges(placed) -> dict[str, int]:
    """The ID Individu of the records in ``placed`` that a member left on a record merged into
    another holds, each to that record's pk (the ID is unique: no new record may take it)."""
    ids = [v for _, record, _ in placed if (v := record.get("id_individu"))]
    if not ids:
        return {}
    return dict(
        Member.objects.filter(household__merged_into__isnull=False, id_individu__in=ids).values_list("id_individu", "household_id")
    )


# What the matching reads of the stored members: (pk, household, NIK, ID Individu, relation, ID DTKS).
_MATCH_FIELDS = ("pk", "household_id", "nik", "id_individu", "relation", "dtks_id")


def _stored_members(member_qs, placed) -> tuple[dict, dict, dict, dict]:
    """The stored members a chunk of records may match, as ``(pk, household_id, ...)``: by ID
    Individu (any family), by (family, ID DTKS), by (family, NIK) and the head of each family, as the
    registry holds them (the oldest first). Two plain queries (the families' members, the IDs'
    members), no stored fields."""
    id_individus = [v for _, record, _ in placed if (v := record.get("id_individu"))]
    household_ids = {household_id for _, _, household_id in placed if household_id is not None}
    by_id_individu: dict[str, tuple] = {}
    by_dtks_id: dict[tuple[int, str], tuple] = {}
    by_nik: dict[tuple[int, str], tuple] = {}
    heads: dict[int, tuple] = {}
    # ``placed`` is one chunk of records: at most ``CHUNK`` ids of each kind.
    found = {}
    if household_ids:
        found.update((row[0], row) for row in member_qs.filter(household_id__in=household_ids).values_list(*_MATCH_FIELDS))
    if id_individus:
        found.update((row[0], row) for row in member_qs.filter(id_individu__in=id_individus).values_list(*_MATCH_FIELDS))
    for pk in sorted(found):
        row = found[pk]
        household_id = row[1]
        if row[3]:
            by_id_individu[row[3]] = row
        if household_id not in household_ids:
            continue
        if row[5]:
            by_dtks_id.setdefault((household_id, row[5]), row)
        if row[2]:
            by_nik.setdefault((household_id, row[2]), row)
        if row[4] == Relation.HEAD:
            heads.setdefault(household_id, row)
    return by_id_individu, by_dtks_id, by_nik, heads
