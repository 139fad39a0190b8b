"""The aid an extract's ``Penerima ...`` / ``Bansos ...`` columns claim, handed to programs.

A ``Ya`` in *Penerima PKH* on a family row claims PKH for the family; on a person's row, for that
person (and so for the family). The import states these claims as plain data (an ``AidClaim`` as the
plain tuple ``(household, member, aids)``) and programs decides what they come to: which programs a key
names, whom each program enrolls, and the enrollment rows (``programs.services.aid_claims_record``).
A family row's claim names the family's head, for programs that enroll a person.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain
from typing import TYPE_CHECKING

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from households.models import Household, ImportBatch, Member, Relation
from konut_registry.chunks import chunked
from programs.claims import PlainClaim, aid_no_longer_stated, aid_programs, claim_enrollments
from programs.models import EnrollmentSource
from programs.services import BulkEnrollmentResult, aid_claims_record

from .common import Extract

if TYPE_CHECKING:
    from .plan import ExtractPlan


def member_claim(record, position: int) -> PlainClaim:
    """The claim of a member row not written yet, for ``aid_planned``: its family by natural key,
    the person as the family's head or by the record's position among the records (negative: no
    stored member's id is). Claims are plain ``(household, member, aids)`` tuples here
    (``programs.claims``): a re-sync states tens of thousands, twice."""
    person = "head" if record.get("relation") == Relation.HEAD else -1 - position
    return (record.household_key, person, record.recipients)


class FirstClaims:
    """Claims that come a chunk at a time (the member rows'), kept as the first claim of each
    enrollment they name (``programs.claims.claim_enrollments``): handed on after the claims before
    them, they come to the same enrollments with the same claims as all of them would, and memory
    holds one claim per enrollment instead of one per row (every member of a PKH family claims it)."""

    def __init__(self, year: int | None) -> None:
        self.year = year
        self._programs = None
        self._first: dict = {}

    def add(self, claims: list[PlainClaim]) -> None:
        if not claims:
            return
        if self._programs is None:
            self._programs = aid_programs()
        first = self._first
        for key, claim in claim_enrollments(claims, year=self.year, programs=self._programs).items():
            first.setdefault(key, claim)

    def claims(self) -> Iterable[PlainClaim]:
        """The first claim of each enrollment, in order (a view: nothing copied)."""
        return self._first.values()


def family_claims(extract: Extract):
    """``(family key, programs)`` of each family row claiming aid, those skipped as unchanged
    included (they claim it again as any unchanged row does: already there, counted existing)."""
    yield from extract.households.recipients()
    for key, record in extract.skipped_households.items():
        if record.recipients:
            yield key, record.recipients


def aid_planned(extract: Extract, member_claims: FirstClaims) -> tuple[int, set[tuple[int, str]]]:
    """How many enrollments the extract's claims come to, before anything is written: households
    are told apart by their natural key and people by their record (``member_claim``, gathered
    while the records were compared; a family row's claim names the family's head). Every member of a
    PKH family says "Penerima PKH: Ya": one enrollment. With it, ``(program, family key)`` of the
    claims for the data year (rows skipped as unchanged included), for ``aid_dropped``."""
    family = ((key, "head", recipients) for key, recipients in family_claims(extract))
    skipped = (
        (row.household_key, "head" if row.is_head else row.pk, row.recipients)
        for row in extract.skipped_members if row.recipients
    )
    found = claim_enrollments(chain(family, member_claims.claims(), skipped), year=extract.data_year)
    year = extract.data_year
    return len(found), {(program, key) for program, claim_year, key, _member in found if claim_year == year}


# The families a notice of aid no longer stated names; the others it counts.
NAMED_FAMILIES = 10


def aid_dropped(
    extract: Extract, stated: set[tuple[int, str]], key_ids: dict[str, int]
) -> tuple[list[str], list[tuple[str, int, str]]]:
    """What a re-sync says of the aid its columns no longer state for families the registry holds
    it for from this source and year (a ``Ya`` gone to ``Tidak``): the enrollments are kept (a
    missing Ya ends no aid). Per program, one sentence naming the families (the first
    ``NAMED_FAMILIES`` in the file's order, by ID Keluarga P3KE or No KK and head, the others
    counted), and per family a warning on its own row of the file, ``(sheet, row, reason)``, for
    verval."""
    if not extract.aid_columns or extract.data_year is None or not key_ids:
        return [], []
    stated_ids = {(program, key_ids[key]) for program, key in stated if key in key_ids}
    dropped = aid_no_longer_stated(
        source=extract.kind, year=extract.data_year, aid_keys=extract.aid_columns, stated=stated_ids,
        households=set(key_ids.values()),
    )
    if not dropped:
        return [], []
    keys = {}
    for key, household_id in key_ids.items():
        keys.setdefault(household_id, key)
    wanted = {household_id for _program, ids in dropped for household_id in ids}
    names = {}
    for chunk in chunked(sorted(wanted), 5000):
        names.update(Household.objects.filter(pk__in=chunk).values_list("pk", "head_name"))
    places = _family_places(extract, {keys[household_id] for household_id in wanted})
    order = {sheet: index for index, sheet in enumerate(dict.fromkeys(table.sheet for table in extract.tables))}
    first_sheet = extract.tables[0].sheet if extract.tables else ""

    def in_file(household_id: int) -> tuple:
        place = places.get(keys[household_id])
        return (1, 0, 0, keys[household_id]) if place is None else (0, order.get(place[0], len(order)), place[1], "")

    notices, rows = [], []
    for program, ids in dropped:
        ids = sorted(ids, key=in_file)
        labels = [_family_label(extract.kind, keys[household_id], names.get(household_id)) for household_id in ids]
        shown = ", ".join(labels[:NAMED_FAMILIES])
        rest = len(labels) - NAMED_FAMILIES
        if rest > 0:
            shown += " " + ngettext("dan %(n)s lainnya", "dan %(n)s lainnya", rest) % {"n": number_format(rest, force_grouping=True)}
        what = {"program": program.code.upper(), "year": extract.data_year}
        notices.append(ngettext(
            "%(program)s %(year)s tidak lagi tercantum untuk %(n)s keluarga (%(families)s); kepesertaan dipertahankan, "
            "periksa lewat verval.",
            "%(program)s %(year)s tidak lagi tercantum untuk %(n)s keluarga (%(families)s); kepesertaan dipertahankan, "
            "periksa lewat verval.",
            len(ids),
        ) % {**what, "n": number_format(len(ids), force_grouping=True), "families": shown})
        for household_id, label in zip(ids, labels):
            sheet, row = places.get(keys[household_id]) or (first_sheet, 0)
            rows.append((sheet, row, _(
                "%(program)s %(year)s tidak lagi tercantum untuk keluarga ini (%(family)s); kepesertaan dipertahankan, "
                "periksa lewat verval."
            ) % {**what, "family": label}))
    return notices, rows


def _family_label(kind: str, key: str, head_name: str | None) -> str:
    """A family as the operator finds it in the file: its ID Keluarga P3KE (P3KE) or No KK, and its head."""
    if kind == "p3ke":
        return _("ID Keluarga P3KE %(key)s (%(name)s)") % {"key": key, "name": head_name} if head_name else _("ID Keluarga P3KE %(key)s") % {"key": key}
    return _("No KK %(key)s (%(name)s)") % {"key": key, "name": head_name} if head_name else _("No KK %(key)s") % {"key": key}


def _family_places(extract: Extract, keys: set[str]) -> dict[str, tuple[str, int]]:
    """``(sheet, row)`` of each family of ``keys`` in the file: its household row (read, or skipped
    as unchanged), else its first member row."""
    places: dict[str, tuple[str, int]] = {}
    for key in keys:
        skipped = extract.skipped_households.get(key)
        place = (skipped.sheet, skipped.row) if skipped is not None else extract.households.place(key)
        if place is not None:
            places[key] = tuple(place)
    left = keys - places.keys()
    for record in chain(extract.skipped_members, extract.members if left else ()):
        if not left:
            break
        if record.household_key in left:
            places[record.household_key] = (record.sheet, record.row)
            left.discard(record.household_key)
    return places


def note_members(plan: ExtractPlan, records) -> None:
    """While the members are written: the claims of member rows (each record has its id now) and
    the head of each family whose own row claims aid (a family row's claim names its head)."""
    key_ids = plan.household_ids
    if plan.claiming_households is None:
        extract = plan.extract
        plan.claiming_households = {key_ids[key] for key, _ in family_claims(extract)}
    claiming, heads, claims = plan.claiming_households, plan.heads, []
    member_sheet = plan.extract.has_member_sheet
    for record in records:
        if member_sheet and record.recipients:
            claims.append((key_ids[record.household_key], record.pk, record.recipients))
        if record.get("relation") == Relation.HEAD:
            household_id = key_ids.get(record.household_key)
            if household_id in claiming:
                heads.setdefault(household_id, record.pk)
    plan.member_claims.add(claims)


def aid_record(plan: ExtractPlan, *, batch: ImportBatch | None, by, recheck_households=()) -> BulkEnrollmentResult:
    """Hand the claims of a written plan to programs, by household and member id, with the other
    households the plan changed, for the write's one re-check of the one-aid rule."""
    extract = plan.extract
    source = EnrollmentSource(extract.kind)
    # The claims one at a time, the enrollments written a chunk at a time and counted, not kept.
    return aid_claims_record(
        claims=_claims(plan, _heads(plan)), year=extract.data_year, source=source, batch=batch, by=by,
        recheck_households=recheck_households, keep=False,
    )


def _claims(plan: ExtractPlan, heads: dict[int, int]) -> Iterator[PlainClaim]:
    """Every claim of the plan by ids, one at a time: the family rows' (naming the head), the
    member rows' (the first of each enrollment), the skipped member rows'."""
    extract = plan.extract
    key_ids = plan.household_ids
    for key, recipients in family_claims(extract):
        household_id = key_ids[key]
        yield household_id, heads.get(household_id), recipients
    yield from plan.member_claims.claims()
    plan.member_claims = FirstClaims(None)  # handed on: the aid write keeps what it needs of them
    for row in extract.skipped_members:
        if row.recipients:
            yield key_ids[row.household_key], row.pk, row.recipients


def _heads(plan: ExtractPlan) -> dict[int, int]:
    """Household id -> head member id, for the households whose family row claims aid: from the
    records of this extract (noted while written), else from the registry."""
    extract = plan.extract
    key_ids = plan.household_ids
    heads = plan.heads
    for row in extract.skipped_members:
        if row.is_head:
            heads.setdefault(key_ids.get(row.household_key), row.pk)
    missing = [key_ids[key] for key, _ in family_claims(extract) if key_ids[key] not in heads]
    for chunk in chunked(missing, 5000):
        for household_id, pk in Member.objects.filter(household_id__in=chunk, relation=Relation.HEAD).values_list(
            "household_id", "pk"
        ):
            heads.setdefault(household_id, pk)
    return heads
