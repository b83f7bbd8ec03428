"""`manage.py seed_demo`: a believable Swedish demo world, run by `make run`
(what it holds: firm_portal/management/demo/). Every demo user has the
password `demo1234`; the printed table of logins is the same as README.md's.
"""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import ProtectedError

from clients.models import Client
from collaboration.models import Coupling
from firm_portal.management.demo.access_review import access_review_demo, access_review_demo_delete
from firm_portal.management.demo.agreements import delete_demo_agreements
from firm_portal.management.demo.build import world_build
from firm_portal.management.demo.cleanup import delete_demo_data
from firm_portal.management.demo.logins import TRY_THIS, demo_logins
from firm_portal.management.demo.specs import BAGERIET, DEMO_PASSWORD, FIRM_NAMES
from firm_portal.management.demo.world import World
from firm_portal.models import Firm, User
from firm_portal.two_factor.services import two_factor_required


class Command(BaseCommand):
    help = "Build a deterministic Swedish demo world (all passwords: demo1234)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo data first and build it again."
        )
        parser.add_argument(
            "--scale",
            choices=["demo", "large"],
            default="demo",
            help="large: the benchmark data set (the same as manage.py seed_large).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["scale"] == "large":
            call_command("seed_large", verbosity=options["verbosity"])
            return
        exists = (
            Firm.objects.filter(name__in=FIRM_NAMES).exists()
            or User.objects.filter(email="anna@norr.demo").exists()
        )
        if exists and not options["reset"]:
            self.stdout.write("Demodata finns redan (kör seed_demo --reset för att bygga om den).")
            self.print_logins()
            return
        try:
            with transaction.atomic():
                if exists:
                    access_review_demo_delete()  # open reviews protect firms and subscriptions
                    delete_demo_agreements(firm_names=FIRM_NAMES)
                    delete_demo_data()
                world = world_build()
                access_review_demo()  # flow 9: a review in progress (its own module)
        except ProtectedError as error:
            # The access ledger is append-only (a trigger on PostgreSQL), so
            # demo data that someone has clicked around in cannot be deleted.
            raise CommandError(
                "Demodatan har använts och behörighetsloggen hänvisar till den. Loggen går "
                "inte att ändra, så demodatan kan inte tas bort. Börja med en tom databas i "
                "stället: rm var/db.sqlite3 && make run (eller ta bort PostgreSQL-databasen)."
            ) from error
        self.print_summary(world)

    def print_logins(self) -> None:
        """The table of demo logins and what to try: the same as README.md's."""
        bageriet = Client.objects.filter(name=BAGERIET).first()
        if bageriet is None:
            return
        rows = demo_logins(bageriet=bageriet)
        # Everyone who can grant access to others must use two-factor
        # authentication: their first login sets up an app.
        users = {user.email: user for user in User.objects.filter(email__in=[r[0] for r in rows])}
        out = self.stdout.write
        out("")
        out(f"Alla demoanvändare har lösenordet `{DEMO_PASSWORD}`.")
        out("")
        out("| E-post | Roll | Tvåstegsverifiering | Prova |")
        out("|---|---|---|---|")
        for email, role, try_this in rows:
            user = users.get(email)
            two_step = "krävs" if user is not None and two_factor_required(user=user) else "valfri"
            out(f"| `{email}` | {role} | {two_step} | {try_this} |")
        out("")
        out("Att prova:")
        for line in TRY_THIS:
            out(f"- {line}")

    def print_summary(self, world: World) -> None:
        named = world.named
        bageriet = named["bageriet"].client
        perssons = named["perssons_a"].client
        fjall = named["fjallstugan"].client
        manual = named["manual"]
        scheduled = named["scheduled"]
        out = self.stdout.write
        consolidated = sum(invoice.is_consolidated for invoice in world.invoices)
        out(
            self.style.SUCCESS(
                f"Demodata skapad: {len(world.firms)} byråer, {len(world.consultants)} konsulter, "
                f"{len(world.clients)} klienter, {len(world.subscriptions)} abonnemang, "
                f"{sum(c.status == Coupling.Status.ACTIVE for c in world.couplings)} aktiva "
                f"sammankopplingar, {len(world.pending)} väntande förfrågningar, "
                f"{world.level_count} behörigheter, "
                f"{counted(len(world.invoices), 'faktura', 'fakturor')} för "
                f"{world.invoiced_month.first:%Y-%m} (varav "
                f"{counted(consolidated, 'samlingsfaktura', 'samlingsfakturor')})."
            )
        )
        self.print_logins()
        out("")
        out('Organisationsnummer att prova i "Ny klient":')
        out(
            f"- {bageriet.org_number} {bageriet.name}: hittas; Lisa är systemadministratör, "
            "ingen sammankoppling med Norr"
        )
        out(
            f"- {perssons.org_number} {perssons.name}: två abonnemang "
            f"({named['perssons_a'].number}, {named['perssons_b'].number}), "
            "abonnemangsnumret efterfrågas"
        )
        out(
            f"- {manual.client.org_number} {manual.client.name}: ingen systemadministratör "
            "(meddelandet om manuell koppling)"
        )
        out(
            f"- {fjall.org_number} {fjall.name}: sammankopplad med Norr och Göteborg, Maja är "
            "systemadministratör"
        )
        out(
            f"- {scheduled.client.org_number} {scheduled.client.name}: sammankopplad med Norr "
            f"från {scheduled_date(world)} (schemalagd)"
        )
        free = ", ".join(
            f"{s.client.org_number} ({s.client.name})" for s in world.free_subscriptions
        )
        out(f"- Inte sammankopplade med någon byrå: {free}")
        paid = ", ".join(s.client.name for s in world.firm_paid)
        out(f"- Norr betalar för (Samarbeten, Oanvända licenser; återförsäljaravtal): {paid}")


def counted(count: int, singular: str, plural: str) -> str:
    """ "1 faktura", "102 fakturor" (the command speaks Swedish only)."""
    return f"{count} {singular if count == 1 else plural}"


def scheduled_date(world: World) -> str:
    return world.scheduled.starts_on.isoformat()
