"""How long the monthly invoicing run takes for N customers.

A benchmark, not a test: pytest does not collect it and `make test` does not
run it. Against the same PostgreSQL as the tests:

    DJANGO_ENV=test DATABASE_URL=postgres://postgres@127.0.0.1:5432/byraportalen \\
    REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python -m tests.bench.bench_invoicing

It creates a database of its own (bench_<name>, dropped afterwards) with the
seeded price list, N customers (subscriptions) spread over firms: 60 % on a
firm's Samlingsfaktura, 10 % paid by a firm without it, 30 % paid by the
client; one to three programs each, one in five with a licence added during
the month, a price change on the 15th, client-manager seats on every firm and
a manual-coupling fee on some. Then it times the first run (writes every
invoice), a second run (finds them all, writes nothing) and the PDF of the
largest Samlingsfaktura.
"""

import argparse
import multiprocessing
import os
import random
import sys
import time
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--firms", type=int, default=40)
    parser.add_argument(
        "--firm-paid",
        action="store_true",
        help="every customer paid by a firm (6 in 7 on a Samlingsfaktura, 1 in 7 without)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="processes taking chunks, like `celery worker --concurrency N` (0: one process, "
        "billing.invoicing_run)",
    )
    parser.add_argument("--chunk-size", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--pdf-out", help="write the largest Samlingsfaktura's PDF to this file")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firm_portal.settings")
    import django

    django.setup()

    from django.db import connection

    if connection.vendor != "postgresql":
        print("Needs PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 2

    original_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"bench_{original_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        started = time.perf_counter()
        month = _fill(customers=args.customers, firms=args.firms, firm_paid=args.firm_paid)
        print(
            f"customers:             {args.customers} over {args.firms} firms"
            f"{' (all firm-paid)' if args.firm_paid else ''}; "
            f"filled in {time.perf_counter() - started:.1f} s"
        )
        _runs(month, args)
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(original_name, verbosity=0)
    return 0


def _runs(month: date, args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from licensing import billing
    from licensing.models import Invoice, InvoiceLine, InvoicingRun

    with CaptureQueriesContext(connection) as first_queries:
        started = time.perf_counter()
        if args.workers:
            cpu = _in_workers(month, args.workers, args.chunk_size)
            invoices = billing.invoicing_run(month=month)  # collects them, writes nothing
        else:
            cpu = time.process_time()
            invoices = billing.invoicing_run(month=month)
            cpu = time.process_time() - cpu
        first = time.perf_counter() - started
    with CaptureQueriesContext(connection) as second_queries:
        started = time.perf_counter()
        again = billing.invoicing_run(month=month)
        second = time.perf_counter() - started
    assert [i.pk for i in again] == [i.pk for i in invoices]
    run = InvoicingRun.objects.get(month=month)
    print(f"invoices written:      {len(invoices)} ({InvoiceLine.objects.count()} lines)")
    print(
        f"first run:             {first:.2f} s wall, {cpu:.1f} s CPU in the workers "
        f"({args.workers or 1} process(es); {1000 * first / len(invoices):.2f} ms per invoice; "
        f"{len(first_queries)} queries in this process)"
    )
    print(f"second run (no-op):    {second:.2f} s ({len(second_queries)} queries)")
    print(
        f"run:                   {run.payers_done}/{run.payers_total} payers, "
        f"{run.payers_failed} failed, {run.chunks} chunks"
    )
    _check_totals(month)
    _pdf(Invoice.objects.filter(is_consolidated=True), args.pdf_out)


def _backend_cpu(pid: int) -> float:
    """CPU seconds a PostgreSQL backend has used (same machine: /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _worker(queue, results, month: date) -> None:  # type: ignore[no-untyped-def]
    """One worker process: take chunks off the queue until it is empty;
    report the CPU its database backend used."""
    from django.db import connection

    from licensing import billing
    from licensing.models import InvoicingRun

    run = InvoicingRun.objects.get(month=month)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    before = _backend_cpu(backend)
    while (chunk := queue.get()) is not None:
        billing.invoicing_chunk_process(run=run, chunk=chunk)
    results.put(_backend_cpu(backend) - before)
    connection.close()


def _in_workers(month: date, workers: int, chunk_size: int) -> float:
    """Plan the run, then let `workers` forked processes take its chunks off
    a queue, as a Celery worker's prefork pool takes them off the broker
    (prefetch 1). Returns the CPU seconds the workers used (and prints
    their database backends' too)."""
    from django.db import connections

    from licensing import billing

    started = time.perf_counter()
    run = billing.invoicing_run_plan(month=month, chunk_size=chunk_size)
    chunks = billing.pending_chunks(run)
    print(
        f"planned:               {run.payers_total} payers in {len(chunks)} chunks, "
        f"{time.perf_counter() - started:.1f} s"
    )
    context = multiprocessing.get_context("fork")
    queue, results = context.Queue(), context.Queue()
    for chunk in chunks:
        queue.put(chunk)
    for _ in range(workers):
        queue.put(None)
    connections.close_all()
    before = os.times()
    processes = [
        context.Process(target=_worker, args=(queue, results, month)) for _ in range(workers)
    ]
    for process in processes:
        process.start()
    database_cpu = sum(results.get() for _ in processes)
    for process in processes:
        process.join()
        assert process.exitcode == 0, process.exitcode
    after = os.times()
    worker_cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    print(
        f"CPU:                   {worker_cpu:.1f} s in the workers, {database_cpu:.1f} s in "
        f"their PostgreSQL backends: {worker_cpu + database_cpu:.1f} s in all"
    )
    return worker_cpu


def _check_totals(month: date) -> None:
    """Every invoice against an independent computation: each customer's
    month summed day by day from the price list's rows, exactly (fractions),
    compared with the invoice's net within half an öre a line (each line is
    rounded once)."""
    from django.db.models import Count

    from licensing.models import Invoice

    started = time.perf_counter()
    expected = _expected_nets(month)
    checked = 0
    for kind, payer_id, net, vat, total, lines in (
        Invoice.objects.filter(month=month)
        .annotate(line_count=Count("lines"))
        .values_list(
            "payer_kind", "payer_id", "net_amount", "vat_amount", "total_amount", "line_count"
        )
    ):
        exact = expected.pop((kind, payer_id))
        assert abs(Fraction(net) - exact) <= Fraction(lines, 200), (kind, payer_id, net)
        assert vat == (net / 4).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert total == net + vat
        checked += 1
    assert not expected, f"{len(expected)} payers without an invoice"
    print(
        f"totals checked:        {checked} invoices against the day-by-day sum, "
        f"within half an öre a line ({time.perf_counter() - started:.1f} s)"
    )


def _price_on(rows: list, day: date, reseller: bool) -> Fraction:  # type: ignore[type-arg]
    for row in rows:
        if row.valid_from <= day and (row.valid_to is None or day <= row.valid_to):
            return Fraction(row.reseller_price if reseller else row.list_price)
    raise LookupError(day)


def _expected_nets(month: date) -> dict[tuple[str, int], Fraction]:
    """Each payer's exact net for the month, from the rows the bench wrote."""
    from collections import defaultdict

    from clients.models import Subscription, SubscriptionLicense
    from firm_portal.models import Firm
    from firm_portal.timeutils import STOCKHOLM
    from licensing.models import (
        ClientManagerSeatPrice,
        FirmCharge,
        LicenseChange,
        PlanPrice,
        ProgramPrice,
    )

    days = [
        month + timedelta(days=n)
        for n in range(31)
        if (month + timedelta(days=n)).month == month.month
    ]
    plans: dict[str, list[PlanPrice]] = defaultdict(list)
    for plan_price in PlanPrice.objects.all():
        plans[plan_price.plan].append(plan_price)
    programs: dict[tuple[str, int], list[ProgramPrice]] = defaultdict(list)
    for program_price in ProgramPrice.objects.all():
        programs[(program_price.plan, program_price.program_id)].append(program_price)
    seats = list(ClientManagerSeatPrice.objects.all())
    held: dict[int, dict[int, int]] = defaultdict(dict)
    for sub, program, count in SubscriptionLicense.objects.values_list(
        "subscription_id", "program_id", "seats"
    ):
        held[sub][program] = count
    changed = {
        (sub, program): (delta, change_at.astimezone(STOCKHOLM).date())
        for sub, program, delta, change_at in LicenseChange.objects.values_list(
            "subscription_id", "program_id", "delta", "created_at"
        )
    }
    nets: dict[tuple[str, int], Fraction] = defaultdict(Fraction)
    for pk, plan, firm_id, consolidated in Subscription.objects.values_list(
        "pk", "plan", "billing__firm_id", "billing__consolidated"
    ):
        reseller = bool(consolidated)
        month_sum = Fraction(0)
        for day in days:
            amount: Fraction = _price_on(plans[plan], day, reseller)
            for program, count in held[pk].items():
                delta, on = changed.get((pk, program), (0, day))
                count -= delta if day < on else 0
                amount += count * _price_on(programs[(plan, program)], day, reseller)
            month_sum += amount
        payer = ("firm", firm_id) if reseller else ("subscription", pk)
        nets[payer] += month_sum / len(days)
    for firm in Firm.objects.all():
        nets[("firm", firm.pk)] += firm.client_manager_seats * _price_on(seats, days[0], True)
    for firm_id, fee in FirmCharge.objects.values_list("firm_id", "amount"):
        nets[("firm", firm_id)] += Fraction(fee)
    return nets


def _pdf(consolidated, pdf_out: str | None) -> None:  # type: ignore[no-untyped-def]
    from django.db.models import Count

    from licensing import pdf

    biggest = consolidated.annotate(line_count=Count("lines")).order_by("-line_count").first()
    if biggest is None:
        return
    started = time.perf_counter()
    pdf.invoice_pdf(invoice=biggest)
    cold = time.perf_counter() - started  # loads WeasyPrint and the fonts
    started = time.perf_counter()
    document = pdf.invoice_pdf(invoice=biggest)
    rendering = time.perf_counter() - started
    if pdf_out:
        with open(pdf_out, "wb") as out:
            out.write(document)
    print(
        f"largest PDF:           {rendering:.2f} s ({cold:.2f} s the first time), "
        f"{biggest.line_count} lines, {len(document) // 1024} KiB"
    )


def _fill(*, customers: int, firms: int, firm_paid: bool) -> date:
    """Bench data for last month; returns its first day."""
    from clients.catalogue import programs_ensure
    from clients.models import Client, Plan, Program, Subscription, SubscriptionLicense
    from collaboration.models import ManualCoupling
    from firm_portal.models import Consultant, Firm, User
    from firm_portal.timeutils import STOCKHOLM, today_in_stockholm
    from licensing.models import (
        FirmCharge,
        LicenseChange,
        ProgramPrice,
        Recipient,
        ResellerAgreement,
        SubscriptionBilling,
    )
    from licensing.pricing import Month
    from tests.factories import org_number

    rng = random.Random(42)
    programs_ensure()
    programs = list(Program.objects.all())
    month = Month.of(today_in_stockholm()).previous()
    long_ago = datetime(2025, 1, 1, 12, tzinfo=STOCKHOLM)

    # Bokföring on Smart costs more from the 15th.
    mid = month.first + timedelta(days=14)
    ProgramPrice.objects.filter(plan="smart", program__code="bokforing").update(
        valid_to=mid - timedelta(days=1)
    )
    ProgramPrice.objects.create(
        plan="smart",
        program=Program.objects.get(code="bokforing"),
        list_price=Decimal("159.00"),
        reseller_price=Decimal("127.00"),
        valid_from=mid,
    )

    firm_rows = Firm.objects.bulk_create(
        Firm(
            name=f"Bänkbyrå {n:03d} AB",
            org_number=org_number(n, "556"),
            client_manager_seats=rng.randint(1, 15),
        )
        for n in range(firms)
    )
    Firm.objects.update(created_at=long_ago)
    ResellerAgreement.objects.bulk_create(
        ResellerAgreement(firm=firm, valid_from=long_ago.date()) for firm in firm_rows
    )
    clients = Client.objects.bulk_create(
        Client(name=f"Bänkkund {n:05d} AB", org_number=org_number(n, "559"))
        for n in range(customers)
    )
    plans = [Plan.FAKTURA, Plan.START, Plan.SMART, Plan.SMART, Plan.PRO]
    subscriptions = Subscription.objects.bulk_create(
        Subscription(client=client, number=5_000_000 + n, plan=rng.choice(plans))
        for n, client in enumerate(clients)
    )
    Subscription.objects.update(created_at=long_ago)
    licenses, changes, billings = [], [], []
    change_at = datetime.combine(mid, datetime.min.time(), tzinfo=STOCKHOLM) + timedelta(hours=9)
    for subscription in subscriptions:
        chosen = rng.sample(programs, rng.randint(1, 3))
        for program in chosen:
            licenses.append(
                SubscriptionLicense(
                    subscription=subscription, program=program, seats=rng.randint(1, 5)
                )
            )
        if rng.random() < 0.2:
            license = licenses[-1]
            license.seats += 1
            changes.append(
                LicenseChange(
                    subscription=subscription,
                    program=license.program,
                    delta=1,
                    seats_after=license.seats,
                )
            )
        roll = rng.random() * (0.7 if firm_paid else 1)
        if roll < 0.7:
            firm = rng.choice(firm_rows)
            billings.append(
                SubscriptionBilling(
                    subscription=subscription,
                    recipient=Recipient.FIRM,
                    firm=firm,
                    consolidated=roll < 0.6,
                    period_months=12,
                    starts_on=long_ago.date(),
                    renews_on=date(2026, 1, 1),
                )
            )
    SubscriptionLicense.objects.bulk_create(licenses)
    LicenseChange.objects.bulk_create(changes)
    LicenseChange.objects.update(created_at=change_at)
    SubscriptionBilling.objects.bulk_create(billings)

    staff = User.objects.create_user("bench-support@example.se", full_name="Bänk Support")
    for firm in firm_rows[: max(1, firms // 4)]:
        consultant = Consultant.objects.create(
            firm=firm,
            user=User.objects.create_user(f"bench{firm.pk}@example.se", full_name="Bänk"),
        )
        subscription = rng.choice(subscriptions)
        coupling = ManualCoupling.objects.create(
            firm=firm,
            org_number=subscription.client.org_number,
            subscription=subscription,
            responsible_consultant=consultant,
            form_received_on=mid,
            computed_fee=Decimal("600.00"),
            fee=Decimal("600.00"),
            fee_reason="Kunde ha gjorts digitalt.",
            registered_by=staff,
        )
        FirmCharge.objects.create(
            firm=firm,
            amount=Decimal("600.00"),
            description=f"Manuell koppling (blankett): {subscription.client.name}",
            source=FirmCharge.Source.MANUAL_COUPLING,
            manual_coupling_id=coupling.pk,
        )
    FirmCharge.objects.update(created_at=change_at)
    return month.first


if __name__ == "__main__":
    sys.exit(main())
