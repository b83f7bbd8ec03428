"""`manage.py seed_large`: the firm-scale data set for benchmarks and EXPLAIN
(see firm_portal/management/large_world/). Meant for a database of its own
(`make bench` uses one); refuses a database that already has more than 1,000
clients unless --force, and one that already holds the bench users."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clients.models import Client
from firm_portal.management.large_world import (
    BENCH_ADMIN_EMAIL,
    BENCH_CONSULTANT_EMAIL,
    BENCH_EMAILS,
    BENCH_SYSADMIN_EMAIL,
    BIG_FIRM_NAME,
    PASSWORD,
    LargeWorld,
)
from firm_portal.models import User

MAX_EXISTING_CLIENTS = 1_000


class Command(BaseCommand):
    help = (
        "Build the large benchmark data set (10,000 clients, 40 firms, 30,000 memberships, "
        "100,000 outbox messages, 50,000 ledger events). Bench logins use the password bench1234."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help=f"Seed even if the database already has more than {MAX_EXISTING_CLIENTS} clients.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if User.objects.filter(email__in=BENCH_EMAILS).exists():
            raise CommandError(
                "The large data set is already here (bench users exist). "
                "Seed an empty database instead."
            )
        existing = Client.objects.count()
        if existing > MAX_EXISTING_CLIENTS and not options["force"]:
            raise CommandError(
                f"The database already has {existing} clients; seed_large is meant for a "
                "database of its own. Use --force to add the data set anyway."
            )
        started = time.monotonic()
        verbose = options["verbosity"] > 1
        summary = LargeWorld(progress=self.stdout.write if verbose else lambda _line: None).build()
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Large data set created in {seconds:.0f} s: {summary.firms} firms, "
                f"{summary.consultants} consultants, {summary.users} users, "
                f"{summary.clients} clients, {summary.subscriptions} subscriptions, "
                f"{summary.couplings} couplings, {summary.memberships} memberships, "
                f"{summary.levels} program levels, {summary.licenses} licence rows, "
                f"{summary.assignments} client assignments, "
                f"{summary.pending_requests} pending requests, "
                f"{summary.outbox_messages} outbox messages, "
                f"{summary.ledger_events} access-ledger events."
            )
        )
        self.stdout.write("")
        self.stdout.write("| E-post | Lösenord | Roll |")
        self.stdout.write("|---|---|---|")
        for email, role in (
            (BENCH_ADMIN_EMAIL, f"Byråadministratör, {BIG_FIRM_NAME}"),
            (
                BENCH_CONSULTANT_EMAIL,
                f"Konsult på {BIG_FIRM_NAME} med licens, "
                f"{summary.bench_consultant_clients} tilldelade klienter",
            ),
            (
                BENCH_SYSADMIN_EMAIL,
                f"Systemadministratör för {summary.bench_subscription_client} "
                f"(abonnemang {summary.bench_subscription_number}, 20 användare, "
                "väntande förfrågningar)",
            ),
        ):
            self.stdout.write(f"| `{email}` | `{PASSWORD}` | {role} |")
