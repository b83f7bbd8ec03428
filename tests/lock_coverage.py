"""Row locks under the transactions production runs them in (a pytest
plugin: pyproject's addopts load it with `-p tests.lock_coverage`).

Ordinary tests run inside a transaction of the test's own, so a
`select_for_update` that production runs outside any transaction — a service
that lost its `@transaction.atomic`, a 500 on PostgreSQL — passes there. Two
things close that gap:

1. In every test, a query with FOR UPDATE that runs inside no transaction but
   the test's own raises TransactionManagementError, as it does in production.
2. At the end of a whole-suite run, every `select_for_update` call site in the
   app (found by reading the source) and every app function through which any
   test reached a row lock must have been reached at least once under real
   transactions: in a `transaction=True` test or a browser test. A site or
   function that was not fails the run, with the list. A partial run (some
   files, -k, -m, --lf, stopped early) proves nothing either way and is not
   checked. Under pytest-xdist the workers' records are merged first.
"""

import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP_PACKAGES = ("firm_portal", "clients", "collaboration", "licensing", "notifications")

# Call sites and functions that no transaction=True test has to reach, each
# with the reason ("path" or "path::qualname").
EXEMPT: dict[str, str] = {
    "firm_portal/management/large_world/clients.py": (
        "the benchmark's data set (manage.py seed_large, make bench), built on a "
        "database of its own, never by the app"
    ),
}


# --- Reading the source ---------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """A `select_for_update(...)` call in the source: its file, the lines the
    call spans and the function it is in."""

    path: str
    first_line: int
    last_line: int
    function: str

    def __str__(self) -> str:
        return f"{self.path}:{self.first_line} ({self.function})"


class _SiteFinder(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.scope: list[str] = []
        self.sites: list[Site] = []

    def _visit_scope(self, node: ast.AST, name: str, *, function: bool) -> None:
        self.scope.append(name)
        if function:
            self.scope.append("<locals>")
        self.generic_visit(node)
        del self.scope[-2 if function else -1 :]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._visit_scope(node, node.name, function=False)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._visit_scope(node, node.name, function=True)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._visit_scope(node, node.name, function=True)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute) and node.func.attr == "select_for_update":
            scope = self.scope[:-1] if self.scope[-1:] == ["<locals>"] else self.scope
            self.sites.append(
                Site(
                    path=self.path,
                    first_line=node.lineno,
                    last_line=node.end_lineno or node.lineno,
                    function=".".join(scope) or "<module>",
                )
            )
        self.generic_visit(node)


def sites_in_source(source: str, path: str) -> list[Site]:
    finder = _SiteFinder(path)
    finder.visit(ast.parse(source, filename=path))
    return finder.sites


def app_sites(root: Path = ROOT) -> list[Site]:
    """Every `select_for_update` call in the app's packages (not migrations)."""
    sites: list[Site] = []
    for package in APP_PACKAGES:
        for file in sorted((root / package).rglob("*.py")):
            relative = file.relative_to(root).as_posix()
            if "/migrations/" in relative:
                continue
            sites.extend(sites_in_source(file.read_text(encoding="utf-8"), relative))
    return sites


# --- Recording while the tests run -------------------------------------------------------


@dataclass
class Records:
    """What the tests reached: (path, line) of each lock taken under real
    transactions, and the app functions on the way to any lock (with a test
    that did it) and to one under real transactions."""

    real_sites: set[tuple[str, int]] = field(default_factory=set)
    functions_any: dict[str, str] = field(default_factory=dict)
    functions_real: set[str] = field(default_factory=set)

    def merge(self, other: dict[str, Any]) -> None:
        self.real_sites.update((path, line) for path, line in other["real_sites"])
        for function, test in other["functions_any"]:
            self.functions_any.setdefault(function, test)
        self.functions_real.update(other["functions_real"])

    def as_output(self) -> dict[str, Any]:
        """For xdist's workeroutput: plain lists."""
        return {
            "real_sites": sorted(self.real_sites),
            "functions_any": sorted(self.functions_any.items()),
            "functions_real": sorted(self.functions_real),
        }


records = Records()
_current_test = ""
_app_files: dict[str, str | None] = {}


def _app_path(filename: str) -> str | None:
    """The app-relative path of a code file, or None outside the app."""
    if filename not in _app_files:
        path = Path(filename)
        relative = None
        if path.is_absolute() and path.is_relative_to(ROOT):
            relative = path.relative_to(ROOT).as_posix()
            if relative.split("/", 1)[0] not in APP_PACKAGES:
                relative = None
        _app_files[filename] = relative
    return _app_files[filename]


def _app_frames(frame: FrameType | None) -> list[tuple[str, int, str]]:
    """(path, line, qualname) of each app frame on the stack, innermost first."""
    frames = []
    while frame is not None:
        path = _app_path(frame.f_code.co_filename)
        if path is not None:
            frames.append((path, frame.f_lineno, frame.f_code.co_qualname))
        frame = frame.f_back
    return frames


def in_test_transaction_only(connection: Any) -> bool:
    """Whether every open transaction on `connection` is the test's own (so
    production would be in autocommit here)."""
    blocks = connection.atomic_blocks
    return bool(blocks) and all(getattr(block, "_from_testcase", False) for block in blocks)


def record_lock(connection: Any, frame: FrameType | None) -> None:
    frames = _app_frames(frame)
    if not frames:
        return
    real = not any(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)
    path, line, _function = frames[0]
    for frame_path, _line, function in frames:
        key = f"{frame_path}::{function}"
        records.functions_any.setdefault(key, _current_test)
        if real:
            records.functions_real.add(key)
    if real:
        records.real_sites.add((path, line))


def _install() -> None:
    from django.db import connections
    from django.db.models.query import QuerySet
    from django.db.models.sql.compiler import SQLCompiler
    from django.db.transaction import TransactionManagementError

    select_for_update = QuerySet.select_for_update
    execute_sql = SQLCompiler.execute_sql

    def recording_select_for_update(self: QuerySet, *args: Any, **kwargs: Any) -> QuerySet:
        record_lock(connections[self.db], sys._getframe(1))
        return select_for_update(self, *args, **kwargs)

    def checked_execute_sql(self: SQLCompiler, *args: Any, **kwargs: Any) -> Any:
        if self.query.select_for_update and in_test_transaction_only(self.connection):
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction "
                "(only the test's own transaction is open: production has none here)."
            )
        return execute_sql(self, *args, **kwargs)

    QuerySet.select_for_update = recording_select_for_update  # type: ignore[method-assign,assignment]
    SQLCompiler.execute_sql = checked_execute_sql  # type: ignore[method-assign]


# --- Checking at the end -------------------------------------------------------------------


def uncovered_sites(sites: Iterable[Site], real_sites: set[tuple[str, int]]) -> list[Site]:
    lines_by_path: dict[str, set[int]] = {}
    for path, line in real_sites:
        lines_by_path.setdefault(path, set()).add(line)
    return [
        site
        for site in sites
        if not _exempt(site.path, site.function)
        and not any(
            site.first_line <= line <= site.last_line for line in lines_by_path.get(site.path, ())
        )
    ]


def uncovered_functions(recorded: Records) -> dict[str, str]:
    """Functions that reached a lock only inside a test's transaction, each
    with a test that reached it."""
    return {
        function: test
        for function, test in sorted(recorded.functions_any.items())
        if function not in recorded.functions_real and not _exempt(*function.split("::", 1))
    }


def _exempt(path: str, function: str) -> bool:
    return path in EXEMPT or f"{path}::{function}" in EXEMPT


@dataclass
class RunState:
    """Whether this session ran the whole suite, and the app's call sites as
    the session found them (read at its start: the code the tests ran)."""

    whole_selection: bool = True  # the test paths, nothing deselected or filtered
    collected: int = 0
    finished: set[str] = field(default_factory=set)
    interrupted: bool = False
    sites: list[Site] = field(default_factory=list)

    def whole_suite_ran(self) -> bool:
        return (
            self.whole_selection
            and not self.interrupted
            and self.collected > 0
            and len(self.finished) == self.collected
        )


run = RunState()


def selects_everything(config: Any) -> bool:
    """Whether the command line asks for the whole suite: the configured test
    paths (none given, or exactly those), and no -k, -m, --lf, --sw or
    --deselect."""
    paths = config.args_source == pytest.Config.ArgsSource.TESTPATHS or sorted(
        Path(arg).resolve() for arg in config.args
    ) == sorted((ROOT / path).resolve() for path in config.getini("testpaths"))
    options = ("keyword", "markexpr", "lf", "stepwise", "deselect")
    return paths and not any(config.getoption(option, None) for option in options)


def report_lines(sites: list[Site], recorded: Records) -> list[str]:
    """What is missing, one line each (empty: nothing)."""
    lines = [f"select_for_update at {site}" for site in uncovered_sites(sites, recorded.real_sites)]
    lines += [
        f"{function}, reached a lock only in tests like {test}"
        for function, test in uncovered_functions(recorded).items()
    ]
    return lines


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    _install()
    run.whole_selection = selects_everything(config)


def pytest_sessionstart(session: pytest.Session) -> None:
    if not _is_xdist_worker(session.config):
        run.sites = app_sites()


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        run.whole_selection = False


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    run.collected = len(session.items)


def pytest_runtest_setup(item: pytest.Item) -> None:
    global _current_test
    _current_test = item.nodeid


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "teardown":
        run.finished.add(report.nodeid)


def pytest_keyboard_interrupt() -> None:
    run.interrupted = True


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """xdist's controller: a worker's records."""
    output = getattr(node, "workeroutput", {}).get("lock_coverage")
    if output:
        records.merge(output)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _is_xdist_worker(config):
        config.workeroutput["lock_coverage"] = records.as_output()  # type: ignore[attr-defined]
        return
    if session.shouldfail or session.shouldstop:
        run.interrupted = True
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if not run.whole_suite_ran():
        if reporter is not None and run.collected:
            reporter.write_line("Row locks: not checked (not the whole suite).")
        return
    lines = report_lines(run.sites, records)
    if not lines:
        return
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if reporter is None:
        return
    reporter.write_sep("=", "row locks never taken under real transactions", red=True)
    reporter.write_line(
        "Each of these must run at least once in a @pytest.mark.django_db(transaction=True) "
        "test or a browser test (tests/lock_coverage.py explains why):"
    )
    for line in lines:
        reporter.write_line(f"  {line}")
