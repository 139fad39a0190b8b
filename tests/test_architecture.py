"""The import direction of the product code, as documented in ``docs/architecture.md``.

Every ``import`` of every product module (function-level ones included) is read with ``ast`` and
checked against the rules below, which are data: the two tables of ``docs/architecture.md`` are
rendered from them, and a test fails when the page and the rules disagree.

- **Layers**: a module imports modules of its own layer or below, never above.
- **Apps**: what each part of an app may import from the other apps.
- **No cycles**: no module imports one that (directly or through others) imports it back when it
  runs (imports under ``if TYPE_CHECKING:`` only name types).
"""

from __future__ import annotations

import ast
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("agencies", "dedup", "households", "programs", "verval", "konut_registry")
APPS = ("agencies", "dedup", "households", "programs", "verval")

# --- The rules -------------------------------------------------------------------------------------

# Layers from the top down: (name, what it holds, module patterns). A module belongs to the first
# layer (in the order of LAYER_LOOKUP) with a matching pattern. Patterns are fnmatch patterns on
# dotted module names; a package's own module is its dotted name (``dedup.admin``).
LAYERS = [
    ("ui", "admin, views, view decorators, urls, forms, filters, exports, presenters, template tags, context processors, commands, system checks, tasks", [
        "*.admin", "*.admin.*", "*.admin_*", "*.views", "*.decorators", "*.urls", "*.forms", "*.widgets", "*.filters", "*.exports",
        "*.resources", "*.presenters", "*.templatetags.*", "*.context_processors", "*.management.commands.*", "*.checks", "*.tasks",
        "konut_registry.middleware", "konut_registry.wsgi", "konut_registry.asgi",
    ]),
    ("services", "services (every write), selectors (reads), the use cases and query builders they share", [
        "*.services", "*.selectors", "*.dashboard.*", "*.indicators", "*.targeting", "*.distribution", "*.candidates",
        "*.claims", "*.backends", "*.registry_version", "dedup.membership", "programs.demo", "programs.reference", "households.imports.*",
        "households.regions", "agencies.throttling", "agencies.listcounts",
    ]),
    ("engine", "the dedup engine: set-based one-aid and identity checks", [
        "dedup.engine", "dedup.engine_sql", "dedup.identity", "dedup.identity_stream",
        "dedup.identity_compare",
    ]),
    ("models", "models and their data (choices, default rules), their form checks, database helpers, app configs, settings", [
        "*.models", "*.apps", "*.validators", "households.choices", "programs.default_rules", "konut_registry.db", "konut_registry.bulkcopy",
        "programs.bulk_sql",
        "konut_registry.settings.*", "konut_registry.formats.*", "konut_registry.export_formats",
    ]),
    ("pure", "plain Python, no Django: identifiers, the file reading and parsing of the import, names, spreadsheet cells", [
        "households.identifiers", "households.wilayah", "households.xlsx", "dedup.names", "konut_registry.admin_filters",
        "konut_registry.spreadsheets", "konut_registry.chunks", "konut_registry.numbers", "konut_registry.timezones",
        "households.imports", "households.imports.reader", "households.imports.columns",
        "households.imports.values", "households.imports.issues", "households.imports.common",
        "households.imports.textfile", "households.imports.htmltable", "households.imports.spreadsheetml", "households.imports.cells", "households.imports.xlsxparts", "households.imports.sheetfork", "households.imports.p3ke_fork",
        "households.imports.p3ke", "households.imports.dtks", "households.imports.dtks_resync", "households.imports.report",
        "households.imports.snapshot", "households.imports.progress", "households.imports.rowhash", "households.imports.spool", "households.imports.firstrows",
        "households.imports.longlived", "verval.returns",
    ]),
]
RANK = {name: len(LAYERS) - index for index, (name, _what, _patterns) in enumerate(LAYERS)}
# The most specific patterns first: pure names, the engine, then models, UI, services.
LAYER_LOOKUP = ["pure", "engine", "models", "ui", "services"]

# The households import use case: reading files, planning, applying, batches, their task, admin and
# pages (all in households/imports/), the URLs of those pages and the import commands.
IMPORT_USE_CASE = [
    "households.imports", "households.imports.*", "households.urls", "households.management.commands.*",
]

# What each part may import from the other apps (``konut_registry``'s neutral helpers are open to
# every part): (who, patterns, may import, why). The first row whose patterns match a module applies.
APP_RULES = [
    ("the households import use case", IMPORT_USE_CASE, ["programs", "dedup", "agencies"],
     "hands the aids a file states to programs' one service, re-checks identities with dedup, logs exports"),
    ("the households admin", ["households.admin"], ["programs.models", "dedup.models", "dedup.membership"],
     "shows every aid and open conflict of a household, read-only; saves, merges and absence marks re-check the one-aid rule"),
    ("households (regions, families, members, identifiers)", ["households", "households.*"], [],
     "the registry's core stands alone"),
    ("agencies' models", ["agencies.models", "agencies.backends", "agencies.apps"], [],
     "agencies, users and roles stand alone"),
    ("agencies (who may see what, the portal)", ["agencies", "agencies.*"], ["households", "programs", "dedup"],
     "scopes every query and shows what the other apps hold"),
    ("programs' models", ["programs.models"], ["households.models", "agencies.models"],
     "a program belongs to an agency; an enrollment to a household"),
    ("programs (enrollments, targeting, distribution, dashboard)", ["programs", "programs.*"],
     ["households", "agencies", "dedup"],
     "every enrollment write runs the dedup engine; pages are scoped by agencies' selectors"),
    ("dedup (the one-aid rule, identity duplicates)", ["dedup", "dedup.*"], ["households", "programs"],
     "knows households and programs, never agencies"),
    ("verval (field verification: cases, visits, approval, proposals)", ["verval", "verval.*"],
     ["households", "programs", "agencies", "dedup.membership"],
     "cases are about households; candidates and enrollment writes are programs'; roles, scoping and the export log are agencies'; "
     "members marked absent or added re-check the one-aid rule and identities through dedup's membership writes"),
    ("konut_registry (settings, URLs, neutral helpers)", ["konut_registry", "konut_registry.*"], [],
     "serves every app, imports none (URLs include apps by name)"),
]


# --- Reading the code --------------------------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def product_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            modules[_module_name(path)] = path
    return modules


def _resolve(name: str) -> str | None:
    """The product module ``name`` refers to (itself, or the package holding a name it imports)."""
    modules = product_modules()
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _type_checking_imports(tree: ast.AST) -> set[int]:
    """The import statements under ``if TYPE_CHECKING:``: they name types and never run."""
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            guarded.update(id(inner) for statement in node.body for inner in ast.walk(statement))
    return guarded


def imported_names(source: str, *, package: str, runtime_only: bool = False) -> set[str]:
    """Dotted names that ``source`` imports anywhere (module level, functions, classes), relative
    imports made absolute from ``package``; ``from pkg import name`` gives ``pkg.name``.
    ``runtime_only`` leaves out the imports under ``if TYPE_CHECKING:``."""
    tree = ast.parse(source)
    skipped = _type_checking_imports(tree) if runtime_only else set()
    names = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


@cache
def imports_of(module: str, *, runtime_only: bool = False) -> frozenset[str]:
    """Every product module ``module`` imports (a name imported from a module resolves to it)."""
    path = product_modules()[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = imported_names(path.read_text(), package=package, runtime_only=runtime_only)
    return frozenset({_resolve(name) for name in names} - {None, module})


def _imports_django(module: str) -> bool:
    path = product_modules()[module]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "django" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == "django":
            return True
    return False


def _matches(module: str, patterns) -> bool:
    return any(fnmatchcase(module, pattern) for pattern in patterns)


def layer_of(module: str) -> str | None:
    patterns = {name: pats for name, _what, pats in LAYERS}
    for name in LAYER_LOOKUP:
        if _matches(module, patterns[name]):
            return name
    return None


def app_rule(module: str):
    return next((rule for rule in APP_RULES if _matches(module, rule[1])), None)


def _allowed(target: str, allowed: list[str]) -> bool:
    return any(target == prefix or target.startswith(prefix + ".") for prefix in allowed)


# --- The tests ---------------------------------------------------------------------------------------


def test_the_walk_sees_the_code():
    """The reader finds the modules and the imports it must judge (a broken walk passes anything)."""
    assert {"programs.services", "dedup.engine", "households.models"} <= set(product_modules())
    assert "dedup.engine" in imports_of("programs.services")
    assert "programs.models" in imports_of("dedup.models")
    source = (
        "from . import views\n"
        "from ..models import Household\n"
        "class A:\n"
        "    def f(self):\n"
        "        from programs.services import enrollment_create\n"
        "        import dedup.engine\n"
        "if TYPE_CHECKING:\n"
        "    from .plan import Plan\n"
    )
    assert imported_names(source, package="households.imports") == {
        "households.imports.views", "households.models.Household", "programs.services.enrollment_create", "dedup.engine",
        "households.imports.plan.Plan",
    }
    assert "households.imports.plan.Plan" not in imported_names(source, package="households.imports", runtime_only=True)
    assert _resolve("programs.services.enrollment_create") == "programs.services"


def _has_code(module: str) -> bool:
    """More than a docstring (an empty package module needs no layer)."""
    body = ast.parse(product_modules()[module].read_text()).body
    return any(not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)) for node in body)


def test_every_module_has_a_layer():
    unplaced = [m for m in product_modules() if layer_of(m) is None and _has_code(m)]
    assert not unplaced, f"place these modules in a layer of tests/test_architecture.py: {unplaced}"


def test_layers_import_downward_only():
    wrong = []
    for module in sorted(product_modules()):
        layer = layer_of(module)
        for target in sorted(imports_of(module)):
            target_layer = layer_of(target)
            if layer and target_layer and RANK[target_layer] > RANK[layer]:
                wrong.append(f"{module} ({layer}) imports {target} ({target_layer})")
    assert not wrong, "\n".join(wrong)


def test_pure_code_imports_no_django():
    wrong = [m for m in product_modules() if layer_of(m) == "pure" and _imports_django(m)]
    assert not wrong, f"pure modules importing Django: {wrong}"


def test_apps_import_only_what_their_rules_allow():
    wrong = []
    for module in sorted(product_modules()):
        rule = app_rule(module)
        assert rule is not None, f"{module} has no app rule"
        who, _patterns, allowed, _why = rule
        own = module.split(".")[0]
        for target in sorted(imports_of(module)):
            app = target.split(".")[0]
            if app in (own, "konut_registry") or _allowed(target, allowed):
                continue
            wrong.append(f"{module} ({who}) imports {target}")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    # Imports under ``if TYPE_CHECKING:`` name types for annotations and never run: they are held to
    # the layer and app rules above, but cannot make an import cycle.
    graph = {module: sorted(imports_of(module, runtime_only=True)) for module in product_modules()}
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    assert not cycles, f"modules that import each other: {cycles}"


@pytest.mark.parametrize(
    "module, target",
    [("households.models", "programs.models"), ("dedup.services", "agencies.selectors"), ("households.identifiers", "django")],
)
def test_the_rules_refuse_what_they_should(module, target):
    """The rules themselves: the imports the documented direction forbids are refused."""
    if target == "django":
        assert layer_of(module) == "pure"
        return
    who, _patterns, allowed, _why = app_rule(module)
    assert not _allowed(target, allowed) and target.split(".")[0] != module.split(".")[0]


# --- The documentation says the same ------------------------------------------------------------------


def layers_markdown() -> str:
    rows = ["| layer | holds | may import |", "|---|---|---|"]
    for index, (name, what, _patterns) in enumerate(LAYERS):
        below = [n for n, _w, _p in LAYERS[index + 1:]]
        may = f"its own layer, {', '.join(below)}" if below else "its own layer only, and no Django"
        rows.append(f"| {name} | {what} | {may} |")
    return "\n".join(rows)


def apps_markdown() -> str:
    rows = ["| part | may import from other apps | why |", "|---|---|---|"]
    for who, _patterns, allowed, why in APP_RULES:
        rows.append(f"| {who} | {', '.join(f'`{a}`' for a in allowed) or 'none'} | {why} |")
    return "\n".join(rows)


def test_docs_state_the_same_rules():
    page = (ROOT / "docs" / "architecture.md").read_text()
    assert layers_markdown() in page, "docs/architecture.md: paste layers_markdown() from tests/test_architecture.py"
    assert apps_markdown() in page, "docs/architecture.md: paste apps_markdown() from tests/test_architecture.py"
