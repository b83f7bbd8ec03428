from datetime import date

from celery import shared_task
from django.db import InterfaceError, OperationalError, transaction

from firm_portal.timeutils import today_in_stockholm
from licensing import billing
from licensing.models import Invoice, InvoicingRun


@shared_task(
    name="licensing.run_monthly_invoicing",
    # Planning lists every payer: a few seconds at national scale.
    time_limit=900,
    soft_time_limit=840,
)
def run_monthly_invoicing(month: str | None = None) -> int:
    """Plan the month that has just ended (or `month`, an ISO date in it),
    after rolling renewal dates forward, and queue a task per chunk of
    payers. Returns the month's invoice count so far (all of it when the
    tasks run inline, as in the tests)."""
    today = today_in_stockholm()
    target = date.fromisoformat(month) if month else billing.Month.of(today).previous().first
    billing.subscription_billings_renew(today=today)
    run = billing.invoicing_run_plan(month=target)
    # A task runs in autocommit: the plan is committed, the chunks can go.
    for chunk in billing.pending_chunks(run):
        invoice_chunk.delay(run.pk, chunk)
    return Invoice.objects.filter(month=run.month).count()


@shared_task(
    name="licensing.invoice_chunk",
    bind=True,
    # A chunk of 500 payers takes seconds; a Samlingsfaktura of 60,000
    # customers is one payer and takes longer.
    time_limit=1800,
    soft_time_limit=1700,
    max_retries=5,
)
def invoice_chunk(self, run_id: int, chunk: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Invoice one chunk of a run's payers. Idempotent: any number of
    workers may run the same chunk; a lost database is retried with backoff."""
    try:
        run = InvoicingRun.objects.get(pk=run_id)
        return billing.invoicing_chunk_process(run=run, chunk=chunk)
    except (OperationalError, InterfaceError) as error:
        raise self.retry(exc=error, countdown=min(2**self.request.retries * 10, 600)) from error


def failed_rerun(run: InvoicingRun) -> list[int]:
    """ "Kör om misslyckade": the failed payers back in the queue, their chunks queued."""
    chunks = billing.invoicing_failed_rerun(run)
    transaction.on_commit(lambda: _chunks_enqueue(run.pk, chunks))
    return chunks


def _chunks_enqueue(run_id: int, chunks: list[int]) -> None:
    for chunk in chunks:
        invoice_chunk.delay(run_id, chunk)
