"""`make bench BENCH_ARGS="--data national"`: the same pages on the national
data set (`manage.py seed_national --scale S --big-firm-full`: Riksbyrån AB
at its full size, 3,000 consultants and 60,000 clients, whatever the scale of
the rest) beside the 10k set, in one run.

The national seed is `<BENCH_DATABASE_URL>_national_seed`, built once per
scale; every run measures a fresh copy, `<BENCH_DATABASE_URL>_national`.
The cast: Riksbyrån's firm admin (konsult0.byra0@national.bench), one of its
consultants (konsult1.byra0) and the client sysadmin of its first coupled
subscription (kund0@national.bench); password bench1234.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from psycopg import sql

from clients.selectors import subscriptions_administered_by
from firm_portal.models import Consultant, User
from tests.bench import database
from tests.bench.cpu import Usage
from tests.bench.loadgen import LoadResult
from tests.bench.pages import Cast, Page
from tests.bench.report import budget_cell, budget_summary

ADMIN_EMAIL = "konsult0.byra0@national.bench"
CONSULTANT_EMAIL = "konsult1.byra0@national.bench"
SYSADMIN_EMAIL = "kund0@national.bench"
FLOOR = "rows50"


def is_seeded(url: str, scale: float) -> bool:
    """Seeded, and at this scale (the scale is kept as the database's comment)."""
    with database.maintenance(url) as conn:
        comment = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [database.database_name(url)],
        ).fetchone()
    return comment is not None and comment[0] == f"seed_national --scale {scale:g}"


def ensure_seed(url: str, env: Mapping[str, str], scale: float, log: Callable[[str], None]) -> None:
    if database.exists(url) and is_seeded(url, scale):
        return
    database.drop(url)
    database.create(url)
    env = {**env, "DATABASE_URL": url}
    log(f"Migrating {database.database_name(url)}")
    database.manage(env, "migrate", "--noinput", "-v", "0")
    log(f"seed_national --scale {scale:g} --big-firm-full (minutes)")
    database.manage(env, "seed_national", "--scale", f"{scale:g}", "--big-firm-full")
    database.vacuum_analyze(url)
    with database.maintenance(url) as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(database.database_name(url)),
                sql.Literal(f"seed_national --scale {scale:g}"),
            )
        )


def cast() -> Cast:
    consultants = {
        c.user.email: c
        for c in Consultant.objects.select_related("user", "firm").filter(
            user__email__in=[ADMIN_EMAIL, CONSULTANT_EMAIL]
        )
    }
    sysadmin = User.objects.get(email=SYSADMIN_EMAIL)
    return Cast(
        admin=consultants[ADMIN_EMAIL],
        consultant=consultants[CONSULTANT_EMAIL],
        sysadmin=sysadmin,
        subscription=subscriptions_administered_by(user=sysadmin).get(),
    )


@dataclass
class Measured:
    """One data set's run of the pages."""

    label: str
    pages: list[Page]
    queries: dict[str, tuple[int, bool]]
    results: dict[str, LoadResult]
    usage: dict[str, Usage]
    load: tuple[float, float]  # load average (1 min) before and after
    failed: list[str] = field(default_factory=list)  # pages with errors or EXPLAIN findings
    text: str = ""  # the data set's own report

    def cpu(self, key: str) -> float | None:
        """App + database CPU seconds per request."""
        result, usage = self.results.get(key), self.usage.get(key)
        if result is None or usage is None or not result.requests:
            return None
        return sum(usage.per_request(result.requests + result.errors))

    def times(self, key: str) -> float | None:
        """CPU per request as a multiple of the bare 50-row template's."""
        cpu, floor = self.cpu(key), self.cpu(FLOOR)
        return cpu / floor if cpu is not None and floor else None

    def cell(self, page: Page) -> str:
        cpu, times = self.cpu(page.key), self.times(page.key)
        count, ok = self.queries.get(page.key, (0, False))
        queries = f"{count}{'' if ok else ' (failed)'}"
        if cpu is None:
            return f"– | – | {budget_cell(page, None)} | {queries}"
        shown = f"{times:.1f}" if times is not None else "–"
        return f"{cpu * 1000:.1f} | {shown} | {budget_cell(page, times)} | {queries}"


def side_by_side(sets: list[Measured]) -> str:
    """Per page: CPU ms per request (app + DB), that as a multiple of the bare
    50-row template's in the same data set's run, and queries per request."""
    header = " | ".join(f"{m.label}: CPU ms/req | × rows50 | budget | queries" for m in sets)
    lines = [
        "## Side by side: " + " vs ".join(m.label for m in sets),
        "",
        "Load average (1 min) before/after each run: "
        + "; ".join(f"{m.label} {m.load[0]:.1f}/{m.load[1]:.1f}" for m in sets),
        "",
        f"| Page | {header} |",
        "|---|" + "---:|---:|---|---:|" * len(sets),
    ]
    for page in sets[0].pages:
        # A page left out of a set (nothing to write to there) shows dashes.
        lines.append(f"| {page.title} | " + " | ".join(m.cell(page) for m in sets) + " |")
    lines.append("")
    lines += [
        f"{m.label}: " + budget_summary(m.pages, {p.key: m.times(p.key) for p in m.pages})
        for m in sets
    ]
    return "\n".join(lines) + "\n"
