"""Who may open what, generated from the URL configuration: every URL of the project, every role.

``all_routes()`` walks ``get_resolver()``; every URL name it finds must have an entry in the tables
below (the portal's ``PORTAL``, the admin's ``ADMIN_SITE``, ``ADMIN_MODELS`` and ``ADMIN_CUSTOM``),
so a page added without deciding who may open it fails ``test_every_url_has_an_expected_access_entry``.

Outcomes: a status code, ``LOGIN`` (302 to the portal login with ``?next=``), ``ADMIN_LOGIN`` (302 to
the admin login) or ``REDIRECT`` (any other 302: the action ran, or the user was sent to their page).
Refused requests (403/404/405/login) must also leave the data exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from agencies.models import Agency, Role, User
from dedup.models import CompatiblePair, IdentityMatch
from households.models import ColumnMapping, Household, ValueMapping
from programs.models import EligibilityRule, Program, TargetingRule
from tests.factories import UserFactory

from .conftest import ROLES, registry_state
from .routes import ADMIN_LOGIN, LOGIN, REDIRECT, all_routes, call, outcome

pytestmark = pytest.mark.django_db

PORTAL_ROLES = ROLES  # anonymous, bappeda, head, operator, leader, other, officer, norole
NON_STAFF = ("anonymous", "head", "operator", "leader", "other", "officer", "norole")


def R(anonymous, bappeda, head, operator, leader, other, officer, norole) -> dict:  # noqa: N802 - a table row
    return dict(
        anonymous=anonymous, bappeda=bappeda, head=head, operator=operator, leader=leader, other=other,
        officer=officer, norole=norole,
    )


def ALL(value) -> dict:  # noqa: N802
    return R(*[value] * len(ROLES))


@dataclass
class Case:
    """One way of calling a URL: its path parameters (from the ``world`` fixture) and, per method,
    the expected outcome per role. ``data`` is what a POST sends (a valid action where there is one)."""

    params: object = None  # world -> kwargs for reverse()
    get: dict | None = None
    post: dict | None = None
    label: str = ""
    data: dict = field(default_factory=dict)


ACTION_DATA = {"reason": "Tidak ditemukan di alamat", "delivered_on": "2024-05-02", "amount": "600000"}
OWN_ENROLLMENT = lambda w: {"pk": w.own_enrollment.pk}  # noqa: E731
FOREIGN_ENROLLMENT = lambda w: {"pk": w.foreign_enrollment.pk}  # noqa: E731
UNKNOWN = lambda w: {"pk": 999999}  # noqa: E731
VERVAL_BATCH = lambda w: {"pk": w.verval_batch.pk}  # noqa: E731
VERVAL_CASE = lambda w: {"pk": w.verval_case.pk}  # noqa: E731


def _enrollment_action() -> list[Case]:
    return [
        Case(OWN_ENROLLMENT, label="own agency's", data=ACTION_DATA,
             get=ALL(405), post=R(LOGIN, REDIRECT, REDIRECT, REDIRECT, 403, 404, 403, 403)),
        Case(FOREIGN_ENROLLMENT, label="another agency's", data=ACTION_DATA,
             get=ALL(405), post=R(LOGIN, REDIRECT, 404, 404, 403, 404, 403, 403)),
        Case(UNKNOWN, label="unknown id", data=ACTION_DATA, get=ALL(405), post=R(LOGIN, 404, 404, 404, 403, 404, 403, 403)),
    ]


def _bappeda_import_page(*, report: bool = False) -> list[Case]:
    """Import pages are Bappeda's; a batch without an error report has no report to download."""
    return [
        Case(lambda w: {"pk": w.batch.pk}, label="batch", get=R(LOGIN, 200, *[403] * 6),
             post=R(LOGIN, *[405] * 7)),
        Case(lambda w: {"pk": w.empty_batch.pk}, label="batch without report",
             get=R(LOGIN, 404 if report else 200, *[403] * 6)),
        Case(UNKNOWN, label="unknown batch", get=R(LOGIN, 404, *[403] * 6)),
    ]


# The household list, its export and print: the portal's roles; a field officer and an account
# without a role are refused.
LIST_PAGE = [Case(get=R(LOGIN, 200, 200, 200, 200, 200, 403, 403), post=ALL(405))]
# The list's filter form posts (a number searched stays out of the address) and is sent on to the list.
LIST_SEARCH = [Case(get=R(LOGIN, 200, 200, 200, 200, 200, 403, 403), post=R(LOGIN, *[REDIRECT] * 5, 403, 403),
                    data={"q": "7409010403751126"})]
# An officer's own verval list, its print and export: every role with verval cases (none for Bappeda).
MY_CASES = [Case(get=R(LOGIN, 200, 200, 200, 200, 200, 200, 403), post=ALL(405))]

# URL name -> how each role is answered. Portal pages, the dashboard, imports, login and language.
PORTAL: dict[str, list[Case]] = {
    "set_language": [Case(get=ALL(REDIRECT), post=ALL(REDIRECT), data={"language": "id", "next": "/"})],
    "favicon": [Case(get=ALL(REDIRECT), post=ALL(405))],
    "login": [Case(get=R(200, *[REDIRECT] * 7), post=R(200, *[REDIRECT] * 7))],
    "logout": [Case(get=ALL(405), post=ALL(REDIRECT))],
    "password_change": [Case(get=R(LOGIN, *[200] * 7), post=R(LOGIN, *[200] * 7))],
    "password_change_done": [Case(get=R(LOGIN, *[200] * 7), post=R(LOGIN, *[405] * 7))],
    # Agencies land on their list, leadership on the dashboard, field officers on their verval cases,
    # Bappeda on a page of links; an account without a role on a page saying it has none.
    "agencies:home": [Case(get=R(LOGIN, 200, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, 200), post=ALL(405))],
    "agencies:household_list": LIST_SEARCH,
    "agencies:household_export": LIST_PAGE,
    "agencies:household_print": LIST_PAGE,
    "agencies:household_distribute": [
        Case(get=ALL(405), post=R(LOGIN, REDIRECT, *[403] * 6),
             data={"program": "pkh", "year": "2025", "household": "1"}),
    ],
    "agencies:household_detail": [
        Case(lambda w: {"pk": w.own_hh.pk}, label="own agency's", get=R(LOGIN, 200, 200, 200, 200, 404, 403, 403),
             post=ALL(405)),
        Case(lambda w: {"pk": w.foreign_hh.pk}, label="another agency's", get=R(LOGIN, 200, 404, 404, 200, 404, 403, 403)),
        Case(UNKNOWN, label="unknown id", get=R(LOGIN, 404, 404, 404, 404, 404, 403, 403)),
    ],
    "agencies:enrollment_accept": _enrollment_action(),
    "agencies:enrollment_reject": _enrollment_action(),
    "agencies:enrollment_deliver": _enrollment_action(),
    "agencies:enrollment_complete": _enrollment_action(),
    "households:import_list": [Case(get=R(LOGIN, 200, *[403] * 6), post=R(LOGIN, *[405] * 7))],
    "households:import_status": _bappeda_import_page(),
    "households:import_status_json": _bappeda_import_page(),
    "households:import_error_report": _bappeda_import_page(report=True),
    # The dashboard is scoped by the selectors: each portal role sees its own figures. A field officer
    # and an account without a role are refused (they see no household: the figures would be empty).
    "programs:dashboard": [Case(get=R(LOGIN, 200, 200, 200, 200, 200, 403, 403), post=R(LOGIN, *[405] * 5, 403, 403))],
    "programs:export": [
        Case(lambda w: {"key": "ringkasan"}, label="table", get=R(LOGIN, 200, 200, 200, 200, 200, 403, 403),
             post=R(LOGIN, *[405] * 5, 403, 403)),
        Case(lambda w: {"key": "opd"}, label="agency table", get=R(LOGIN, 200, 200, 200, 200, 200, 403, 403)),
        Case(lambda w: {"key": "desa"}, label="village table", get=R(LOGIN, 200, 200, 200, 200, 200, 403, 403)),
        Case(lambda w: {"key": "tidak-ada"}, label="unknown table", get=R(LOGIN, 404, 404, 404, 404, 404, 403, 403)),
    ],
    "programs:distribute_index": [Case(get=R(LOGIN, 200, *[403] * 6), post=R(LOGIN, *[405] * 7))],
    "programs:distribute": [
        Case(lambda w: {"code": "pkh"}, label="program", get=R(LOGIN, 200, *[403] * 6),
             post=R(LOGIN, 200, *[403] * 6), data={"year": "abc"}),
        Case(lambda w: {"code": "tidak-ada"}, label="unknown program", get=R(LOGIN, 404, *[403] * 6)),
    ],
    # Verval: Bappeda and Dinas Sosial (head, operator) manage; the Dinsos head verifies; leadership
    # sees counts and approves; an agency whose programs do not reach the case's family sees nothing.
    # A field officer sees the cases assigned to them (the world's case is nobody's: 404); an account
    # without a role sees nothing.
    "verval:home": [Case(get=R(LOGIN, *[REDIRECT] * 6, 403), post=ALL(405))],
    "verval:candidates": [Case(get=R(LOGIN, 200, 200, 200, 403, 403, 403, 403), post=ALL(405))],
    "verval:cases_open": [
        Case(get=ALL(405), post=R(LOGIN, REDIRECT, REDIRECT, REDIRECT, 403, 403, 403, 403),
             data={"kind": "exclusion", "household": "1"}),
    ],
    "verval:batch_list": [Case(get=R(LOGIN, 200, 200, 200, 200, 200, 200, 403), post=ALL(405))],
    # The returned list names families by full NIK: only managers who see NIKs in full import it.
    "verval:returns_import": [Case(get=ALL(405), post=R(LOGIN, REDIRECT, REDIRECT, 403, 403, 403, 403, 403))],
    "verval:batch_detail": [
        Case(VERVAL_BATCH, label="batch", get=R(LOGIN, 200, 200, 200, 200, 404, 404, 403), post=ALL(405)),
        Case(UNKNOWN, label="unknown batch", get=R(LOGIN, 404, 404, 404, 404, 404, 404, 403)),
    ],
    "verval:batch_assign": [Case(VERVAL_BATCH, get=ALL(405), post=R(LOGIN, REDIRECT, REDIRECT, REDIRECT, 403, 403, 403, 403))],
    "verval:batch_deliberation": [
        Case(VERVAL_BATCH, get=ALL(405), post=R(LOGIN, REDIRECT, REDIRECT, REDIRECT, 403, 403, 403, 403)),
    ],
    "verval:batch_verify": [Case(VERVAL_BATCH, get=ALL(405), post=R(LOGIN, 403, REDIRECT, 403, 403, 403, 403, 403))],
    "verval:batch_approve": [Case(VERVAL_BATCH, get=ALL(405), post=R(LOGIN, 403, 403, 403, REDIRECT, 403, 403, 403))],
    # Not approved yet: no proposal file for anyone.
    "verval:batch_proposal": [Case(VERVAL_BATCH, get=R(LOGIN, *[403] * 7), post=ALL(405))],
    "verval:batch_distribute": [Case(VERVAL_BATCH, get=ALL(405), post=R(LOGIN, *[403] * 7))],
    "verval:my_cases": MY_CASES,
    "verval:my_cases_print": MY_CASES,
    "verval:my_cases_export": MY_CASES,
    "verval:case_visit": [
        Case(VERVAL_CASE, label="case", get=R(LOGIN, 200, 200, 200, 403, 404, 404, 403),
             post=R(LOGIN, 200, 200, 200, 403, 404, 404, 403)),
        Case(UNKNOWN, label="unknown case", get=R(LOGIN, 404, 404, 404, 403, 404, 404, 403)),
    ],
    "verval:case_photo_upload": [
        Case(VERVAL_CASE, get=ALL(405), post=R(LOGIN, REDIRECT, REDIRECT, REDIRECT, 403, 404, 404, 403)),
    ],
    "verval:case_photo": [
        # A family card photo (every member's NIK): not to the operator, who sees NIKs masked.
        Case(lambda w: {"pk": w.verval_photo.pk}, label="family card photo",
             get=R(LOGIN, 200, 200, 403, 403, 404, 404, 403),
             post=ALL(405)),
        Case(UNKNOWN, label="unknown photo", get=R(LOGIN, 404, 404, 404, 403, 404, 404, 403)),
    ],
}

# --- the admin -------------------------------------------------------------------------------------
# Only Bappeda operators (staff with that role) get in; everyone else is sent to the admin login,
# whatever the URL. For Bappeda: per registered model, what each generic view answers.

OK_ALL = dict(changelist=200, add=200, change=200, history=200, delete=200, object=REDIRECT)
KEPT = {**OK_ALL, "delete": 403}  # records the registry keeps: corrected, never deleted
WITH_HISTORY = {"simple_history": 200}
NO_ACCESS = dict(changelist=403, add=403, change=403, history=403, delete=403, object=REDIRECT)

def _mapping(model, **fields):
    return model.objects.filter(**fields).first() or model.objects.create(**fields)


# Verval is looked up in the admin, never changed there (its pages and services run the stages).
VIEW_ONLY = {**NO_ACCESS, "changelist": 200, "change": 200, "history": 200}


def _verval(w, what: str):
    from verval.models import ProposalExport, VervalBatch, VervalCase

    batch = VervalBatch.objects.first() or VervalBatch.objects.create(title="Verval Uji", kind="exclusion", desa=w.desa)
    case = VervalCase.objects.first() or VervalCase.objects.create(batch=batch, household=w.own_hh, kind="exclusion")
    sent = ProposalExport.objects.first() or ProposalExport.objects.create(
        batch=batch, created_by=w.users.bappeda, filename="usulan.xlsx", row_count=1
    )
    return {"batch": batch, "case": case, "sent": sent}[what]


# model label -> (sample object from world, expected GET outcome per generic view)
ADMIN_MODELS: dict[str, tuple] = {
    "households.household": (lambda w: w.own_hh, {**KEPT, **WITH_HISTORY}),
    "households.member": (lambda w: w.own_member, {**KEPT, **WITH_HISTORY}),
    "households.provinsi": (lambda w: w.desa.kecamatan.kabupaten.provinsi, KEPT),
    "households.kabupaten": (lambda w: w.desa.kecamatan.kabupaten, KEPT),
    "households.kecamatan": (lambda w: w.desa.kecamatan, KEPT),
    "households.desa": (lambda w: w.desa, KEPT),
    # Batches are records: add goes to the upload page, change to the preview.
    "households.importbatch": (lambda w: w.batch, {**KEPT, "add": REDIRECT, "change": REDIRECT}),
    # Import mappings are Bappeda's data: added, edited and withdrawn, with their history (a built-in
    # one is edited, never deleted: its delete page leads back to it; the sample is Bappeda's own).
    "households.columnmapping": (lambda w: _mapping(ColumnMapping, layout="dtsen", header="nomor kk keluarga", field="no_kk"),
                                 {**OK_ALL, **WITH_HISTORY}),
    "households.valuemapping": (lambda w: _mapping(ValueMapping, kind="dtsen", field="sex", value="lk", code="L"),
                                {**OK_ALL, **WITH_HISTORY}),
    "programs.program": (lambda w: w.programs["pkh"], {**OK_ALL, **WITH_HISTORY}),
    "programs.enrollment": (lambda w: w.own_enrollment, {**KEPT, **WITH_HISTORY}),
    "programs.targetingrule": (lambda w: w.rule, {**OK_ALL, **WITH_HISTORY}),
    "programs.eligibilityrule": (lambda w: EligibilityRule.objects.get(program__code="pkh"), {**OK_ALL, **WITH_HISTORY}),
    # Conflicts and identity matches are raised by the engine, decided by Bappeda: never added or deleted.
    "dedup.conflict": (lambda w: w.conflict, {**KEPT, "add": 403, **WITH_HISTORY}),
    "dedup.identitymatch": (lambda w: w.identity, {**KEPT, "add": 403, **WITH_HISTORY}),
    # A compatible pair is declared or withdrawn, not edited (its change page is read-only).
    "dedup.compatiblepair": (lambda w: w.pair, {**OK_ALL, **WITH_HISTORY}),
    "agencies.agency": (lambda w: Agency.objects.get(code="dinsos"), OK_ALL),
    # Accounts are deactivated, not deleted; the password page is the user admin's own view.
    "agencies.user": (lambda w: w.users.head, {**OK_ALL, "delete": 403, "password": 200}),
    "agencies.exportlog": (lambda w: w.export_log, {**KEPT, "add": 403}),
    # Failed logins: an operator sees them and unlocks (deletes); nothing is added or edited by hand.
    "axes.accessattempt": (lambda w: w.access_attempt, {**OK_ALL, "add": 403}),
    "verval.vervalbatch": (lambda w: _verval(w, "batch"), {**VIEW_ONLY, **WITH_HISTORY}),
    "verval.vervalcase": (lambda w: _verval(w, "case"), {**VIEW_ONLY, **WITH_HISTORY}),
    "verval.proposalexport": (lambda w: _verval(w, "sent"), VIEW_ONLY),
    # Other apps' models: not Bappeda's business (groups and permissions are a superuser's).
    "auth.group": (lambda w: w.group, NO_ACCESS),
    "axes.accesslog": (lambda w: w.access_log, NO_ACCESS),
    "axes.accessfailurelog": (lambda w: w.access_failure, NO_ACCESS),
    "django_tasks_database.dbtaskresult": (lambda w: w.task_result, NO_ACCESS),
}

# Site-wide admin URLs and the views a ModelAdmin adds itself: name -> (kwargs, bappeda GET, bappeda POST)
ADMIN_SITE: dict[str, tuple] = {
    "admin:index": (None, 200, 200),
    "admin:login": (None, REDIRECT, 200),
    "admin:logout": (None, 405, REDIRECT),
    "admin:password_change": (None, 200, 200),
    "admin:password_change_done": (None, 200, 405),
    "admin:autocomplete": (None, 403, 403),  # needs the field it completes (asked by POST)
    "admin:jsi18n": (None, 200, 405),
    "admin:view_on_site": (lambda w: {"content_type_id": ContentType.objects.get_for_model(Household).pk,
                                      "object_id": w.own_hh.pk}, 404, 404),  # households have no public page
    "admin:app_list": (lambda w: {"app_label": "households"}, 200, 200),
}
ADMIN_CUSTOM: dict[str, tuple] = {
    "admin:agencies_agency_import": (None, 200, 200),
    "admin:agencies_agency_process_import": (None, 405, 200),
    "admin:agencies_agency_export": (None, 200, 200),
    "admin:programs_program_import": (None, 200, 200),
    "admin:programs_program_process_import": (None, 405, 200),
    "admin:programs_program_export": (None, 200, 200),
    "admin:programs_enrollment_export": (None, 200, 200),
    "admin:programs_targetingrule_preview": (None, 200, 200),
    "admin:households_importbatch_upload": (None, 200, 200),  # POST without a file: the form again
    "admin:households_importbatch_preview": (lambda w: {"pk": w.batch.pk}, 200, 200),
    "admin:households_importbatch_confirm": (lambda w: {"pk": w.empty_batch.pk}, 405, REDIRECT),
    "admin:households_importbatch_cancel": (lambda w: {"pk": w.empty_batch.pk}, 405, REDIRECT),
    "admin:households_importbatch_repreview": (lambda w: {"pk": w.empty_batch.pk}, 405, REDIRECT),
    "admin:dedup_conflict_scan": (None, 200, REDIRECT),
    "admin:dedup_identitymatch_scan": (None, 200, REDIRECT),
    "admin:dedup_compatiblepair_bundle": (None, 200, REDIRECT),
}
GENERIC_SUFFIXES = ("changelist", "add", "change", "history", "delete", "simple_history")

# Accounts a Bappeda operator must not reach: for him they do not exist (the admin sends him back to
# its index, the password page is 404), and he may delete no account at all.
HIDDEN_ACCOUNT = dict(change=REDIRECT, history=REDIRECT, delete=403, object=REDIRECT, password=404)
# model label -> (what the sample is, sample object from world, expected GET per view): more objects
# of a model whose pages answer differently depending on the object.
ADMIN_MORE_OBJECTS: dict[str, list[tuple]] = {
    "agencies.user": [
        ("leadership account", lambda w: w.users.leader, {**OK_ALL, "delete": 403, "password": 200}),
        ("superuser", lambda w: w.superuser, HIDDEN_ACCOUNT),
        ("another Bappeda operator", lambda w: w.peer, HIDDEN_ACCOUNT),
        ("his own account", lambda w: w.users.bappeda, HIDDEN_ACCOUNT),
    ],
}
# URL name -> (model label, view) for object views a ModelAdmin adds with a name of its own.
ADMIN_OBJECT_VIEWS = {"admin:auth_user_password_change": ("agencies.user", "password")}


def _model_prefixes() -> dict[str, str]:
    """URL-name prefix (``households_household``) -> model label, for every model in the admin."""
    return {f"{m._meta.app_label}_{m._meta.model_name}": m._meta.label_lower for m in admin.site._registry}


def _admin_kind(name: str) -> tuple[str, str] | None:
    """(model label, generic view) for a ModelAdmin's generic URL name, else None."""
    short = name.split(":", 1)[1]
    for prefix, label in _model_prefixes().items():
        if short.startswith(prefix + "_") and short[len(prefix) + 1:] in GENERIC_SUFFIXES:
            return label, short[len(prefix) + 1:]
    return None


# --- completeness ----------------------------------------------------------------------------------


def test_every_url_has_an_expected_access_entry():
    missing, unnamed = [], []
    for route in all_routes():
        if route.name is None:
            # Django's admin adds two kinds without a name: <object_id>/ (redirects to the change
            # page) and the final catch-all; both are checked by the admin tests below.
            if not route.is_admin:
                unnamed.append(route.route)
            continue
        if route.is_admin:
            if route.name in ADMIN_SITE or route.name in ADMIN_CUSTOM:
                continue
            kind = ADMIN_OBJECT_VIEWS.get(route.name) or _admin_kind(route.name)
            if kind is None or kind[0] not in ADMIN_MODELS or kind[1] not in ADMIN_MODELS[kind[0]][1]:
                missing.append(route.name)
        elif route.name not in PORTAL:
            missing.append(route.name)
    assert not unnamed, f"URL patterns without a name cannot be given an access rule: {unnamed}"
    assert not missing, f"URLs with no entry in the expected-access tables of {__name__}: {missing}"
    registered = {m._meta.label_lower for m in admin.site._registry}
    assert registered == set(ADMIN_MODELS), f"admin models without an access entry: {registered ^ set(ADMIN_MODELS)}"


def test_the_tables_name_only_urls_that_exist():
    names = {route.name for route in all_routes() if route.name}
    stale = (set(PORTAL) | set(ADMIN_SITE) | set(ADMIN_CUSTOM) | set(ADMIN_OBJECT_VIEWS)) - names
    assert not stale, f"expected-access entries for URLs that no longer exist: {stale}"


# --- the portal ------------------------------------------------------------------------------------


REFUSED = {LOGIN, ADMIN_LOGIN, 400, 403, 404, 405}


@pytest.mark.parametrize("role", PORTAL_ROLES)
def test_portal_matrix(world, role):
    user = getattr(world.users, role)
    failures = []
    # The registry as the last request left it: each request is compared with the state before it.
    state = registry_state()
    for name, cases in PORTAL.items():
        for case in cases:
            url = reverse(name, kwargs=case.params(world) if case.params else None)
            for method in ("get", "head", "post"):
                # HEAD is answered wherever GET is, as GET is (without the body).
                expected = case.get if method == "head" else getattr(case, method)
                if expected is None:
                    continue
                before = state
                got = outcome(call(user, method, url, case.data if method == "post" else None))
                state = registry_state()
                if got != expected[role]:
                    failures.append(f"{method.upper()} {url} ({name} {case.label}): expected {expected[role]}, got {got}")
                elif got in REFUSED and name not in ("logout", "login") and state != before:
                    failures.append(f"{method.upper()} {url} ({name} {case.label}) was refused but changed data")
    assert not failures, f"as {role}:\n" + "\n".join(failures)


# --- the admin -------------------------------------------------------------------------------------


@pytest.fixture
def admin_world(world):
    now = timezone.now()
    world.group = Group.objects.create(name="Uji")
    world.access_attempt = AccessAttempt.objects.create(
        username="x", ip_address="10.0.0.1", user_agent="uji", http_accept="*/*", path_info="/masuk/",
        get_data="", post_data="", failures_since_start=1,
    )
    world.access_failure = AccessFailureLog.objects.create(
        username="x", ip_address="10.0.0.1", user_agent="uji", http_accept="*/*", path_info="/masuk/",
    )
    from axes.models import AccessLog

    world.access_log = AccessLog.objects.create(
        username="x", ip_address="10.0.0.1", user_agent="uji", http_accept="*/*", path_info="/masuk/",
    )
    world.superuser = User.objects.create_superuser("root", "root@example.go.id", "Akar-Rahasia-2026")
    world.peer = UserFactory(username="op-bappeda-2", role=Role.BAPPEDA_OPERATOR)
    world.task_result = DBTaskResult.objects.create(
        enqueued_at=now, args_kwargs={"args": [], "kwargs": {}}, task_path="households.imports.tasks.preview_import_task",
        backend_name="default", run_after=now, exception_class_path="", traceback="",
    )
    return world


def admin_urls(world) -> list[tuple[str, str | None, object, object]]:
    """(url, name, expected bappeda GET, expected bappeda POST or None) for every admin URL."""
    rows = []
    for route in all_routes():
        if not route.is_admin:
            continue
        if route.name is None:
            continue  # the object redirect and the catch-all: see test_admin_unnamed_urls
        if route.name in ADMIN_SITE or route.name in ADMIN_CUSTOM:
            params, get, post = {**ADMIN_SITE, **ADMIN_CUSTOM}[route.name]
            rows.append((reverse(route.name, kwargs=params(world) if params else None), route.name, get, post))
            continue
        label, view = ADMIN_OBJECT_VIEWS.get(route.name) or _admin_kind(route.name)
        sample, expected = ADMIN_MODELS[label]
        if view in ("changelist", "add"):
            rows.append((reverse(route.name), route.name, expected[view], None))
            continue
        objects = [("", sample, expected), *ADMIN_MORE_OBJECTS.get(label, [])]
        for what, sample, expected in objects:
            obj = sample(world)
            if view == "simple_history":
                url = reverse(route.name, args=[obj.pk, obj.history.order_by("history_id").first().history_id])
            else:
                url = reverse(route.name, args=[obj.pk])
            rows.append((url, f"{route.name} {what}".strip(), expected[view], None))
    return rows


@pytest.mark.parametrize("role", NON_STAFF)
def test_admin_sends_everyone_but_bappeda_to_the_admin_login(admin_world, role):
    user = getattr(admin_world.users, role)
    failures = []
    before = registry_state()
    for url, name, _get, _post in admin_urls(admin_world):
        for method in ("get", "post"):
            got = outcome(call(user, method, url))
            if name == "admin:login":
                expected = 200  # the login form itself (it says the account has no access)
            elif name == "admin:logout":
                expected = REDIRECT  # back to the admin index, which then asks for the login
            else:
                expected = ADMIN_LOGIN
            if got != expected:
                failures.append(f"{method.upper()} {url} ({name}): expected {expected}, got {got}")
    assert not failures, f"as {role}:\n" + "\n".join(failures)
    assert registry_state() == before


def test_admin_as_bappeda_operator(admin_world):
    user = admin_world.users.bappeda
    failures = []
    for url, name, get, post in admin_urls(admin_world):
        got = outcome(call(user, "get", url))
        if got != get:
            failures.append(f"GET {url} ({name}): expected {get}, got {got}")
        if post is not None:
            got = outcome(call(user, "post", url))
            if got != post:
                failures.append(f"POST {url} ({name}): expected {post}, got {got}")
    assert not failures, "\n".join(failures)


def test_superuser_opens_every_accounts_pages_and_the_groups(admin_world):
    """Accounts beyond a Bappeda operator's reach are a superuser's: every user, password and group
    page answers him."""
    w = admin_world
    failures = []
    for user in (w.superuser, w.peer, w.users.bappeda, w.users.head, w.users.leader):
        for name in ("admin:agencies_user_change", "admin:agencies_user_history", "admin:agencies_user_delete",
                     "admin:auth_user_password_change"):
            url = reverse(name, args=[user.pk])
            if (got := outcome(call(w.superuser, "get", url))) != 200:
                failures.append(f"GET {url}: expected 200, got {got}")
    for url in (reverse("admin:agencies_user_changelist"), reverse("admin:agencies_user_add"),
                reverse("admin:auth_group_changelist"), reverse("admin:auth_group_add"),
                reverse("admin:auth_group_change", args=[w.group.pk])):
        if (got := outcome(call(w.superuser, "get", url))) != 200:
            failures.append(f"GET {url}: expected 200, got {got}")
    assert not failures, "\n".join(failures)


def test_admin_unnamed_urls(admin_world):
    """``<object_id>/`` redirects to the change page (Bappeda) or to the login (everyone else); the
    catch-all never reveals which model names exist."""
    prefixes = {label: prefix for prefix, label in _model_prefixes().items()}
    for label, (sample, expected) in ADMIN_MODELS.items():
        app, model = label.split(".")
        url = f"/admin/{app}/{model}/{sample(admin_world).pk}/"
        assert outcome(call(admin_world.users.bappeda, "get", url)) == expected["object"], url
        for role in NON_STAFF:
            assert outcome(call(getattr(admin_world.users, role), "get", url)) == ADMIN_LOGIN, (role, url)
        assert prefixes[label]
    for role in NON_STAFF:
        assert outcome(call(getattr(admin_world.users, role), "get", "/admin/tidak/ada/")) == ADMIN_LOGIN
        assert outcome(call(getattr(admin_world.users, role), "get", "/admin/households/household/x/y/z/")) == ADMIN_LOGIN
    assert call(admin_world.users.bappeda, "get", "/admin/tidak/ada/").status_code == 404


def test_bappeda_cannot_delete_or_invent_records_the_registry_keeps(admin_world):
    w = admin_world
    before = registry_state()
    for url in [
        reverse("admin:households_household_delete", args=[w.own_hh.pk]),
        reverse("admin:households_member_delete", args=[w.own_member.pk]),
        reverse("admin:programs_enrollment_delete", args=[w.own_enrollment.pk]),
        reverse("admin:dedup_conflict_delete", args=[w.conflict.pk]),
        reverse("admin:households_importbatch_delete", args=[w.batch.pk]),
        reverse("admin:agencies_exportlog_delete", args=[w.export_log.pk]),
        reverse("admin:dedup_conflict_add"),
        reverse("admin:dedup_identitymatch_add"),
        reverse("admin:agencies_exportlog_add"),
        reverse("admin:agencies_exportlog_change", args=[w.export_log.pk]),
    ]:
        assert call(w.users.bappeda, "post", url, {"post": "yes"}).status_code == 403, url
    assert registry_state() == before


def test_staff_flag_on_an_agency_account_opens_no_admin_data(admin_world):
    """A Kepala Dinas wrongly marked as staff gets past the admin login but sees and changes nothing."""
    w = admin_world
    staff_head = UserFactory(username="kadis-staf", role="agency_head", agency=w.users.head.agency, is_staff=True)
    index = call(staff_head, "get", reverse("admin:index"))
    assert index.status_code == 200 and "households/household" not in index.content.decode()
    before = registry_state()
    for url in [
        reverse("admin:households_household_changelist"),
        reverse("admin:households_household_change", args=[w.own_hh.pk]),
        reverse("admin:programs_enrollment_changelist"),
        reverse("admin:dedup_conflict_changelist"),
        reverse("admin:households_importbatch_upload"),
        reverse("admin:agencies_user_changelist"),
        reverse("admin:dedup_conflict_scan"),
    ]:
        assert call(staff_head, "get", url).status_code == 403, url
        assert call(staff_head, "post", url).status_code == 403, url
    assert registry_state() == before
    assert list(Program.objects.filter(code="pkh").values_list("active", flat=True)) == [True]
    assert TargetingRule.objects.filter(pk=w.rule.pk).exists() and CompatiblePair.objects.filter(pk=w.pair.pk).exists()
    assert IdentityMatch.objects.filter(pk=w.identity.pk, status="open").exists()
