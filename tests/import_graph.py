"""Cross-app imports and cycles, counted (`make imports`; README, "Layers").

Reads the import graph with grimp (installed with import-linter) and prints,
for the app code of the five apps (migrations left out): every import
statement from one app into another, by pair; the pairs that import each
other; the import cycles between modules; the cross-app imports written
inside a function body (they exist to dodge a cycle); and the imports that
run against the target order of the README, which block a `layers` contract.

    .venv/bin/python -m tests.import_graph          # the summary
    .venv/bin/python -m tests.import_graph --list   # plus every upward import
"""

import ast
import configparser
import os
import sys
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import django
import grimp
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
APPS = ("firm_portal", "clients", "collaboration", "licensing", "notifications", "ledger")

# The order (README, "Layers"), highest first, with the modules sorted into
# it: firm_portal holds the composition root (settings, root urls, Celery app,
# seed commands) on top, people and firms in the middle and the shared
# helpers (those of `helpers-import-no-domain` in .importlinter) at the bottom.
PROJECT_MODULES = (
    "firm_portal.settings",
    "firm_portal.urls",
    "firm_portal.urls_portal",
    "firm_portal.celery",
    "firm_portal.wsgi",
    "firm_portal.gunicorn_conf",
    "firm_portal.management",
)
# The sign-in edge: login forms, the offers-only login, two-factor, the
# middleware and context processors. Like the pages, it handles the request
# and asks clients who may sign in and how; no app imports it (.importlinter,
# sign-in-edge-on-top).
EDGE_MODULES = (
    "firm_portal.forms",
    "firm_portal.offers_only",
    "firm_portal.two_factor",
    "firm_portal.middleware",
    "firm_portal.context_processors",
)
LAYERS = (
    ("project",),
    ("pages",),
    ("collaboration",),
    ("licensing",),
    ("clients",),
    ("firm_portal",),
    ("ledger", "notifications"),
    ("helpers",),
)


@cache
def helper_modules() -> frozenset[str]:
    """firm_portal's shared helpers, as .importlinter's helpers contract lists them."""
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter", encoding="utf-8")
    listed = parser["importlinter:contract:helpers-import-no-domain"]["source_modules"]
    return frozenset(listed.split())


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    local: bool

    @property
    def pair(self) -> tuple[str, str]:
        return app_of(self.importer), app_of(self.imported)


def app_of(module: str) -> str:
    return module.split(".")[0]


def layer_of(module: str) -> str:
    if any(module == m or module.startswith(m + ".") for m in PROJECT_MODULES):
        return "project"
    last = module.rsplit(".", 1)[-1]
    if last in ("views", "urls", "urls_portal") or last.endswith("_views"):
        return "pages"
    if any(module == m or module.startswith(m + ".") for m in EDGE_MODULES):
        return "pages"
    if any(module == m or module.startswith(m + ".") for m in helper_modules()):
        return "helpers"
    return app_of(module)


def is_app_code(module: str) -> bool:
    return ".migrations" not in module and app_of(module) in APPS


@cache
def _function_lines(module: str) -> frozenset[int]:
    """Line numbers of import statements inside a function body."""
    path = ROOT / Path(*module.split("."))
    file = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    tree = ast.parse(file.read_text(encoding="utf-8"))
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    lines.add(inner.lineno)
    return frozenset(lines)


def build() -> grimp.ImportGraph:
    sys.path.insert(0, str(ROOT))
    return grimp.build_graph(*APPS, cache_dir=None)


def cross_app_imports(graph: grimp.ImportGraph) -> list[Import]:
    found = []
    for importer in sorted(m for m in graph.modules if is_app_code(m)):
        for imported in graph.find_modules_directly_imported_by(importer):
            if not is_app_code(imported) or app_of(imported) == app_of(importer):
                continue
            for detail in graph.get_import_details(importer=importer, imported=imported):
                line = detail["line_number"]
                found.append(Import(importer, imported, line, line in _function_lines(importer)))
    return sorted(found, key=lambda i: (i.importer, i.line, i.imported))


def module_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    nodes = sorted(m for m in graph.modules if is_app_code(m))
    edges = {
        m: sorted(n for n in graph.find_modules_directly_imported_by(m) if is_app_code(n))
        for m in nodes
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))

    for node in nodes:
        if node not in index:
            visit(node)
    return sorted(components, key=lambda c: (-len(c), c))


def upward(imports: list[Import]) -> list[Import]:
    """Imports from a lower layer into a higher one (LAYERS, highest first)."""
    rank = {name: position for position, names in enumerate(LAYERS) for name in names}
    return [
        i
        for i in imports
        if layer_of(i.importer) != layer_of(i.imported)
        and rank[layer_of(i.importer)] > rank[layer_of(i.imported)]
    ]


@dataclass(frozen=True)
class Reference:
    """A foreign key, one-to-one or many-to-many from a model of one app to a
    model of another, as Django's model registry has it."""

    field: str  # "app.Model.field"
    source: str  # the app of the model holding the field
    target: str  # the app of the model it points at

    @property
    def upward(self) -> bool:
        rank = {name: position for position, names in enumerate(LAYERS) for name in names}
        return rank[layer_of(f"{self.target}.models")] < rank[layer_of(f"{self.source}.models")]


def model_references() -> list[Reference]:
    """Every reference between models of two of the apps (Django set up)."""
    found = []
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.get_fields():
                if not (field.is_relation and field.concrete) or field.related_model is None:
                    continue
                target = field.related_model._meta.app_label
                if target in APPS and target != label:
                    name = f"{label}.{model.__name__}.{field.name}"
                    found.append(Reference(name, label, target))
    return sorted(found, key=lambda r: r.field)


def main(argv: list[str]) -> int:
    graph = build()
    imports = cross_app_imports(graph)
    pairs = Counter(i.pair for i in imports)
    print(f"cross-app imports (statements, app code, migrations left out): {len(imports)}")
    for (src, dst), count in sorted(pairs.items()):
        print(f"  {src:>14} -> {dst:<14} {count:4}")
    mutual = sorted({tuple(sorted(p)) for p in pairs if (p[1], p[0]) in pairs})
    print(f"app pairs importing each other: {len(mutual)}")
    for a, b in mutual:
        print(f"  {a} <-> {b}")
    local = [i for i in imports if i.local]
    print(f"cross-app imports inside a function body: {len(local)}")
    cycles = module_cycles(graph)
    in_cycles = sum(len(c) for c in cycles)
    largest = max(map(len, cycles), default=0)
    print(f"module import cycles: {len(cycles)} (modules in them: {in_cycles}, largest {largest})")
    against = upward(imports)
    by_layer = Counter((layer_of(i.importer), layer_of(i.imported)) for i in against)
    order = " > ".join(" | ".join(names) for names in LAYERS)
    print(f"imports against the target order {order}: {len(against)}")
    for (src, dst), count in sorted(by_layer.items()):
        print(f"  {src:>14} -> {dst:<14} {count:4}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firm_portal.settings")
    django.setup()
    references = model_references()
    against_order = [r for r in references if r.upward]
    print(f"model references across apps (foreign keys etc.): {len(references)}")
    print(f"model references against the order: {len(against_order)}")
    if "--list" in argv:
        for r in against_order:
            print(f"  upward {r.field} -> {r.target}")
        for i in local:
            print(f"  local  {i.importer}:{i.line} -> {i.imported}")
        for i in against:
            print(f"  upward {i.importer}:{i.line} -> {i.imported}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
