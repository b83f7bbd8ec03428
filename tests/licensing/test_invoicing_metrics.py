"""The invoicing run reports its progress and failures to Prometheus
(firm_portal/metrics.py; where they alert: README, "Runbook")."""

from unittest import mock

import pytest
from django.db import OperationalError
from prometheus_client import REGISTRY

from clients.models import Plan
from licensing import billing
from licensing.billing import runs
from tests.licensing.factories import ISSUED, NOVEMBER, Scenario, billed_subscription

pytestmark = pytest.mark.django_db


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_run_counts_its_payers_progress_and_the_payers_it_left_out(scenario: Scenario) -> None:
    billed_subscription("Utan Pris AB", Plan.PRO, {})  # no price for Pro: left out
    completed = sample("byraportalen_invoicing_runs_total", outcome="completed")
    payers_failed = sample("byraportalen_invoicing_payers_failed_total")

    invoices = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    assert len(invoices) == 1
    assert sample("byraportalen_invoicing_run_payers") == 1
    assert sample("byraportalen_invoicing_run_payers_done") == 1
    assert sample("byraportalen_invoicing_runs_total", outcome="completed") == completed + 1
    assert sample("byraportalen_invoicing_payers_failed_total") == payers_failed + 1


def test_a_run_that_fails_is_counted_and_shows_how_far_it_got(scenario: Scenario) -> None:
    for n in range(3):
        billed_subscription(f"Kund {n} AB", Plan.SMART, {"bokforing": 1})
    failed = sample("byraportalen_invoicing_runs_total", outcome="failed")
    issue = runs.invoices_issue_many
    calls = 0

    def issue_then_fail(**kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OperationalError("the database went away")
        return issue(**kwargs)

    with (
        # One payer a transaction, so the third write is the third payer.
        mock.patch.object(runs, "GROUP_SIZE", 1),
        mock.patch.object(runs, "invoices_issue_many", side_effect=issue_then_fail),
        pytest.raises(OperationalError),
    ):
        billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    assert sample("byraportalen_invoicing_runs_total", outcome="failed") == failed + 1
    # The scenario's firm and the three customers; two were written.
    assert sample("byraportalen_invoicing_run_payers") == 4
    assert sample("byraportalen_invoicing_run_payers_done") == 2
