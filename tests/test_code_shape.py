"""The code's shape, as a ratchet (issue 15, "Small parts").

In app code (the five apps, migrations left out): no function over 60 lines,
no view over 30 (a function in `views.py` or a `*_views.py` module, or one
whose first parameter, after `self`/`cls`, is `request`), no module over 600.
A function's length runs from its `def` line to its last line, decorators
left out, nested functions included.

Today's offenders are listed below with their length. The test fails when a
new offender appears, when a listed one grows, and when a listed one is no
longer an offender (split, renamed or removed): then strike it from the list,
so the list only shrinks. Print the current offenders in the list's format
with `python -m tests.test_code_shape`.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("firm_portal", "clients", "collaboration", "licensing", "notifications", "ledger")
MAX_FUNCTION = 60
MAX_VIEW = 30
MAX_MODULE = 600

# Functions over 60 lines: "path:qualified name" -> lines.
LONG_FUNCTIONS: dict[str, int] = {}

# Views over 30 lines.
LONG_VIEWS: dict[str, int] = {}

# Modules over 600 lines.
LONG_MODULES: dict[str, int] = {}


def app_modules(root: Path = ROOT, apps: tuple[str, ...] = APPS) -> Iterator[Path]:
    for app in apps:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" not in path.relative_to(root).parts:
                yield path


def is_view_module(path: Path) -> bool:
    return path.name == "views.py" or path.name.endswith("_views.py")


def takes_request_first(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    params = [*node.args.posonlyargs, *node.args.args]
    if params and params[0].arg in ("self", "cls"):
        params = params[1:]
    return bool(params) and params[0].arg == "request"


def measure(path: Path, root: Path = ROOT) -> tuple[dict[str, int], dict[str, int], int]:
    """(functions, views, module lines) of one file; every function measured."""
    text = path.read_text(encoding="utf-8")
    name = path.relative_to(root).as_posix()
    functions: dict[str, int] = {}
    views: dict[str, int] = {}

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                qualified = f"{prefix}{child.name}"
                length = (child.end_lineno or child.lineno) - child.lineno + 1
                functions[f"{name}:{qualified}"] = length
                if is_view_module(path) or takes_request_first(child):
                    views[f"{name}:{qualified}"] = length
                walk(child, f"{qualified}.")
            elif isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")
            else:
                walk(child, prefix)

    walk(ast.parse(text), "")
    return functions, views, len(text.splitlines())


def offenders(
    root: Path = ROOT, apps: tuple[str, ...] = APPS
) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    long_functions: dict[str, int] = {}
    long_views: dict[str, int] = {}
    long_modules: dict[str, int] = {}
    for path in app_modules(root, apps):
        functions, views, lines = measure(path, root)
        long_functions |= {k: n for k, n in functions.items() if n > MAX_FUNCTION}
        long_views |= {k: n for k, n in views.items() if n > MAX_VIEW}
        if lines > MAX_MODULE:
            long_modules[path.relative_to(root).as_posix()] = lines
    return long_functions, long_views, long_modules


def ratchet(kind: str, limit: int, found: dict[str, int], allowed: dict[str, int]) -> list[str]:
    """What is wrong with `found` against the allow-list, one line each."""
    problems = []
    for name, length in sorted(found.items()):
        if name not in allowed:
            problems.append(f"new {kind} over {limit} lines: {name} ({length})")
        elif length > allowed[name]:
            problems.append(f"{kind} grew: {name} {allowed[name]} -> {length}")
    for name in sorted(set(allowed) - set(found)):
        problems.append(f"{kind} no longer over {limit} lines, strike it from the list: {name}")
    return problems


def check(
    root: Path = ROOT,
    apps: tuple[str, ...] = APPS,
    allowed: tuple[dict[str, int], dict[str, int], dict[str, int]] | None = None,
) -> list[str]:
    functions, views, modules = offenders(root, apps)
    allowed_functions, allowed_views, allowed_modules = allowed or (
        LONG_FUNCTIONS,
        LONG_VIEWS,
        LONG_MODULES,
    )
    return [
        *ratchet("function", MAX_FUNCTION, functions, allowed_functions),
        *ratchet("view", MAX_VIEW, views, allowed_views),
        *ratchet("module", MAX_MODULE, modules, allowed_modules),
    ]


def test_the_code_keeps_its_shape() -> None:
    problems = check()
    assert not problems, "\n".join(problems)


def test_the_allow_lists_are_sorted() -> None:
    for listed in (LONG_FUNCTIONS, LONG_VIEWS, LONG_MODULES):
        assert list(listed) == sorted(listed)


# The checker itself, on a small app written to a temporary directory.


def _function(name: str, lines: int, first: str = "x") -> str:
    body = "".join("    y = 1\n" for _ in range(lines - 2))
    return f"def {name}({first}):\n{body}    return y\n\n\n"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "shop" / "migrations").mkdir(parents=True)
    (tmp_path / "shop" / "services.py").write_text(_function("short", 60))
    (tmp_path / "shop" / "views.py").write_text(_function("page", 30, "request"))
    (tmp_path / "shop" / "migrations" / "0001_initial.py").write_text(_function("long", 700))
    return tmp_path


def test_a_tree_within_the_limits_passes(app: Path) -> None:
    assert check(app, ("shop",), ({}, {}, {})) == []


def test_a_deliberate_offender_fails(app: Path) -> None:
    (app / "shop" / "services.py").write_text(_function("long", 61))
    (app / "shop" / "helpers.py").write_text(_function("page", 31, "request"))
    (app / "shop" / "views.py").write_text(_function("listing", 31))
    (app / "shop" / "big.py").write_text("x = 1\n" * 601)
    assert check(app, ("shop",), ({}, {}, {})) == [
        "new function over 60 lines: shop/services.py:long (61)",
        "new view over 30 lines: shop/helpers.py:page (31)",
        "new view over 30 lines: shop/views.py:listing (31)",
        "new module over 600 lines: shop/big.py (601)",
    ]


def test_a_listed_offender_may_not_grow_and_must_be_struck_when_fixed(app: Path) -> None:
    (app / "shop" / "services.py").write_text(_function("long", 70) + _function("nested", 62))
    allowed: tuple[dict[str, int], dict[str, int], dict[str, int]] = (
        {"shop/services.py:long": 69, "shop/services.py:gone": 80},
        {},
        {},
    )
    assert check(app, ("shop",), allowed) == [
        "function grew: shop/services.py:long 69 -> 70",
        "new function over 60 lines: shop/services.py:nested (62)",
        "function no longer over 60 lines, strike it from the list: shop/services.py:gone",
    ]


def test_methods_and_nested_functions_are_named_by_their_place(app: Path) -> None:
    source = "class Admin:\n    def changelist(self, request):\n" + "        y = 1\n" * 30
    source += "\n\ndef outer():\n    def inner(request):\n" + "        y = 1\n" * 30
    (app / "shop" / "admin.py").write_text(source)
    functions, views, _ = measure(app / "shop" / "admin.py", app)
    assert functions == {
        "shop/admin.py:Admin.changelist": 31,
        "shop/admin.py:outer": 32,
        "shop/admin.py:outer.inner": 31,
    }
    assert views == {"shop/admin.py:Admin.changelist": 31, "shop/admin.py:outer.inner": 31}


if __name__ == "__main__":
    titles = ("LONG_FUNCTIONS", "LONG_VIEWS", "LONG_MODULES")
    for title, listed in zip(titles, offenders(), strict=True):
        print(f"{title}: dict[str, int] = {{")
        for name, length in sorted(listed.items()):
            print(f'    "{name}": {length},')
        print("}\n")
