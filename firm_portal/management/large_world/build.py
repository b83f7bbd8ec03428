"""The large data set, step by step, in one transaction. One random
generator runs through the steps, so their order is part of the data set."""

from functools import partial

from django.db import transaction

from clients.catalogue import programs_ensure
from clients.models import Client, Program
from firm_portal.management.large_world import (
    clients,
    couplings,
    firms,
    ledger,
    members,
    outbox,
)
from firm_portal.management.large_world.specs import Summary
from firm_portal.management.large_world.state import WorldState
from firm_portal.models import Firm


class LargeWorld(WorldState):
    """Builds the data set; one instance per run, inside one transaction."""

    def build(self) -> Summary:
        self.programs = {p.code: p for p in Program.objects.all()}
        if len(self.programs) < 8:
            programs_ensure()
            self.programs = {p.code: p for p in Program.objects.all()}
        self.used_org_numbers = set(Client.objects.values_list("org_number", flat=True)) | set(
            Firm.objects.values_list("org_number", flat=True)
        )
        steps = (
            ("firms and consultants", firms.create_firms_and_consultants),
            ("clients and subscriptions", clients.create_clients_and_subscriptions),
            ("couplings and assignments", couplings.plan_couplings),
            ("client users", members.plan_client_users),
            ("users", firms.create_users),
            ("couplings", couplings.create_couplings),
            ("memberships, levels, licences", members.create_memberships_and_levels),
            ("client assignments", members.create_assignments),
            ("pending requests", couplings.create_pending_requests),
            ("outbox", outbox.create_outbox),
            ("access ledger", ledger.create_ledger),
        )
        with transaction.atomic():
            for name, action in steps:
                self.step(name, partial(action, self))
        return self.summary
