"""EXPLAIN (ANALYZE, BUFFERS) of "Hantera klienter" with "Utökad sökning"
for Storbyrån's firm admin (6,000 clients) on the large data set.

The SQL is exactly what `collaboration.client_list.selectors.client_list` and the view
send: each variant is requested once in-process and its queries captured,
then every captured query that reads couplings or assignments is explained.
Part of `make bench`; on its own (no load, no gunicorn):
`make bench BENCH_ARGS=--explain-only`.
"""

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.test import Client as TestClient
from django.test.utils import CaptureQueriesContext

from collaboration.models import Coupling
from tests.bench.pages import SEARCH_FRAGMENT, Browser, Cast, session_for

# Tables that hold thousands of rows in the large data set.
LARGE_TABLES = {
    "clients_client",
    "clients_subscription",
    "clients_membership",
    "clients_programlevel",
    "collaboration_coupling",
    "collaboration_collaborationrequest",
    "firm_portal_clientassignment",
    "firm_portal_user",
    "notifications_outboxmessage",
}


@dataclass
class SeqScan:
    table: str
    rows: int  # rows the node returned, all loops
    removed: int  # rows read and thrown away by its filter, all loops
    loops: int


@dataclass
class Plan:
    sql: str
    text: str
    milliseconds: float
    jit_milliseconds: float = 0.0  # compiling the query, included in `milliseconds`
    seq_scans: list[SeqScan] = field(default_factory=list)

    def __str__(self) -> str:
        jit = f" (JIT {self.jit_milliseconds:.1f})" if self.jit_milliseconds else ""
        return f"{self.milliseconds:.1f}{jit}"


@dataclass
class Variant:
    label: str
    query_string: str
    queries: int
    plans: list[Plan] = field(default_factory=list)

    @property
    def milliseconds(self) -> float:
        return sum(plan.milliseconds for plan in self.plans)


def variants(people: Cast) -> list[tuple[str, dict[str, str]]]:
    sample = (
        Coupling.objects.filter(firm_id=people.admin.firm_id, status__in=Coupling.AGREED_STATUSES)
        .select_related("subscription__client")
        .order_by("subscription__number")
        .first()
    )
    if sample is None:
        raise RuntimeError("Storbyrån has no clients: is the database seeded?")
    return [
        ("inga filter, sida 1", {}),
        (f"q={SEARCH_FRAGMENT} (namnfragment)", {"q": SEARCH_FRAGMENT}),
        (
            "q=organisationsnummer, 10 siffror",
            {"q": sample.subscription.client.org_number.replace("-", "")},
        ),
        ("q=abonnemangsnummer", {"q": str(sample.subscription.number)}),
        ("status=active", {"status": "active"}),
        ("status=scheduled", {"status": "scheduled"}),
        ("konsult=<bench-konsult>", {"konsult": str(people.consultant.pk)}),
        ("saknar klientanvändare", {"saknar_klientanvandare": "on"}),
    ]


def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node.get("Plans", []) for n in walk(child))]


def explain(sql: str) -> Plan:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        (document,) = cursor.fetchone()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        text = "\n".join(row[0] for row in cursor.fetchall())
    data = (json.loads(document) if isinstance(document, str) else document)[0]
    scans = [
        SeqScan(
            table=str(node["Relation Name"]),
            rows=int(node["Actual Rows"]) * int(node["Actual Loops"]),
            removed=int(node.get("Rows Removed by Filter", 0)) * int(node["Actual Loops"]),
            loops=int(node["Actual Loops"]),
        )
        for node in walk(data["Plan"])
        if node["Node Type"] == "Seq Scan"
    ]
    return Plan(
        sql=sql,
        text=text,
        milliseconds=float(data["Execution Time"]),
        jit_milliseconds=float(data.get("JIT", {}).get("Timing", {}).get("Total", 0.0)),
        seq_scans=scans,
    )


def explain_client_list(people: Cast) -> list[Variant]:
    browser = Browser(session_for(people.admin.user))
    results = []
    for label, params in variants(people):
        path = "/klienter/" + (f"?{urlencode(params)}" if params else "")
        client = TestClient(HTTP_HOST="127.0.0.1", headers=browser.headers())
        client.get(path)  # warm the buffers and per-process caches
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        variant = Variant(label, path, len(captured.captured_queries))
        for query in captured.captured_queries:
            sql = query["sql"]
            if sql.startswith("SELECT") and (
                "collaboration_coupling" in sql or "firm_portal_clientassignment" in sql
            ):
                variant.plans.append(explain(sql))
        results.append(variant)
    return results


def markdown(results: list[Variant]) -> str:
    lines = [
        "| Utökad sökning (byråadmin, 6 000 klienter) | queries | EXPLAIN ms (count + page + "
        "prefetch) | Seq Scan on large tables (rows returned / removed by filter) |",
        "|---|---:|---:|---|",
    ]
    for variant in results:
        scans = [
            f"{scan.table} ({scan.rows:,} / {scan.removed:,}"
            + (f", {scan.loops} loops)" if scan.loops > 1 else ")")
            for plan in variant.plans
            for scan in plan.seq_scans
            if scan.table in LARGE_TABLES
        ]
        lines.append(
            f"| `{variant.query_string}` ({variant.label}) | {variant.queries} | "
            f"{' + '.join(str(p) for p in variant.plans)} | "
            f"{'; '.join(scans) or '–'} |"
        )
    return "\n".join(lines)


def full_text(results: list[Variant]) -> str:
    parts = []
    for variant in results:
        for number, plan in enumerate(variant.plans, start=1):
            parts.append(
                f"===== {variant.label}: {variant.query_string} (query {number})\n"
                f"{plan.sql}\n\n{plan.text}\n"
            )
    return "\n".join(parts)


# Every list page and filter, and the ledger (issue 18): a sequential scan of
# a table of more than LARGE_ROWS rows, or a sort of more than a page of rows,
# is a finding, and a finding fails `make bench`.
LARGE_ROWS = 10_000
PAGE_ROWS = 50
FLOOR_KEYS = {"floor", "rows50", "layout"}


@dataclass
class Finding:
    where: str  # page key and query number
    what: str


def table_sizes() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class "
            "WHERE relkind IN ('r', 'p') AND relnamespace = 'public'::regnamespace"
        )
        return {name: int(rows) for name, rows in cursor.fetchall()}


def plan_findings(document: dict[str, Any], sizes: dict[str, int]) -> list[str]:
    return node_findings(document["Plan"], sizes, under_limit=False)


def node_findings(node: dict[str, Any], sizes: dict[str, int], *, under_limit: bool) -> list[str]:
    """A Seq Scan of a large table anywhere; a full Sort of more than a page
    of rows below a LIMIT (a page that orders more rows than it shows; an
    Incremental Sort only orders runs already in index order, and a sort
    without a LIMIT orders rows that are all shown, as a select's options)."""
    found = []
    if node["Node Type"] == "Seq Scan" and sizes.get(node["Relation Name"], 0) > LARGE_ROWS:
        found.append(
            f"Seq Scan on {node['Relation Name']} "
            f"({sizes[node['Relation Name']]:,} rows in the table)"
        )
    children = node.get("Plans", [])
    if node["Node Type"] == "Sort" and under_limit:
        # Per loop: a subquery's sort of one row, run for each of 250 rows, is no finding.
        sorted_rows = sum(int(child["Actual Rows"]) for child in children)
        if sorted_rows > PAGE_ROWS + 1:
            found.append(f"Sort of {sorted_rows:,} rows ({node.get('Sort Method', '')})")
    below_limit = under_limit or node["Node Type"] == "Limit"
    for child in children:
        found += node_findings(child, sizes, under_limit=below_limit)
    return found


def list_variants(people: Cast) -> list[tuple[str, str, Browser]]:
    """The filters of the ledger, beside the pages of `make bench`."""
    admin = Browser(session_for(people.admin.user))
    number = people.subscription.number
    return [
        ("ledger_all", "/byra/behorighetslogg/", admin),
        ("ledger_kind", "/byra/behorighetslogg/?typ=level_changed", admin),
        ("ledger_client", f"/byra/behorighetslogg/?klient={number}", admin),
        ("ledger_dates", "/byra/behorighetslogg/?fran=2026-11-01&till=2026-11-30", admin),
        ("ledger_page_5", "/byra/behorighetslogg/?sida=5", admin),
    ]


def explain_pages(people: Cast, pages: list[Any]) -> list[Finding]:
    """EXPLAIN (ANALYZE) every SELECT of every GET page and ledger filter."""
    sizes = table_sizes()
    targets = [
        (page.key, page.source()) for page in pages if not page.write and page.key not in FLOOR_KEYS
    ]
    targets += [(key, browser.get(path)()) for key, path, browser in list_variants(people)]
    findings = []
    for key, request in targets:
        client = TestClient(HTTP_HOST="127.0.0.1", headers=request.headers)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(request.path)
        if response.status_code != 200:
            findings.append(Finding(key, f"{request.path} answered {response.status_code}"))
        for number, query in enumerate(captured.captured_queries, start=1):
            if not query["sql"].startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
                (document,) = cursor.fetchone()
            data = (json.loads(document) if isinstance(document, str) else document)[0]
            findings += [Finding(f"{key} q{number}", what) for what in plan_findings(data, sizes)]
    return findings


def findings_markdown(findings: list[Finding]) -> str:
    lines = [
        "",
        f"## EXPLAIN of every list page and ledger filter: seq scans of tables over "
        f"{LARGE_ROWS:,} rows, sorts of more than {PAGE_ROWS} rows",
        "",
    ]
    lines += [f"- {f.where}: {f.what}" for f in findings] or ["None."]
    return "\n".join(lines) + "\n"
