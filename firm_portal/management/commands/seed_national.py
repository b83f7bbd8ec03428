"""`manage.py seed_national`: the national data set for benchmarks and
EXPLAIN (firm_portal/management/national/). Meant for a database of its own;
refuses one that already has clients unless --force."""

import time
from datetime import date, datetime
from datetime import time as clock
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from clients.models import Client
from firm_portal.management.national.scale import PASSWORD, NationalScale
from firm_portal.management.national.world import NationalWorld
from firm_portal.timeutils import STOCKHOLM, today_in_stockholm


class Command(BaseCommand):
    help = (
        "Build the national data set in bulk: 500,000 clients, 600,000 subscriptions, "
        "5,000 firms, 2,000,000 memberships, 10,000,000 ledger events, 5,000,000 outbox "
        "messages and a year of invoices (or --scale of it). Logins use the password "
        f"{PASSWORD}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
        parser.add_argument("--seed", type=int, default=18)
        parser.add_argument(
            "--today",
            help="the day the world is built around (default today): same day, same world",
        )
        parser.add_argument(
            "--big-firm-full",
            action="store_true",
            help="Riksbyrån AB at full size (3,000 consultants, 60,000 clients) at any --scale",
        )
        parser.add_argument("--force", action="store_true", help="seed a database with clients")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("seed_national writes with PostgreSQL COPY: set DATABASE_URL.")
        if not 0 < options["scale"] <= 1:
            raise CommandError("--scale is a fraction: more than 0, at most 1.")
        if Client.objects.exists() and not options["force"]:
            raise CommandError("The database already has clients; use an empty one (or --force).")
        day = date.fromisoformat(options["today"]) if options["today"] else today_in_stockholm()
        world = NationalWorld(
            scale=NationalScale(options["scale"], big_firm_full=options["big_firm_full"]),
            now=datetime.combine(day, clock(12), tzinfo=STOCKHOLM),
            seed=options["seed"],
        )
        started = time.perf_counter()

        def progress(name: str, counts: dict[str, int]) -> None:
            self.stdout.write(f"{time.perf_counter() - started:8.1f} s  {name}")

        with transaction.atomic():
            counts = world.build(progress)
        progress("committed", counts)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(f"{time.perf_counter() - started:8.1f} s  done (and ANALYZE)")
        for name, count in counts.items():
            self.stdout.write(f"  {name}: {count:,}".replace(",", " "))
