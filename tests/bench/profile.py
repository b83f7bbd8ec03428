"""`make bench BENCH_ARGS=--profile`: where each page's CPU goes.

Each page is requested in-process (django.test.Client, the bench's
production settings, the same sessions as the load) under cProfile, and the
time every function spent in itself is summed by what it belongs to: the
ORM building and compiling SQL, the database driver, the template engine,
translations, forms, URL reversing, the rest of Django, our own code, and
Python's builtins and standard library (called from all of these).

Shares, not milliseconds: cProfile slows Python calls down more than it
slows waiting, so its absolute times are not the load's. The driver's share
includes waiting for PostgreSQL, which the load reports as DB CPU."""

import cProfile
import pstats
from collections import Counter
from collections.abc import Callable

from django.test import Client as TestClient

from tests.bench.loadgen import PoolExhausted
from tests.bench.pages import Page, count_once

# (what it is, where its code lives): the first whose marker is in a
# function's file name takes its time.
GROUPS: list[tuple[str, tuple[str, ...]]] = [
    ("templates", ("django/template/", "/templatetags/")),
    ("ORM: queries built and compiled", ("django/db/models/sql/", "django/db/models/expressions")),
    ("ORM: querysets, models, fields", ("django/db/models/",)),
    ("database driver (and waiting)", ("django/db/backends/", "/psycopg/")),
    ("forms", ("django/forms/",)),
    ("translations", ("django/utils/translation/",)),
    ("URL reversing", ("django/urls/",)),
    ("sessions, cache, Redis", ("django/contrib/sessions/", "django/core/cache/", "/redis/")),
    ("rest of Django and libraries", ("site-packages/",)),
]
APP = "our code"
PYTHON = "Python builtins and stdlib"
COLUMNS = [name for name, _markers in GROUPS] + [APP, PYTHON]


def group_of(filename: str, root: str) -> str:
    for name, markers in GROUPS:
        if any(marker in filename for marker in markers):
            return name
    if filename.startswith(root):
        return APP
    return PYTHON


def profile_page(page: Page, requests: int, root: str) -> Counter[str] | None:
    """Shares of the page's own time per group over `requests` requests
    (after two that warm per-process caches); None if the page has no
    targets left to write to."""
    client = TestClient(HTTP_HOST="127.0.0.1")
    try:
        for _warm in range(2):
            count_once(page, client)
        profiler = cProfile.Profile()
        profiler.enable()
        for _request in range(requests):
            count_once(page, client)
        profiler.disable()
    except PoolExhausted:
        return None
    spent: Counter[str] = Counter()
    for (filename, _line, _name), row in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        spent[group_of(filename, root)] += row[2]  # tottime
    return spent


def markdown(shares: dict[str, Counter[str]], titles: dict[str, str], requests: int) -> str:
    """One row per page: its profiled time per request (for scale only) and
    each group's share of it."""
    lines = [
        "### Where the CPU goes (cProfile, share of each page's time)",
        "",
        "| Page | profiled ms/req | " + " | ".join(COLUMNS) + " |",
        "|---|---:|" + "---:|" * len(COLUMNS),
    ]
    for key, spent in shares.items():
        total = sum(spent.values()) or 1.0
        cells = [f"{spent[column] / total:.0%}" for column in COLUMNS]
        per_request = f"{total / requests * 1000:.1f}"
        lines.append(f"| {titles[key]} | {per_request} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def profile_pages(
    page_list: list[Page], requests: int, root: str, log: Callable[[str], None]
) -> str:
    shares: dict[str, Counter[str]] = {}
    for page in page_list:
        if page.key == "floor":
            continue
        spent = profile_page(page, requests, root)
        if spent is None:
            log(f"{page.key}: no targets left, not profiled")
            continue
        shares[page.key] = spent
        log(f"{page.key}: profiled {requests} requests")
    return markdown(shares, {page.key: page.title for page in page_list}, requests)
