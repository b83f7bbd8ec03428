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
