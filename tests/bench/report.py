"""The Markdown report of `make bench` (printed and kept in bench-results/)."""

from dataclasses import dataclass
from datetime import datetime

from tests.bench.cpu import Usage
from tests.bench.explain import Variant, full_text, markdown
from tests.bench.loadgen import LoadResult
from tests.bench.pages import Page

FLOOR = "rows50"
# CPU per request (app + database) as a multiple of the bare 50-row template's
# in the same run, by the page's kind (issue 18, "Page budget"). Floors are
# shown for comparison and held to nothing.
BUDGETS = {"read": 3.0, "fragment": 2.0, "write": 5.0, "bulk": 35.0}


# What each data set is (`Context.database` starts with its name).
DATA_SETS = {
    "10k": "a fresh copy of the `seed_large` data set (10,000 clients, Storbyrån AB with 300 "
    "consultants and 6,000 clients)",
    "national": "a fresh copy of the `seed_national` data set at the scale named (500,000 "
    "clients and 600,000 subscriptions at 1; Riksbyrån AB with 3,000 consultants and "
    "60,000 clients at every scale)",
}


def budget_cell(page: Page, times: float | None) -> str:
    """The page's budget and whether `times` (× rows50, CPU) meets it: "≤ 3.0"
    with ✓ or ✗; "–" for a floor, "≤ 3.0 ?" when it was not measured."""
    budget = BUDGETS.get(page.kind)
    if budget is None:
        return "–"
    if times is None or times != times:  # not measured (None or NaN)
        return f"≤ {budget:g} ?"
    return f"≤ {budget:g} {'✓' if times <= budget else '✗'}"


def budget_summary(pages: list[Page], times: dict[str, float | None]) -> str:
    held = [page for page in pages if page.kind in BUDGETS]
    met = [p for p in held if budget_cell(p, times.get(p.key)).endswith("✓")]
    missed = [p.title for p in held if p not in met]
    return f"Budgets met: {len(met)} of {len(held)}" + (
        f" (missed: {', '.join(missed)})." if missed else "."
    )


@dataclass(frozen=True)
class Context:
    sha: str
    when: datetime
    cpus: int
    python: str
    postgres: int
    database: str
    workers: int
    concurrency: int
    seconds: float
    warmup: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def cpu_per_request(usage: Usage | None, result: LoadResult | None) -> tuple[float, float]:
    if usage is None or result is None:
        return float("nan"), float("nan")
    return usage.per_request(result.requests + result.errors)


def render(
    context: Context,
    pages: list[Page],
    queries: dict[str, tuple[int, bool]],
    results: dict[str, LoadResult],
    usage: dict[str, Usage],
    bulk_variants: dict[str, tuple[int, bool]],
    explained: list[Variant],
) -> str:
    floor = results.get(FLOOR)
    floor_p50 = floor.percentile(0.5) if floor and floor.requests else None
    floor_cpu = sum(cpu_per_request(usage.get(FLOOR), floor)) if floor else None
    floor_rate = floor.rate if floor and floor.requests else None
    lines = [
        f"# make bench – {context.sha} – {context.when:%Y-%m-%d %H:%M %Z}",
        "",
        f"gunicorn `firm_portal.wsgi`, {context.workers} sync workers, production settings "
        f"(DEBUG off, plain HTTP) on 127.0.0.1; load from a second process on loopback, "
        f"{context.concurrency} concurrent clients, {context.seconds:g} s per page after a "
        f"{context.warmup:g} s warm-up (writes: a third of it). {context.cpus} CPUs shared by "
        f"gunicorn, PostgreSQL {context.postgres // 10000}, Redis, the load generator and "
        f"whatever else runs (load average {context.load_before[0]:.1f} before, "
        f"{context.load_after[0]:.1f} after); Python {context.python}. Database "
        f"`{context.database}`: {DATA_SETS.get(context.database.split()[0], 'a fresh copy')}.",
        "",
        "- **CPU ms/req**: user + system time of the gunicorn workers (app) and of their "
        "PostgreSQL backends (DB) during the run, per request – steadier than latency when "
        "other processes compete for the CPUs. **÷ rows50**: the page's requests/s as a "
        "share of the bare 50-row template's. **× rows50**: the page's "
        "cost relative to the bare 50-row template, by p50 latency and by CPU (app + DB) "
        "per request. **budget**: the most × rows50 (CPU) the page may cost, by kind "
        f"(read pages {BUDGETS['read']:g}, HTMX fragments {BUDGETS['fragment']:g}, single "
        f"writes {BUDGETS['write']:g}, the 50-row bulk invitation {BUDGETS['bulk']:g}; ✓ "
        "met, ✗ missed; floors are held to nothing). "
        "**others**: CPU used meanwhile by everything else, as a share of the machine. "
        "**queries**: one request in-process (django.test.Client, same settings and "
        "database), the second of two.",
        "",
        "| Page | URL | req/s | ÷ rows50 | p50 ms | p99 ms | app CPU ms/req | DB CPU ms/req "
        "| queries | × rows50 (p50) | × rows50 (CPU) | budget | others | requests | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    notes = []
    times: dict[str, float | None] = {}
    for page in pages:
        result = results.get(page.key)
        count, ok = queries.get(page.key, (0, False))
        shown_count = f"{count}{'' if ok else ' (failed)'}"
        if result is None or not result.requests:
            lines.append(
                f"| {page.title} | `{page.url}` | – | – | – | – | – | – | {shown_count} "
                f"| – | – | {budget_cell(page, None)} | – | 0 | "
                f"{result.errors if result else '–'} |"
            )
        else:
            p50 = result.percentile(0.5)
            app, db = cpu_per_request(usage.get(page.key), result)
            page_usage = usage.get(page.key)
            share = f"{result.rate / floor_rate:.2f}" if floor_rate else "–"
            times[page.key] = (app + db) / floor_cpu if floor_cpu else None
            lines.append(
                f"| {page.title} | `{page.url}` | {result.rate:.1f} | {share} | {ms(p50)} | "
                f"{ms(result.percentile(0.99))} | {ms(app)} | {ms(db)} | {shown_count} | "
                f"{f'{p50 / floor_p50:.1f}' if floor_p50 else '–'} | "
                f"{f'{(app + db) / floor_cpu:.1f}' if floor_cpu else '–'} | "
                f"{budget_cell(page, times[page.key])} | "
                f"{f'{page_usage.other_share:.0%}' if page_usage else '–'} | "
                f"{result.requests} | {result.errors} |"
            )
        if result is not None and result.exhausted:
            notes.append(f"- {page.title}: the pool ran out after {result.elapsed:.1f} s.")
        if result is not None and result.first_error:
            notes.append(f"- {page.title}: first error: {result.first_error}")
        notes.extend(f"- {page.title}: {note}" for note in page.notes)
    typed, suggested = (
        f"{n}{'' if ok else ' (failed)'}"
        for n, ok in (bulk_variants.get(k, (0, False)) for k in ("typed", "suggested"))
    )
    lines += [
        "",
        budget_summary(pages, times),
        "",
        f"Bulk invitation of 50, queries in-process: {typed} with the usernames filled in (as "
        f"the HTMX form posts them), {suggested} with them left empty (no JavaScript: the "
        "server suggests each one).",
        "",
        *notes,
    ]
    if explained:
        lines += [
            "",
            "## EXPLAIN (ANALYZE, BUFFERS): Hantera klienter for Storbyrån's firm admin",
            "",
            markdown(explained),
            "",
            "<details><summary>Plans</summary>",
            "",
            "```",
            full_text(explained),
            "```",
            "",
            "</details>",
        ]
    return "\n".join(lines) + "\n"
