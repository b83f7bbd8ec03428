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
import os
import random
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--firms", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--pdf-out", help="write the largest Samlingsfaktura's PDF to this file")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firm_portal.settings")
    import django

    django.setup()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        print("Needs PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 2

    original_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"bench_{original_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        month = _fill(customers=args.customers, firms=args.firms)
        from licensing import billing, pdf
        from licensing.models import Invoice, InvoiceLine

        with CaptureQueriesContext(connection) as first_queries:
            started = time.perf_counter()
            invoices = billing.invoicing_run(month=month)
            first = time.perf_counter() - started
        with CaptureQueriesContext(connection) as second_queries:
            started = time.perf_counter()
            again = billing.invoicing_run(month=month)
            second = time.perf_counter() - started
        assert [i.pk for i in again] == [i.pk for i in invoices]
        biggest = max(Invoice.objects.filter(is_consolidated=True), key=lambda i: i.lines.count())
        started = time.perf_counter()
        pdf.invoice_pdf(invoice=biggest)
        cold = time.perf_counter() - started  # loads WeasyPrint and the fonts
        started = time.perf_counter()
        document = pdf.invoice_pdf(invoice=biggest)
        rendering = time.perf_counter() - started
        if args.pdf_out:
            with open(args.pdf_out, "wb") as out:
                out.write(document)
        print(f"customers:             {args.customers} over {args.firms} firms")
        print(f"invoices written:      {len(invoices)} ({InvoiceLine.objects.count()} lines)")
        print(
            f"first run:             {first:.2f} s "
            f"({len(first_queries)} queries, {1000 * first / len(invoices):.1f} ms per invoice)"
        )
        print(f"second run (no-op):    {second:.2f} s ({len(second_queries)} queries)")
        print(
            f"largest PDF:           {rendering:.2f} s ({cold:.2f} s the first time), "
            f"{biggest.lines.count()} lines, {len(document) // 1024} KiB"
        )
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(original_name, verbosity=0)
    return 0


def _fill(*, customers: int, firms: int) -> date:
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
        roll = rng.random()
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
