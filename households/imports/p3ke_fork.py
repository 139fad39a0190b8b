"""The P3KE individual sheet read in a forked process while this one reads the household sheet.

Pure Python (``sheetfork``). The individual sheet is the larger (about three rows per family) and
nearly all of its work is per row; only one check needs the household sheet: a member of a family
refused there is refused too ("Keluarga ... ditolak"). The child reads its rows before that list is
known and notes, for each row, where that error would go; once the list arrives (between rows,
after the household sheet is read), ``LateRejections.apply`` puts the errors in their places and
refuses those rows as the sequential reading would have (their cells kept for the error report,
the duplicate bookkeeping of later rows unchanged). From then on the child checks each row directly.

The child writes its member records into a ``spool.RecordSpool`` (a temporary file both processes
share) as it reads them, so neither process holds them all; the parent receives the spool's
counts, the rows skipped as unchanged (``rowhash``), the issue log and the row count, and merges
them where the sequential reading would have produced them: the records and issues are identical. When the child
fails for any reason, the parent reads the sheet itself (``ForkedTable.read_here``).
"""

from __future__ import annotations

import gc
import pickle
from collections.abc import Callable
from functools import partial
from multiprocessing.sharedctypes import RawValue

from . import columns as cols
from .common import Extract, RowReader, note_table_end, yes_no_columns
from .firstrows import FirstRows
from .issues import ERROR, RowIssue
from .longlived import keep
from .reader import Background, Source, Table
from .rowhash import SkippedRow, table_hasher
from .sheetfork import ForkedSheet
from .spool import RecordSpool, Spool

# Rows read ahead of the refused families held in memory: on a re-sync the child waits for them past
# this many (see ``LateRejections.ready``); on a first import it sets the oldest aside on disk,
# ``SET_ASIDE_ROWS`` at a time, and reads on. How often (in rows) it looks whether they came.
MAX_EARLY_ROWS = 50_000
SET_ASIDE_ROWS = 5_000
POLL_ROWS = 1_000
_DUPLICATE_TAIL = "muncul lagi di baris"


def family_refused(key: str, row: int) -> str:
    """The error of a member whose family the household sheet refused."""
    return f"Keluarga {key} ditolak (lihat baris {row} di lembar keluarga)"


class LateRejections:
    """Rows read before the household sheet's refused families were known.

    A province's household sheet takes the parent a minute to read; on a first import the child
    reads on meanwhile instead of waiting for it. Past ``MAX_EARLY_ROWS`` rows held, the oldest are
    set aside ``SET_ASIDE_ROWS`` at a time in a temporary file (``spool.Spool``), their cells pickled
    apart (memory holds what it held before the child read on), so that taking in the
    refused families reads every block's keys but unpickles only the cells of a block holding a
    refused family's row (a family refused whole: rare). The file holds the cells of every row read
    before the refusals come (at 700,000 families about a million rows), in the system's
    temporary directory as the member records' own file."""

    def __init__(self, channel) -> None:
        self._channel = channel
        self.rows: list[tuple[int, str, int, list]] = []  # (row, family ID, error position, cells)
        self._blocks = Spool()  # (rows without cells, their cells pickled)

    def note(self, row: int, household_key: str, position: int, cells: list) -> None:
        self.rows.append((row, household_key, position, cells))

    def ready(self, *, skipping: bool) -> bool:
        """Whether to take in the refused families now: they are here, or ``MAX_EARLY_ROWS`` rows
        were read without them while rows are being skipped as unchanged (a re-sync). A re-sync's
        household sheet is read quickly (its rows skipped too), so waiting for it costs little,
        where setting its rows aside would cost pickling; and a row skipped before its family's
        refusal is known misses the warnings its other cells would have had: waiting keeps such
        rows as few as they were before the rows were set aside. Otherwise, past ``MAX_EARLY_ROWS``
        rows held, the oldest are set aside."""
        if self._channel.poll():
            return True
        full = len(self.rows) >= MAX_EARLY_ROWS
        if skipping or not full:
            return full
        while len(self.rows) >= MAX_EARLY_ROWS:
            block = self.rows[:SET_ASIDE_ROWS]
            del self.rows[:SET_ASIDE_ROWS]
            cells_of = pickle.dumps([item[3] for item in block], protocol=pickle.HIGHEST_PROTOCOL)
            self._blocks.put(([item[:3] for item in block], cells_of))
        return False

    def _hit(self, rejected: dict) -> list[tuple[int, str, int, list]]:
        """The rows noted whose family is refused, in reading order, with their cells."""
        hit = []
        for rows, cells_of in self._blocks:
            found = [index for index, item in enumerate(rows) if item[1] in rejected]
            if found:
                cells = pickle.loads(cells_of)
                hit.extend((*rows[index], cells[index]) for index in found)
        hit.extend(item for item in self.rows if item[1] in rejected)
        self.rows, self._blocks = [], Spool()
        return hit

    def apply(self, reader: RowReader, extract: Extract, dropped: set, first_rows: FirstRows) -> None:
        """Take in the refused families (waiting for them if needed) and refuse the rows noted so far
        whose family is among them, as if the check had run when each row was read."""
        rejected = self._channel.recv()
        extract.rejected_households.update(rejected)
        hit = self._hit(rejected)
        if not hit:
            return
        issues, sheet, label = extract.issues, reader.sheet, reader.label("p3ke_id")
        merged: list[RowIssue] = []
        start = 0
        for row, key, position, cells in hit:
            merged.extend(issues.errors[start:position])
            start = position
            merged.append(RowIssue(sheet, row, label, family_refused(key, rejected[key]), ERROR))
            issues.error_rows.add((sheet, row))
            issues.keep_cells(sheet, row, cells)
        merged.extend(issues.errors[start:])
        refused = {item[0] for item in hit}
        # A refused row is never kept, so a later duplicate of it does not mark it ("muncul lagi").
        issues.errors[:] = [i for i in merged if not (i.row in refused and _DUPLICATE_TAIL in i.reason)]
        # Its record (kept, or skipped as unchanged) is dropped, and the first row of its IDs is
        # a refused row's, as the sequential reading would have left them.
        dropped.update(refused)
        first_rows.refuse(refused)


# A skipped row sent back by the child (a plain tuple) as a ``SkippedRow``, with no Python call per row.
_skipped_row = partial(tuple.__new__, SkippedRow)


class ForkedTable(Table):
    """The header of a sheet read in a child process (no rows here): what the scan of the sheets
    needs, and the child to collect the rows from."""

    forked: ForkedSheet
    origin: Source
    # Its unknown columns holding Ya/Tidak, as the child found them in its first rows (``common.yes_no_columns``).
    yes_no_columns: list[str]


def start(source: Source, sheet_name: str, ctx, members) -> ForkedSheet:
    """Fork a child reading ``sheet_name`` of ``source`` (``members`` is the parser's row loop).
    The child writes its member records into a spool made here (``spool``): its file is shared.
    Started before the stored row hashes are read (``Context.load_known``): the child loads its
    sheet while this process reads them, then receives them (``share_known``) before its rows."""
    known_follows = ctx.known is None and ctx.load_known is not None
    records = RecordSpool(shared=True)
    rows_read = RawValue("q", 0)  # in memory both processes share: the child counts, this one reads
    forked = ForkedSheet(_read_members, source, sheet_name, ctx, members, records, known_follows, rows_read)
    forked.records, forked.known_follows, forked.known = records, known_follows, ctx.known
    forked.rows_read = rows_read
    forked.origin = (source, sheet_name)
    forked.refused_sent = None  # ``send_refused``
    return forked


class WithChildRows:
    """This process's progress (rows read) with the rows the child has read so far added in, each
    time this process reports, or waits for the child: the count of rows read goes on moving while
    the child reads the larger sheet (at a province's scale, a minute after this process is done
    with its own). The child's rows in all come to the row count it sends at its end."""

    def __init__(self, forked: ForkedSheet, progress: Callable[[int], None]) -> None:
        self._forked, self._progress = forked, progress
        self.shown = 0  # the child's rows reported so far
        self._counting = True

    def __call__(self, count: int) -> None:
        if self._counting:
            done = self._forked.rows_read.value
            count += done - self.shown
            self.shown = done
        if count:
            self._progress(count)

    def taken_back(self) -> None:
        """The child failed: its rows no longer count (this process reads its sheet again)."""
        self._counting = False
        if self.shown:
            self._progress(-self.shown)
        self.shown = 0


def share_known(forked: ForkedSheet | None, ctx) -> None:
    """Read the stored row hashes here (``Context.read_known``) and send them to the child that
    waits for them. A child that ended meanwhile is not used (``send`` fails, the sheet is read here).

    The sheet's formula cells go with them: this process looks for them (inflating the sheet's XML
    a second time) before it reads its own sheet. The child's sheet is the larger (about three rows
    a family): this process, done with its own, waits for the child, on a first import as on a
    re-sync, so the time is taken from the waiting rather than from the child's reading. When
    looking for them failed, the child looks itself (and reports a damaged sheet)."""
    known = ctx.read_known()
    if forked is not None:
        forked.known = known
        if forked.known_follows:
            try:
                formulas = forked.origin[0].formula_scan(forked.origin[1]).result()
            except Exception:  # noqa: BLE001 - a damaged sheet: the child's own reading says so
                formulas = None
            forked.send((known, formulas))


def header(forked: ForkedSheet, source: Source, sheet_name: str, ctx) -> Table | None:
    """The sheet as the scan sees it: from the child, else read here (the child failed)."""
    message = forked.receive()
    if message is None:
        return ctx.layouts.table(source, sheet_name)
    if message == "no-header":
        return None
    name, header_row, headers, height, unheaded, yes_no = message
    table = ForkedTable(
        source=source.display_name, name=name, header_row=header_row, headers=headers, rows=iter(()), height=height,
        unheaded=unheaded,
    )
    table.forked, table.origin, table.yes_no_columns = forked, source, yes_no
    return table


def read_here(table: ForkedTable, ctx) -> Table | None:
    """The sheet read in this process: the child's work is not used."""
    table.forked.close()
    return ctx.layouts.table(table.origin, table.name)


def send_refused(table: ForkedTable, extract: Extract) -> bool:
    """Send the household sheet's refused families to the child, once, as soon as they are final:
    until they come it holds or sets aside every row it reads (a re-sync waits for them), so they
    must not wait for what this process does next (writing the new families,
    ``Context.households_read``). False when the child is gone."""
    forked = table.forked
    if forked.refused_sent is None:
        forked.refused_sent = forked.send(dict(extract.rejected_households))
    return forked.refused_sent


def collect(table: ForkedTable, column_index: dict[int, str], extract: Extract, progress=None):
    """Send the refused families (unless ``send_refused`` did), receive ``(rows, members, skipped rows,
    issues, families of refused member rows)``, ``members`` the
    ``RecordSpool`` the child wrote; ``None`` when the child failed. The member hashes its skipped
    rows took are taken from this process's ``known`` too. While waiting, ``progress`` (a
    ``WithChildRows``) reports the child's rows twice a second."""
    forked = table.forked
    keep()  # what this process read (the stored row hashes, the household sheet) stays to the end
    if not send_refused(table, extract):
        return None
    message = forked.receive(None if progress is None else partial(progress, 0))
    forked.close()
    if message is None or message[0] != column_index:
        return None
    _, count, state, skipped, taken, issues, refused_families = message
    if forked.known is not None:
        # As the rows read here would have: the members the child's rows took are not left out.
        forked.known.taken_elsewhere(taken)
    members = forked.records
    members.adopt(state)
    return count, members, list(map(_skipped_row, skipped)), issues, refused_families


def _formulas(received: Background, source: Source, sheet_name: str) -> set[tuple[int, int]]:
    """In the child, in a thread while calamine loads the sheet: its formula cells as the parent
    found them (``share_known``), or found here when the parent did not."""
    cells = received.result()[1]
    return source.formula_scan(sheet_name).result() if cells is None else cells


def _read_members(
    channel, source: Source, sheet_name: str, ctx, members, records: RecordSpool, known_follows: bool, rows_read
) -> None:
    """In the child: the header, then (for an individual sheet with every required column) the rows.
    The stored row hashes, when they follow, are received in a thread while calamine loads the
    sheet (it lets other threads run): the parent's send does not wait for the load.

    This process reads one sheet and ends. What it reads stays to its end, and reading makes no
    reference cycles (``test_import_longlived``): the cycle collector would only go over the stored
    row hashes and the rows read, again and again (a tenth of a second of this process's CPU)."""
    gc.disable()
    received = Background(channel.recv) if known_follows else None
    source = Source(source.path, source.display_name, source.kind, source.limits)  # its own file handle
    formulas = Background(_formulas, received, source, sheet_name) if received else None
    table = ctx.layouts.table(source, sheet_name, formulas)
    if table is None:
        channel.send("no-header")
        return
    mapped = ctx.layouts.map_headers(cols.INDIVIDUAL, table.headers)
    yes_no = yes_no_columns(table, mapped, ctx.aid_values)  # warned by the parent's scan, in its order
    channel.send((table.name, table.header_row, table.headers, table.height, table.unheaded, yes_no))
    if cols.classify(sheet_name, table.headers) != cols.INDIVIDUAL or mapped.missing:
        return
    if received is not None:
        ctx.known = received.result()[0]
    extract = Extract(kind="p3ke", data_year=ctx.data_year, members=records)
    reader = RowReader(table, mapped.index, extract.issues, ctx.aid_values, ctx.data_year or cols.release_year(table.headers))
    row_hash = table_hasher(ctx.signature, cols.INDIVIDUAL, mapped.index, cols.is_release_2023(table.headers))

    def counted(rows: int) -> None:  # the parent's progress reads it
        rows_read.value += rows

    count = members(table, reader, ctx, extract, counted, row_hash, late=LateRejections(channel))
    note_table_end(table, extract.issues)
    skipped = list(map(tuple, extract.skipped_members))  # plain tuples pickle fastest
    taken = ctx.known.taken if ctx.known is not None else []
    channel.send((mapped.index, count, records.state(), skipped, taken, extract.issues, extract.refused_member_families))
