"""The monthly invoicing run, in chunks that any number of workers can take.

A run is planned once per month (`invoicing_run_plan`): one `InvoicingPayer`
row per payer, numbered in invoice order and cut into chunks of
`chunk_size`. A chunk (`invoicing_chunk_process`) loads what its payers need
in a fixed number of queries, then settles each pending payer in a
transaction of its own: the payer's row is taken with FOR UPDATE SKIP
LOCKED, the invoice is written, and the row is marked in the same
transaction. Two workers on the same chunk therefore never invoice a payer
twice (the second skips the row, or finds it settled), and a chunk run again
after a crash only picks up what is still pending. The unique constraint on
(payer, month) of `Invoice` stands behind both.

One payer's failure (a price missing from the price list, a row the database
refuses) is recorded on its row with the reason, counted, and the chunk goes
on. Only a lost database connection stops the chunk; its payers stay pending
and the task retries. Support re-runs the failed payers from the admin
("Kör om misslyckade"), or the next run for the month does."""

import logging
from dataclasses import dataclass
from datetime import date

from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import override

from firm_portal.metrics import (
    INVOICING_PAYERS_FAILED,
    INVOICING_RUN_PAYERS,
    INVOICING_RUN_PAYERS_DONE,
    INVOICING_RUNS,
)
from firm_portal.timeutils import today_in_stockholm
from licensing.billing.drafts import PayerDraft, firm_draft, subscription_draft
from licensing.billing.invoices import fees_unbilled, invoice_issue, invoices_issue_many
from licensing.billing.selectors import FIRM, SUBSCRIPTION, ChunkData, chunk_data, month_payers
from licensing.models import Invoice, InvoicingPayer, InvoicingRun
from licensing.pricing import Month, PriceMissing

logger = logging.getLogger(__name__)

CHUNK_SIZE = 500
# Payers written in one transaction: a few queries for the whole group
# instead of a dozen per payer (the database's round trips were the cost).
GROUP_SIZE = 25
Status = InvoicingPayer.Status


def _month_checked(month: date, issued_on: date | None) -> tuple[Month, date]:
    target = Month.of(month)
    today = today_in_stockholm()
    issued_on = issued_on or today
    if target.last >= today or issued_on <= target.last:
        raise ValueError(f"{target.first:%Y-%m} has not ended; it cannot be invoiced yet")
    return target, issued_on


def invoicing_run_plan(
    *, month: date, issued_on: date | None = None, chunk_size: int = CHUNK_SIZE
) -> InvoicingRun:
    """The month's run with every payer that may have an invoice, each
    pending unless already invoiced. Planning again adds payers that are new
    since, and puts the failed and the empty ones back in the queue: that is
    how a fixed price list gets its payers invoiced."""
    target, issued_on = _month_checked(month, issued_on)
    run, _created = InvoicingRun.objects.get_or_create(
        month=target.first, defaults={"issued_on": issued_on, "chunk_size": chunk_size}
    )
    planned = {
        (kind, pk): (at, chunk)
        for kind, pk, at, chunk in run.payers.values_list(
            "payer_kind", "payer_id", "position", "chunk"
        )
    }
    start = max((at for at, _chunk in planned.values()), default=-1) + 1
    first_chunk = max((chunk for _at, chunk in planned.values()), default=-1) + 1
    new = [payer for payer in month_payers(target) if payer[:2] not in planned]
    chunks = _chunks(new, run.chunk_size, first_chunk)
    if new:
        InvoicingPayer.objects.bulk_create(
            (
                InvoicingPayer(
                    run=run, position=position, chunk=chunk, payer_kind=kind, payer_id=pk
                )
                for position, ((kind, pk, _weight), chunk) in enumerate(
                    zip(new, chunks, strict=True), start=start
                )
            ),
            batch_size=5000,
            ignore_conflicts=True,  # a concurrent planner added the same payer
        )
    reopened = run.payers.filter(status__in=[Status.FAILED, Status.NOTHING]).update(
        status=Status.PENDING, reason=""
    )
    run.chunks = max([first_chunk - 1, *chunks]) + 1
    if (new or reopened) and run.finished_at is not None:
        InvoicingRun.objects.filter(pk=run.pk).update(finished_at=None)
        run.finished_at = None
    return invoicing_run_counts_refresh(run)


def _chunks(payers: list[tuple[str, int, int]], size: int, first: int) -> list[int]:
    """Each payer's chunk: a new chunk when the weight (subscriptions
    invoiced) reaches `size`, so a chunk of firms with large
    Samlingsfakturor is as much work as one of single subscriptions."""
    chunks, chunk, weight = [], first, 0
    for _kind, _pk, payer_weight in payers:
        if weight and weight + payer_weight > size:
            chunk, weight = chunk + 1, 0
        chunks.append(chunk)
        weight += payer_weight
    return chunks


def pending_chunks(run: InvoicingRun) -> list[int]:
    return list(
        run.payers.filter(status=Status.PENDING)
        .order_by("chunk")
        .values_list("chunk", flat=True)
        .distinct()
    )


def invoicing_run_counts_refresh(run: InvoicingRun) -> InvoicingRun:
    """Count the run's payers by status (one index-only query) and store
    the counts; the run is finished when none is pending."""
    counts = InvoicingPayer.objects.filter(run_id=run.pk).aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(status__in=[Status.INVOICED, Status.NOTHING])),
        failed=Count("pk", filter=Q(status=Status.FAILED)),
        invoiced=Count("pk", filter=Q(status=Status.INVOICED)),
        nothing=Count("pk", filter=Q(status=Status.NOTHING)),
    )
    run.payers_total, run.payers_done = counts["total"], counts["done"]
    run.payers_failed = counts["failed"]
    finished = run.payers_done + run.payers_failed == run.payers_total
    InvoicingRun.objects.filter(pk=run.pk).update(
        payers_total=run.payers_total,
        payers_done=run.payers_done,
        payers_failed=run.payers_failed,
        chunks=run.chunks,
    )
    # Only the worker that finishes the run sets the time (and counts the run).
    if finished and run.finished_at is None:
        run.finished_at = timezone.now()
        if InvoicingRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(
            finished_at=run.finished_at
        ):
            INVOICING_RUNS.labels(outcome="completed").inc()
    # The gauges: payers that get an invoice (less the failed and the empty),
    # and how many of them have it.
    INVOICING_RUN_PAYERS.set(counts["total"] - counts["failed"] - counts["nothing"])
    INVOICING_RUN_PAYERS_DONE.set(counts["invoiced"])
    return run


@dataclass
class Settled:
    status: str
    invoice: Invoice | None = None
    reason: str = ""


def _draft(data: ChunkData, payer: InvoicingPayer) -> PayerDraft | None:
    if payer.payer_kind == FIRM:
        return firm_draft(data, payer.payer_id)
    return subscription_draft(data, payer.payer_id)


def _settle(data: ChunkData, payer: InvoicingPayer, issued_on: date) -> Settled:
    """Draft and write one payer's invoice in a savepoint; its failure is
    the outcome, not an exception (except a lost connection)."""
    try:
        with transaction.atomic():
            draft = _draft(data, payer)
            invoice = (
                invoice_issue(draft=draft, month=data.month, issued_on=issued_on)
                if (draft is not None)
                else None
            )
    except (OperationalError, InterfaceError):
        raise  # the database itself is gone: every later payer would fail too
    except PriceMissing as error:
        logger.error(
            "Invoicing %s: no invoice for %s: %s", f"{data.month.first:%Y-%m}", payer, error
        )
        return Settled(Status.FAILED, reason=f"Pris saknas: {error}")
    except Exception as error:
        logger.exception("Invoicing %s: no invoice for %s", f"{data.month.first:%Y-%m}", payer)
        return Settled(Status.FAILED, reason=f"{type(error).__name__}: {error}")
    if invoice is None:
        return Settled(Status.NOTHING)
    return Settled(Status.INVOICED, invoice=invoice)


def _payer_take_and_settle(data: ChunkData, payer_pk: int, issued_on: date) -> str | None:
    """Settle one payer unless another worker has it or has settled it."""
    with transaction.atomic():
        payer = (
            # The payer's row only (no join, no lock on the run's row).
            InvoicingPayer.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=payer_pk, status=Status.PENDING)
            .order_by()
            .first()
        )
        if payer is None:
            return None
        settled = _settle(data, payer, issued_on)
        payer.status, payer.invoice, payer.reason = settled.status, settled.invoice, settled.reason
        payer.attempts += 1
        payer.settled_at = timezone.now()
        payer.save(update_fields=["status", "invoice", "reason", "attempts", "settled_at"])
    if settled.status == Status.FAILED:
        INVOICING_PAYERS_FAILED.inc()
    return settled.status


def _existing(month: Month, payers: list[InvoicingPayer]) -> dict[tuple[str, int], Invoice]:
    """Invoices already written for these payers (before the run had rows)."""
    firms = [p.payer_id for p in payers if p.payer_kind == FIRM]
    subscriptions = [p.payer_id for p in payers if p.payer_kind != FIRM]
    return {
        (invoice.payer_kind, invoice.payer_id): invoice
        for invoice in Invoice.objects.filter(month=month.first).filter(
            Q(payer_kind=FIRM, payer_id__in=firms)
            | Q(payer_kind=SUBSCRIPTION, payer_id__in=subscriptions)
        )
    }


def _group_settle(
    data: ChunkData, payers: list[InvoicingPayer], issued_on: date
) -> dict[int, Settled]:
    """Draft every payer of the group, then write all their invoices at once."""
    existing = _existing(data.month, payers)
    fees = fees_unbilled(
        firm_ids=[p.payer_id for p in payers if p.payer_kind == FIRM], month=data.month
    )
    settled: dict[int, Settled] = {}
    to_write: list[tuple[InvoicingPayer, PayerDraft]] = []
    for payer in payers:
        invoice = existing.get((payer.payer_kind, payer.payer_id))
        if invoice is not None:
            settled[payer.pk] = Settled(Status.INVOICED, invoice=invoice)
            continue
        try:
            draft = _draft(data, payer)
        except PriceMissing as error:
            logger.error(
                "Invoicing %s: no invoice for %s: %s", f"{data.month.first:%Y-%m}", payer, error
            )
            settled[payer.pk] = Settled(Status.FAILED, reason=f"Pris saknas: {error}")
            continue
        if draft is None:
            settled[payer.pk] = Settled(Status.NOTHING)
        else:
            to_write.append((payer, draft))
    invoices = invoices_issue_many(
        drafts=[
            (draft, fees.get(draft.payer_id, []) if draft.payer_kind == FIRM else [])
            for _payer, draft in to_write
        ],
        month=data.month,
        issued_on=issued_on,
    )
    for (payer, _drafted), invoice in zip(to_write, invoices, strict=True):
        settled[payer.pk] = (
            Settled(Status.INVOICED, invoice=invoice) if invoice else Settled(Status.NOTHING)
        )
    return settled


def _group_take_and_settle(data: ChunkData, payer_pks: list[int], issued_on: date) -> list[str]:
    """Settle a group of payers in one transaction (a few queries for all of
    them), skipping those another worker holds or has settled."""
    with transaction.atomic():
        payers = list(
            InvoicingPayer.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=payer_pks, status=Status.PENDING)
            .order_by("position")
        )
        if not payers:
            return []
        settled = _group_settle(data, payers, issued_on)
        now = timezone.now()
        for payer in payers:
            outcome = settled[payer.pk]
            payer.status, payer.invoice, payer.reason = (
                outcome.status,
                outcome.invoice,
                outcome.reason,
            )
            payer.attempts += 1
            payer.settled_at = now
        InvoicingPayer.objects.bulk_update(
            payers, ["status", "invoice", "reason", "attempts", "settled_at"]
        )
    statuses = [payer.status for payer in payers]
    INVOICING_PAYERS_FAILED.inc(statuses.count(Status.FAILED))
    return statuses


def _group_or_one_by_one(data: ChunkData, payer_pks: list[int], issued_on: date) -> list[str]:
    """The group at once; if the database refuses one of its invoices, the
    group is rolled back and settled payer by payer, so only that one fails."""
    try:
        return _group_take_and_settle(data, payer_pks, issued_on)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        logger.warning(
            "Invoicing %s: a group failed; one payer at a time", f"{data.month.first:%Y-%m}"
        )
    statuses = (_payer_take_and_settle(data, pk, issued_on) for pk in payer_pks)
    return [status for status in statuses if status is not None]


def invoicing_chunk_process(*, run: InvoicingRun, chunk: int) -> dict[str, int]:
    """Settle the chunk's pending payers; returns how many ended how. Safe
    to run any number of times, by any number of workers at once."""
    pending = list(
        run.payers.filter(chunk=chunk, status=Status.PENDING)
        .order_by("position")
        .values_list("pk", "payer_kind", "payer_id")
    )
    outcome: dict[str, int] = {}
    if not pending:
        return outcome
    try:
        # Invoice texts are Swedish whatever language the caller uses.
        with override("sv"):
            data = chunk_data(
                Month.of(run.month),
                firm_ids=[pk for _row, kind, pk in pending if kind == FIRM],
                subscription_ids=[pk for _row, kind, pk in pending if kind != FIRM],
            )
            rows = [row for row, _kind, _payer_id in pending]
            for start in range(0, len(rows), GROUP_SIZE):
                group = rows[start : start + GROUP_SIZE]
                for status in _group_or_one_by_one(data, group, run.issued_on):
                    outcome[status] = outcome.get(status, 0) + 1
    finally:
        invoicing_run_counts_refresh(run)
    return outcome


def invoicing_failed_rerun(run: InvoicingRun) -> list[int]:
    """Put the run's failed payers back in the queue ("Kör om misslyckade");
    returns the chunks to process again."""
    chunks = list(
        run.payers.filter(status=Status.FAILED)
        .order_by("chunk")
        .values_list("chunk", flat=True)
        .distinct()
    )
    run.payers.filter(status=Status.FAILED).update(status=Status.PENDING)
    InvoicingRun.objects.filter(pk=run.pk).update(finished_at=None)
    run.finished_at = None
    invoicing_run_counts_refresh(run)
    return chunks


def run_invoices(run: InvoicingRun) -> list[Invoice]:
    """The run's invoices, in invoice order."""
    return [
        payer.invoice
        for payer in run.payers.filter(status=Status.INVOICED)
        .select_related("invoice")
        .order_by("position")
        if payer.invoice is not None
    ]


def invoicing_run(*, month: date, issued_on: date | None = None) -> list[Invoice]:
    """Invoice every payer for `month` (any day in it) in this process, chunk
    by chunk, and return the month's invoices, new and existing. A month that
    has not ended is refused. Safe to run again: a payer that already has its
    invoice keeps it; the failed ones are tried again."""
    try:
        run = invoicing_run_plan(month=month, issued_on=issued_on)
        for chunk in pending_chunks(run):
            invoicing_chunk_process(run=run, chunk=chunk)
    except (OperationalError, InterfaceError):
        INVOICING_RUNS.labels(outcome="failed").inc()
        raise
    invoices = run_invoices(run)
    logger.info(
        "Invoicing %s: %d invoices; %d payers failed",
        f"{run.month:%Y-%m}",
        len(invoices),
        run.payers_failed,
    )
    return invoices
