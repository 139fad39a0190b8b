"""The dashboard's tables: every figure the page, its charts and its xlsx exports show, built once.

Each table is a ``Table`` of ``Cell`` rows built from the selectors' rows; a cell that counts
households carries the link to the agency portal's household list (URL ``agencies:household_list``)
with the GET parameters that select the households behind it (see ``agencies/filters.py``). The page
renders the tables, the charts read ``Table.chart``, and the export writes the same rows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from urllib.parse import quote_plus

from django.http import Http404
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from programs.dashboard import selectors
from programs.dashboard.selectors import DashboardFilters
from programs.models import Cluster, EnrollmentStatus

PAGE_ROWS = {"desa": 20, "pockets": 25}
_quoted = functools.lru_cache(maxsize=4096)(quote_plus)  # the few words the links repeat
CHART_POCKETS = 15


def household_list_url(*, list_url: str | None = None, **params) -> str:
    """The agency portal's household list filtered by ``params`` (empty values dropped), as
    ``urlencode`` writes it; ``list_url``: the list's address, when the caller looked it up once
    (a province's tables link some 25,000 cells)."""
    base = list_url or reverse("agencies:household_list")
    query = "&".join(
        # Ids and years (most parameters) need no quoting; the parameter names are plain words.
        f"{key}={value}" if type(value) is int else f"{key}={_quoted(str(value))}"
        for key, value in params.items()
        if value not in (None, "")
    )
    return f"{base}?{query}" if query else base


# --- Cells and tables -------------------------------------------------------------------------------------------


@dataclass
class Cell:
    value: object
    url: str | None = None
    numeric: bool = True
    percent: bool = False
    title: str = ""  # shown on hover: what a shortened cell leaves out

    @property
    def display(self) -> str:
        if self.value is None:
            return "–"
        if self.percent:
            return f"{number_format(self.value, decimal_pos=1)} %"
        if self.numeric and isinstance(self.value, int):
            return number_format(self.value, force_grouping=True)
        return str(self.value)


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    footer: list[Cell] | None = None
    note: str = ""
    page_rows: int | None = None
    chart: dict | None = None
    export_url: str = ""
    # Columns the page leaves out to fit an office screen (the xlsx has them all).
    page_hidden: frozenset[int] = frozenset()

    @property
    def shown_rows(self) -> list[list[Cell]]:
        return self.rows[: self.page_rows] if self.page_rows else self.rows

    @property
    def numeric_columns(self) -> set[int]:
        first = self.rows[0] if self.rows else (self.footer or [])
        return {index for index, cell in enumerate(first) if cell.numeric}

    @property
    def page_columns(self) -> list[tuple[int, str]]:
        return [(index, column) for index, column in enumerate(self.columns) if index not in self.page_hidden]

    @property
    def page_cells(self) -> list[list[Cell]]:
        return [[cell for index, cell in enumerate(row) if index not in self.page_hidden] for row in self.shown_rows]

    @property
    def page_footer(self) -> list[Cell]:
        return [cell for index, cell in enumerate(self.footer or []) if index not in self.page_hidden]

    @property
    def hidden_count(self) -> int:
        return max(0, len(self.rows) - len(self.shown_rows))


def text(value) -> Cell:
    return Cell(value, numeric=False)


class Links:
    """Household-list links for the figures under the current filters."""

    def __init__(self, filters: DashboardFilters):
        self.filters = filters
        self.place = {
            "kabupaten": filters.kabupaten.pk if filters.kabupaten else None,
            "kecamatan": filters.kecamatan.pk if filters.kecamatan else None,
        }
        self.list_url = reverse("agencies:household_list")

    def households(self, **params) -> str:
        return household_list_url(list_url=self.list_url, **{**self.place, **params})

    def desil1(self, aid: str | None = None, **params) -> str:
        """Desil-1 households, reached by aid (``aid="any"``) or not (``"none"``) in the filters' year."""
        if aid is None:
            return self.households(desil=1, **params)
        return self.households(desil=1, aid=aid, aid_year=self.filters.year, **params)

    def enrollments(self, **params) -> str:
        base = {
            "agency": self.filters.agency.code if self.filters.agency else None,
            "cluster": self.filters.cluster or None,
            **self.place,
            "year": self.filters.year,
        }
        base.update(params)
        return household_list_url(list_url=self.list_url, **base)


STATUS_LABELS = dict(EnrollmentStatus.choices)


def _stacked_chart(labels, series) -> dict:
    return {"type": "bar", "stacked": True, "labels": labels, "datasets": series}


def headline_table(dash: selectors.Dashboard, links: Links) -> Table:
    c = dash.conflicts
    rows = [
        [text(_("Keluarga di registri")), Cell(dash.total_households, links.households())],
        # People are not families: no list of families stands behind their count.
        [text(_("Jiwa (anggota keluarga)")), Cell(dash.total_people)],
        [text(_("Keluarga desil 1")), Cell(dash.desil1_total, links.desil1())],
        [text(_("Desil 1 belum tersentuh bantuan")), Cell(dash.desil1_unreached, links.desil1("none"))],
        [text(_("Desil 1 yang sudah tersentuh")), Cell(dash.desil1_share_reached, links.desil1("any"), percent=True)],
        [text(_("Konflik satu bantuan terbuka")), Cell(c.open_conflicts, links.enrollments(conflict=1))],
        [text(_("Keluarga dengan konflik terbuka")), Cell(c.conflict_households, links.enrollments(conflict=1))],
        # Pairs of records, as the review list counts them; the link lists their households (two per
        # pair, fewer where pairs share one), hence the word.
        [text(_("Pasangan duplikat identitas terbuka")), Cell(c.open_identity, links.households(duplicate=1))],
    ]
    return Table("ringkasan", _("Angka utama"), [_("Angka"), _("Nilai")], rows)


def desil_table(rows: list[selectors.DesilRow], links: Links) -> Table:
    table = Table("desil", _("Keluarga dan jiwa menurut desil"), [_("Desil"), _("Keluarga"), _("Jiwa")])
    for row in rows:
        label = str(row.desil) if row.desil is not None else _("Tidak diketahui")
        url = links.households(desil=row.desil) if row.desil is not None else None
        # The people (Jiwa) of a desil are no list of families: their cells link nowhere.
        table.rows.append([text(label), Cell(row.households, url), Cell(row.people)])
    table.footer = [
        text(_("Jumlah")),
        Cell(sum(r.households for r in rows), links.households()),
        Cell(sum(r.people for r in rows)),
    ]
    known = [r for r in rows if r.desil is not None]
    table.chart = {
        "type": "bar",
        "stacked": False,
        "labels": [_("Desil %(n)s") % {"n": r.desil} for r in known],
        "datasets": [
            {"label": _("Keluarga"), "data": [r.households for r in known], "links": [links.households(desil=r.desil) for r in known]},
            {"label": _("Jiwa"), "data": [r.people for r in known]},
        ],
    }
    return table


def _reach_cells(row: selectors.ReachRow, params: dict, links: Links) -> list[Cell]:
    return [
        Cell(row.total, links.desil1(**params)),
        Cell(row.reached, links.desil1("any", **params)),
        Cell(row.unreached, links.desil1("none", **params)),
        Cell(row.share_reached, links.desil1("any", **params), percent=True),
    ]


def _reach_columns(first: list[str]) -> list[str]:
    return [*first, _("Keluarga desil 1"), _("Sudah menerima bantuan"), _("Belum tersentuh bantuan"), _("% tersentuh")]


def _place(row, several: bool, **place) -> dict:
    """A row's place parameters, with its regency when several are loaded."""
    return {"kabupaten": row.kabupaten_id, **place} if several else place


def reach_kecamatan_table(dash: selectors.Dashboard, links: Links, *, level: str = "kecamatan") -> Table:
    """Desil-1 reach by kecamatan (each with its regency when several are loaded), or
    (``level="kabupaten"``) by regency."""
    regency = level == "kecamatan" and dash.several_regencies
    if level == "kabupaten":
        rows, title, columns = dash.reach_kabupaten, _("Desil 1 belum tersentuh bantuan, menurut kabupaten/kota"), [_("Kabupaten/kota")]
        place = [{"kabupaten": r.id} for r in rows]
    else:
        rows, title = dash.reach_kecamatan, _("Desil 1 belum tersentuh bantuan, menurut kecamatan")
        columns = [_("Kecamatan"), *([_("Kabupaten/kota")] if regency else [])]
        place = [_place(r, dash.several_regencies, kecamatan=r.id) for r in rows]
    table = Table(
        level, title, _reach_columns(columns),
        note=_(
            "Tersentuh: kepesertaan diusulkan atau aktif di program mana pun, tahun berapa pun, atau selesai tahun %(year)s."
        ) % {"year": dash.filters.year},
    )
    for row, params in zip(rows, place):
        table.rows.append([text(row.name), *([text(row.kabupaten)] if regency else []), *_reach_cells(row, params, links)])
    total = selectors.ReachRow(0, "", 0, "", dash.desil1_total, dash.desil1_reached)
    table.footer = [text(_("Jumlah")), *([text("")] if regency else []), *_reach_cells(total, {}, links)]
    table.chart = _stacked_chart(
        [f"{r.name} ({r.kabupaten})" if regency else r.name for r in rows],
        [
            {"label": _("Sudah menerima bantuan"), "data": [r.reached for r in rows], "color": "#067647",
             "links": [links.desil1("any", **p) for p in place]},
            {"label": _("Belum tersentuh bantuan"), "data": [r.unreached for r in rows], "color": "#b42318",
             "links": [links.desil1("none", **p) for p in place]},
        ],
    )
    return table


def reach_desa_table(rows: list[selectors.ReachRow], links: Links, several: bool = False) -> Table:
    """The villages its title names: those with a desil-1 family no aid reaches (a village whose
    desil-1 families are all reached still counts in the kecamatan's row)."""
    rows = [row for row in rows if row.unreached]
    regency = [_("Kabupaten/kota")] if several else []
    table = Table(
        "desa", _("Desa dengan keluarga desil 1 belum tersentuh bantuan"),
        _reach_columns([_("Desa/kelurahan"), _("Kecamatan"), *regency]), page_rows=PAGE_ROWS["desa"],
    )
    for row in rows:
        params = _place(row, several, kecamatan=row.kecamatan_id, desa=row.id)
        regency = [text(row.kabupaten)] if several else []
        table.rows.append([text(row.name), text(row.kecamatan), *regency, *_reach_cells(row, params, links)])
    return table


def coverage_table(key: str, title: str, first: list[str], rows: list[selectors.CoverageRow], links: Links, param: str) -> Table:
    columns = [*first, *[str(label) for _value, label in EnrollmentStatus.choices], _("Keluarga"), _("Kepesertaan")]
    table = Table(key, title, columns, note=_("Jumlah keluarga per status; kepesertaan menghitung setiap penerima (program perorangan)."))
    for row in rows:
        ident = {param: row.key}
        head = [text(row.name)]
        if key == "program":
            head += [text(row.agency_name), text(str(Cluster(row.cluster).label))]
        table.rows.append(
            head
            + [Cell(row.by_status[status], links.enrollments(status=status, **ident)) for status in selectors.STATUSES]
            + [Cell(row.households, links.enrollments(**ident)), Cell(row.enrollments, links.enrollments(**ident))]
        )
    charted = [r for r in rows if r.enrollments] if key == "program" else rows
    table.chart = _stacked_chart(
        [r.name for r in charted],
        [
            {"label": str(STATUS_LABELS[status]), "data": [r.by_status[status] for r in charted],
             "links": [links.enrollments(status=status, **{param: r.key}) for r in charted]}
            for status in selectors.STATUSES
        ],
    )
    if key == "program":
        table.chart["horizontal"] = True
    return table


POCKET_PARAMS = {
    "unsafe_water": {"water": "unsafe"},
    "no_toilet": {"toilet": "none"},
    "unfit_house": {"house": "unfit"},
    "stunting_unsafe_water": {"stunting": 1, "water": "unsafe"},
}


def _format_share_title(count: int, total: int) -> str:
    return ngettext("%(n)s dari %(total)s keluarga", "%(n)s dari %(total)s keluarga", total) % {
        "n": number_format(count, force_grouping=True), "total": number_format(total, force_grouping=True),
    }


_share_title = lazy(_format_share_title, str)


def pockets_table(rows: list[selectors.PocketRow], links: Links, several: bool = False) -> Table:
    # Each indicator: the header of its count column and the header of its percentage column.
    headers = {
        "unsafe_water": (_("Tanpa air minum layak"), _("% tanpa air minum layak")),
        "no_toilet": (_("Tanpa jamban sendiri"), _("% tanpa jamban sendiri")),
        "unfit_house": (_("Rumah tidak layak huni"), _("% tinggal di rumah tidak layak huni")),
        "stunting_unsafe_water": (_("Berisiko stunting tanpa air layak"), _("% berisiko stunting tanpa air layak")),
    }
    columns = [_("Desa/kelurahan"), _("Kecamatan"), *([_("Kabupaten/kota")] if several else []), _("Keluarga")]
    first_count = len(columns)
    for name in selectors.POCKET_INDICATORS:
        columns += list(headers[name])
    columns.append(_("Skor"))
    table = Table(
        "kantong", _("Kantong kemiskinan: desa menurut persentase keluarga"), columns, page_rows=PAGE_ROWS["pockets"],
        note=_(
            "Air minum tidak layak: sumur tidak terlindung, air permukaan, air hujan, lainnya. Rumah tidak layak: lantai "
            "tanah/bambu, dinding bambu, atap jerami/bambu, atau atap/dinding/lantai berkualitas rendah. Berisiko stunting: "
            "Resiko Stunting P3KE atau ada balita. Skor: rata-rata keempat persentase."
        ),
        # The page shows the percentages (each count in its title); the xlsx has the counts too.
        page_hidden=frozenset(range(first_count, first_count + 2 * len(selectors.POCKET_INDICATORS), 2)),
    )
    for row in rows:
        place = _place(row, several, kecamatan=row.kecamatan_id, desa=row.id)
        regency = [text(row.kabupaten)] if several else []
        cells = [text(row.name), text(row.kecamatan), *regency, Cell(row.households, links.households(**place))]
        for name in selectors.POCKET_INDICATORS:
            url = links.households(**place, **POCKET_PARAMS[name])
            count = getattr(row, name)
            title = _share_title(count, row.households)  # formatted when shown (the page shows 25 of 2,285 rows)
            cells += [Cell(count, url), Cell(row.share(name), url, percent=True, title=title)]
        cells.append(Cell(row.score, links.households(**place), percent=True))
        table.rows.append(cells)
    top = rows[:CHART_POCKETS]
    table.chart = {
        "type": "bar",
        "stacked": False,
        "percent": True,
        # Village names repeat within a regency and across a province: each bar names its kecamatan
        # (and regency), as the table's columns do.
        "labels": [f"{r.name} ({r.kecamatan}, {r.kabupaten})" if several else f"{r.name} ({r.kecamatan})" for r in top],
        "datasets": [
            {"label": headers[name][0], "data": [r.share(name) for r in top],
             "links": [links.households(**_place(r, several, kecamatan=r.kecamatan_id, desa=r.id), **POCKET_PARAMS[name])
                       for r in top]}
            for name in selectors.POCKET_INDICATORS
        ],
    }
    return table


def build_table(key: str, user, filters: DashboardFilters, links: Links, as_of, pocket_order: str, several: bool = False) -> Table:
    """One table by its key (the xlsx export), computing only what that table shows (or taking the
    counts the page remembered); ``several``: more than one regency is loaded (the kabupaten table
    exists, villages show their regency)."""
    if key not in TABLE_KEYS or (key == "kabupaten" and not several):
        raise Http404
    remember = selectors.Remember(user, filters)
    if key in ("ringkasan", "kecamatan", "kabupaten", "desa"):
        reach = selectors.desil1_reach_by_desa(user, filters, remember=remember)
    if key == "ringkasan":
        dash = selectors.Dashboard(
            filters, selectors.households_by_desil(user, filters, remember=remember), reach,
            selectors.reach_by_kecamatan(reach), [], [], [], selectors.conflict_summary(user, filters, remember=remember), [],
        )
        return headline_table(dash, links)
    if key == "desil":
        return desil_table(selectors.households_by_desil(user, filters, remember=remember), links)
    if key in ("kecamatan", "kabupaten"):
        dash = selectors.Dashboard(filters, [], reach, selectors.reach_by_kecamatan(reach), [], [], [], None, [], several)
        return reach_kecamatan_table(dash, links, level=key)
    if key == "desa":
        return reach_desa_table(reach, links, several)
    if key == "program":
        return program_table(selectors.coverage_by_program(user, filters, remember=remember), links)
    if key == "opd":
        return agency_table(selectors.coverage_by_agency(user, filters, remember=remember), links)
    if key == "klaster":
        return cluster_table(selectors.coverage_by_cluster(user, filters, remember=remember), links)
    pockets = selectors.poverty_pockets(user, filters, as_of=as_of, order=pocket_order, remember=remember)
    return pockets_table(pockets, links, several)


def program_table(rows, links):
    return coverage_table("program", _("Kepesertaan menurut program"), [_("Program"), _("OPD"), _("Klaster")], rows, links, "program")


def agency_table(rows, links):
    return coverage_table("opd", _("Kepesertaan menurut OPD"), [_("OPD")], rows, links, "agency")


def cluster_table(rows, links):
    return coverage_table("klaster", _("Kepesertaan menurut klaster"), [_("Klaster")], rows, links, "cluster")


TABLE_KEYS = ("ringkasan", "desil", "kabupaten", "kecamatan", "desa", "program", "opd", "klaster", "kantong")


def dashboard_tables(dash: selectors.Dashboard, links: Links) -> dict[str, Table]:
    """Every table of the page, by key, in the page's order; the by-kabupaten reach when several
    regencies are loaded."""
    several = dash.several_regencies
    tables = {
        "ringkasan": headline_table(dash, links),
        "desil": desil_table(dash.desil, links),
        "kecamatan": reach_kecamatan_table(dash, links),
        "desa": reach_desa_table(dash.reach_desa, links, several),
        "program": program_table(dash.programs, links),
        "opd": agency_table(dash.agencies, links),
        "klaster": cluster_table(dash.clusters, links),
        "kantong": pockets_table(dash.pockets, links, several),
    }
    if several:
        tables["kabupaten"] = reach_kecamatan_table(dash, links, level="kabupaten")
    return tables


def table_rows(table: Table) -> list[list]:
    """The table's values row by row, the footer last (what the xlsx export writes)."""
    rows = [[cell.value for cell in row] for row in table.rows]
    if table.footer:
        rows.append([cell.value for cell in table.footer])
    return rows
