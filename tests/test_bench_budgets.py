"""The page budgets of `make bench` (tests/bench/report.py, issue 18): CPU per
request as a multiple of the bare 50-row template's, by the page's kind, with
✓/✗ in the report of each data set and in the side-by-side table."""

from datetime import UTC, datetime

from tests.bench.cpu import Usage
from tests.bench.loadgen import LoadResult
from tests.bench.national import Measured, side_by_side
from tests.bench.pages import Page
from tests.bench.report import Context, budget_cell, render


def page(key: str, kind: str) -> Page:
    return Page(key, key.title(), f"/{key}/", lambda: None, lambda response: True, kind=kind)  # type: ignore[arg-type,return-value]


PAGES = [page("rows50", "floor"), page("list", "read"), page("cell", "fragment")]


def measured(cpu_ms: dict[str, float]) -> Measured:
    results = {key: LoadResult(latencies=[0.01] * 10, elapsed=1.0) for key in cpu_ms}
    usage = {
        key: Usage(app=ms * 10 / 1000, database=0.0, other=0.0, elapsed=1.0)
        for key, ms in cpu_ms.items()
    }
    return Measured("10k", PAGES, {p.key: (3, True) for p in PAGES}, results, usage, (1.0, 1.0))


def test_each_kind_has_its_budget_and_floors_none():
    assert budget_cell(page("a", "read"), 3.0) == "≤ 3 ✓"
    assert budget_cell(page("a", "read"), 3.1) == "≤ 3 ✗"
    assert budget_cell(page("a", "fragment"), 2.1) == "≤ 2 ✗"
    assert budget_cell(page("a", "write"), 4.9) == "≤ 5 ✓"
    assert budget_cell(page("a", "bulk"), 34.0) == "≤ 35 ✓"
    assert budget_cell(page("a", "floor"), 9.0) == "–"
    assert budget_cell(page("a", "read"), None) == "≤ 3 ?"


def test_the_report_and_the_side_by_side_table_mark_every_budgeted_page():
    run = measured({"rows50": 2.0, "list": 5.0, "cell": 3.0})
    context = Context(
        "abc1234",
        datetime(2026, 12, 7, tzinfo=UTC),
        2,
        "3.13",
        170000,
        "10k",
        2,
        4,
        6,
        1.5,
        (1, 1, 1),
        (1, 1, 1),
    )
    text = render(context, PAGES, run.queries, run.results, run.usage, {}, [])
    assert "| 2.5 | ≤ 3 ✓ |" in text
    assert "| 1.5 | ≤ 2 ✓ |" in text
    assert "Budgets met: 2 of 2." in text
    table = side_by_side([run, measured({"rows50": 2.0, "list": 8.0, "cell": 3.0})])
    assert "| List | 5.0 | 2.5 | ≤ 3 ✓ | 3 | 8.0 | 4.0 | ≤ 3 ✗ | 3 |" in table
    assert "10k: Budgets met: 1 of 2 (missed: List)." in table


def test_profile_groups_each_function_by_where_its_code_lives():
    from collections import Counter

    from tests.bench.profile import APP, PYTHON, group_of, markdown

    venv = "/app/.venv/lib/python3.13/site-packages/"
    assert group_of(venv + "django/template/base.py", "/app") == "templates"
    assert group_of("/app/clients/templatetags/permissions.py", "/app") == "templates"
    assert group_of(venv + "django/db/models/sql/compiler.py", "/app") == (
        "ORM: queries built and compiled"
    )
    assert group_of(venv + "django/db/models/query.py", "/app") == "ORM: querysets, models, fields"
    assert group_of(venv + "psycopg/cursor.py", "/app") == "database driver (and waiting)"
    assert group_of(venv + "django/middleware/csrf.py", "/app") == "rest of Django and libraries"
    assert group_of("/app/clients/selectors.py", "/app") == APP
    assert group_of("~", "/app") == PYTHON
    table = markdown(
        {"list": Counter({"templates": 0.3, APP: 0.1, PYTHON: 0.6})}, {"list": "Listan"}, 10
    )
    assert "| Listan | 100.0 | 30% |" in table
    assert table.rstrip().endswith("| 10% | 60% |")
