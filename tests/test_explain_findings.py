"""The EXPLAIN step of `make bench` (tests/bench/explain.py, issue 18): what
counts as a finding on a plan. Plans are EXPLAIN (FORMAT JSON) shaped."""

from tests.bench.explain import plan_findings

SIZES = {"collaboration_accessevent": 2_000_000, "clients_program": 12}


def scan(table: str, rows: int) -> dict[str, object]:
    return {"Node Type": "Seq Scan", "Relation Name": table, "Actual Rows": rows, "Actual Loops": 1}


def sort(rows: int, loops: int = 1, kind: str = "Sort") -> dict[str, object]:
    return {
        "Node Type": kind,
        "Actual Rows": min(rows, 51),
        "Actual Loops": loops,
        "Plans": [{"Node Type": "Index Scan", "Actual Rows": rows, "Actual Loops": loops}],
    }


def limit(child: dict[str, object]) -> dict[str, object]:
    return {"Plan": {"Node Type": "Limit", "Actual Rows": 51, "Plans": [child]}}


def test_a_sequential_scan_of_a_large_table_is_a_finding_of_a_small_one_not():
    assert plan_findings({"Plan": scan("collaboration_accessevent", 10)}, SIZES) == [
        "Seq Scan on collaboration_accessevent (2,000,000 rows in the table)"
    ]
    assert plan_findings({"Plan": scan("clients_program", 12)}, SIZES) == []


def test_a_page_that_sorts_more_rows_than_it_shows_is_a_finding():
    assert plan_findings(limit(sort(10_002)), SIZES) == ["Sort of 10,002 rows ()"]
    assert plan_findings(limit(sort(51)), SIZES) == []


def test_sorts_that_order_only_what_is_shown_or_runs_in_index_order_are_not():
    # All rows shown (a select's options), an Incremental Sort, and a
    # subquery's one-row sort run once per row of the page.
    assert plan_findings({"Plan": sort(3_000)}, SIZES) == []
    assert plan_findings(limit(sort(250, kind="Incremental Sort")), SIZES) == []
    assert plan_findings(limit(sort(1, loops=250)), SIZES) == []
