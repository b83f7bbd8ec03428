"""Generating the national world table by table (see __init__.py). Each
`write_*` method streams its rows to COPY, or has PostgreSQL generate them
(the ledger, the outbox and the invoices), and keeps in memory only what
later tables point at (ids per firm, coupled subscriptions)."""

import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import models

from clients.catalogue import plan_program_codes, programs_ensure
from clients.models import (
    Client,
    Counter,
    Membership,
    Program,
    ProgramLevel,
    Subscription,
    SubscriptionLicense,
)
from clients.services import SUBSCRIPTION_NUMBER_START
from collaboration.models import CollaborationRequest, Coupling
from firm_portal.management.national import invoices, streams
from firm_portal.management.national.copy import IdBlock, copy_rows, sequences_reset
from firm_portal.management.national.load import indexes_built_after, session_for_bulk
from firm_portal.management.national.scale import (
    BIG_FIRM_NAME,
    LEVELS,
    NAMES,
    PASSWORD,
    PLANS,
    SURNAMES,
    TOWNS,
    TRADES,
    NationalScale,
    org_number,
)
from firm_portal.models import Consultant, Firm, User
from ledger.models import AccessEvent
from licensing.models import Invoice, InvoiceLine, ResellerAgreement, SubscriptionBilling
from notifications.models import OutboxMessage

# The tables written in bulk-load mode (load.py): indexes built after.
BULK_MODELS: list[type[models.Model]] = [
    User,
    Client,
    Subscription,
    SubscriptionLicense,
    Coupling,
    Membership,
    ProgramLevel,
    SubscriptionBilling,
    AccessEvent,
    OutboxMessage,
    Invoice,
    InvoiceLine,
]


@dataclass
class NationalWorld:
    scale: NationalScale
    now: datetime
    seed: int = 18
    rng: random.Random = field(init=False)
    counts: dict[str, int] = field(default_factory=dict)
    # What later tables point at.
    firm_ids: list[int] = field(default_factory=list)
    consultants: list[list[tuple[int, int]]] = field(default_factory=list)  # (consultant, user)
    subscription_ids: list[int] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)  # per subscription
    client_users: list[int] = field(default_factory=list)  # per subscription
    coupled: list[tuple[int, int]] = field(default_factory=list)  # (subscription index, firm)
    licences: dict[int, list[int]] = field(default_factory=dict)  # subscription → programs

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 - test data, not secrets

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def build(self, progress: Any = None) -> dict[str, int]:
        """Every table in order; `progress(name, counts)` after each, and
        after each table's indexes are built."""
        report = progress or (lambda name, counts: None)
        programs_ensure()
        self.programs = dict(Program.objects.values_list("code", "pk"))
        self.password = make_password(PASSWORD, salt="national")
        session_for_bulk()
        with indexes_built_after(BULK_MODELS, lambda table: report(f"indexes of {table}", {})):
            for name, step in (
                ("firms", self.write_firms),
                ("consultants", self.write_consultants),
                ("clients and subscriptions", self.write_clients),
                ("licences", self.write_licences),
                ("couplings", self.write_couplings),
                ("memberships", self.write_memberships),
                ("pending requests", self.write_requests),
                ("payers", self.write_billing),
                ("ledger events", self.write_ledger),
                ("outbox messages", self.write_outbox),
                ("invoices", self.write_invoices),
            ):
                step()
                report(name, self.counts)
        sequences_reset([*BULK_MODELS, Firm, Consultant, CollaborationRequest, ResellerAgreement])
        return self.counts

    def user_rows(self, ids: range, emails: list[str], names: list[str]) -> Iterator[tuple]:
        for pk, email, name in zip(ids, emails, names, strict=True):
            yield (pk, self.password, False, email, name, "", True, False, self.ago(400), None)

    def write_users(self, emails: list[str], names: list[str]) -> range:
        ids = IdBlock(User).take(len(emails))
        columns = [
            "id",
            "password",
            "is_superuser",
            "email",
            "full_name",
            "mobile",
            "is_active",
            "is_staff",
            "date_joined",
            "username",
        ]
        self.counts["users"] = self.counts.get("users", 0) + copy_rows(
            User,
            [*columns, "session_version", "personal_number", "mobile_confirmed"],
            ((*row, 0, "", False) for row in self.user_rows(ids, emails, names)),
        )
        return ids

    def write_firms(self) -> None:
        count = self.scale.firms
        self.firm_ids = list(IdBlock(Firm).take(count))
        names = [BIG_FIRM_NAME] + [
            f"{self.rng.choice(TOWNS)}s {self.rng.choice(TRADES)}redovisning {n} AB"
            for n in range(1, count)
        ]
        self.counts["firms"] = copy_rows(
            Firm,
            ["id", "name", "org_number", "client_manager_seats", "created_at"],
            (
                (pk, name, org_number(556_000_000 + n), self.rng.randint(1, 40), self.ago(900))
                for n, (pk, name) in enumerate(zip(self.firm_ids, names, strict=True))
            ),
        )

    def firm_sizes(self) -> list[int]:
        """Consultants per firm: the big firm, a few large ones, many small."""
        sizes = [self.scale.big_firm_consultants]
        for n in range(1, len(self.firm_ids)):
            sizes.append(self.rng.randint(50, 400) if n % 500 == 0 else self.rng.randint(1, 12))
        return sizes

    def write_consultants(self) -> None:
        sizes = self.firm_sizes()
        emails, names = [], []
        for firm_index, size in enumerate(sizes):
            for n in range(size):
                emails.append(f"konsult{n}.byra{firm_index}@national.bench")
                names.append(f"{self.rng.choice(NAMES)} {self.rng.choice(SURNAMES)}")
        users = iter(self.write_users(emails, names))
        ids = iter(IdBlock(Consultant).take(len(emails)))
        rows = []
        for firm_index, size in enumerate(sizes):
            members = [(next(ids), next(users)) for _ in range(size)]
            self.consultants.append(members)
            for n, (pk, user) in enumerate(members):
                admin = n == 0
                rows.append(
                    (pk, admin, admin, n < 3, True, self.ago(800), user, self.firm_ids[firm_index])
                )
        columns = [
            "id",
            "is_firm_admin",
            "is_client_manager_admin",
            "has_client_manager_seat",
            "is_active",
            "created_at",
            "user_id",
            "firm_id",
        ]
        self.counts["consultants"] = copy_rows(Consultant, columns, rows)

    def write_clients(self) -> None:
        """Clients, one sysadmin user each, and their subscriptions (some two)."""
        clients = self.scale.clients
        client_ids = IdBlock(Client).take(clients)
        self.counts["clients"] = copy_rows(
            Client,
            ["id", "name", "org_number", "created_at"],
            (
                (
                    pk,
                    f"{self.rng.choice(TRADES)} {n} i {self.rng.choice(TOWNS)} AB",
                    org_number(559_000_000 + n),
                    self.ago(700),
                )
                for n, pk in enumerate(client_ids)
            ),
        )
        owners = list(client_ids) + [
            self.rng.choice(client_ids) for _ in range(self.scale.subscriptions - clients)
        ]
        self.subscription_ids = list(IdBlock(Subscription).take(len(owners)))
        self.plans = [self.rng.choice(PLANS) for _ in owners]
        first = (
            max(
                SUBSCRIPTION_NUMBER_START,
                Counter.objects.filter(name="subscription_number")
                .values_list("value", flat=True)
                .first()
                or 0,
            )
            + 1
        )
        self.counts["subscriptions"] = copy_rows(
            Subscription,
            ["id", "number", "plan", "status", "created_at", "client_id"],
            (
                (pk, first + n, plan, "active", self.ago(600), client)
                for n, (pk, client, plan) in enumerate(
                    zip(self.subscription_ids, owners, self.plans, strict=True)
                )
            ),
        )
        Counter.objects.update_or_create(
            name="subscription_number", defaults={"value": first + len(owners) - 1}
        )
        self.client_users = list(
            self.write_users(
                [f"kund{n}@national.bench" for n in range(len(owners))],
                [f"{self.rng.choice(NAMES)} {self.rng.choice(SURNAMES)}" for _ in owners],
            )
        )

    def write_licences(self) -> None:
        rows = []
        ids = IdBlock(SubscriptionLicense)
        # Only programs the plan includes: they are the ones with a price.
        offered = {
            plan: [self.programs[code] for code in plan_program_codes(plan)] for plan in set(PLANS)
        }
        for index, pk in enumerate(self.subscription_ids):
            chosen = self.rng.sample(offered[self.plans[index]], self.rng.randint(1, 3))
            self.licences[index] = chosen
            for program in chosen:
                rows.append((ids.take(1)[0], self.rng.randint(1, 5), program, pk))
        self.counts["licences"] = copy_rows(
            SubscriptionLicense, ["id", "seats", "program_id", "subscription_id"], rows
        )

    def write_couplings(self) -> None:
        """The big firm's clients' subscriptions, then 70 % of the rest, to a
        firm chosen with the weight of its size."""
        sizes = [len(members) for members in self.consultants]
        big = set(range(min(self.scale.big_firm_clients, len(self.subscription_ids))))
        others = list(range(1, len(self.firm_ids)))
        cum_weights = list(accumulate(sizes[1:]))  # what choices(weights=) sums every call
        for index in range(len(self.subscription_ids)):
            if index in big:
                self.coupled.append((index, 0))
            elif self.rng.random() < 0.7:
                self.coupled.append((index, self.rng.choices(others, cum_weights=cum_weights)[0]))
        ids = IdBlock(Coupling).take(len(self.coupled))
        self.counts["couplings"] = copy_rows(
            Coupling,
            [
                "id",
                "status",
                "starts_on",
                "activated_at",
                "created_at",
                "firm_id",
                "responsible_consultant_id",
                "subscription_id",
            ],
            (
                (
                    pk,
                    "active",
                    self.ago(500).date(),
                    self.ago(500),
                    self.ago(500),
                    self.firm_ids[firm],
                    self.rng.choice(self.consultants[firm])[0],
                    self.subscription_ids[index],
                )
                for pk, (index, firm) in zip(ids, self.coupled, strict=True)
            ),
        )

    def memberships(self) -> Iterator[tuple[int, int, int | None, bool]]:
        """(subscription index, user, consultant, sysadmin): the client's own
        sysadmin, then consultants of the coupled firm up to the target."""
        for index in range(len(self.subscription_ids)):
            yield index, self.client_users[index], None, True
        left = self.scale.memberships - len(self.subscription_ids)
        per = max(left // max(len(self.coupled), 1), 1)
        for index, firm in self.coupled:
            members = self.consultants[firm]
            for consultant, user in self.rng.sample(members, min(per, len(members))):
                if left <= 0:
                    return
                left -= 1
                yield index, user, consultant, False

    def write_memberships(self) -> None:
        """Memberships streamed to COPY; then a level per licensed program of
        each (from a generator of its own, so memory holds two id arrays)."""
        ids = IdBlock(Membership)
        written, indexes = array("q"), array("q")

        def rows() -> Iterator[tuple]:
            for index, user, consultant, sysadmin in self.memberships():
                pk = ids.take(1)[0]
                written.append(pk)
                indexes.append(index)
                yield pk, sysadmin, self.ago(450), consultant, user, self.subscription_ids[index]

        self.counts["memberships"] = copy_rows(
            Membership,
            ["id", "is_sysadmin", "created_at", "consultant_id", "user_id", "subscription_id"],
            rows(),
        )
        levels = random.Random(self.seed + 1)  # noqa: S311 - test data
        level_ids = IdBlock(ProgramLevel)
        self.counts["program levels"] = copy_rows(
            ProgramLevel,
            ["id", "level", "membership_id", "program_id"],
            (
                (level_ids.take(1)[0], levels.choice(LEVELS), pk, program)
                for pk, index in zip(written, indexes, strict=True)
                for program in self.licences[index]
            ),
        )

    def write_requests(self) -> None:
        """Pending requests from firms to subscriptions they are not coupled to."""
        coupled = {index for index, _firm in self.coupled}
        free = [index for index in range(len(self.subscription_ids)) if index not in coupled]
        chosen = self.rng.sample(free, min(self.scale.pending_requests, len(free)))
        ids = IdBlock(CollaborationRequest).take(len(chosen))
        rows = []
        for pk, index in zip(ids, chosen, strict=True):
            firm = self.rng.randrange(len(self.firm_ids))
            consultant, user = self.rng.choice(self.consultants[firm])
            created = self.ago(self.rng.uniform(0, 25))
            rows.append(
                (
                    pk,
                    "pending",
                    created,
                    created + timedelta(days=30),
                    self.firm_ids[firm],
                    user,
                    consultant,
                    self.subscription_ids[index],
                )
            )
        self.counts["pending requests"] = copy_rows(
            CollaborationRequest,
            [
                "id",
                "status",
                "created_at",
                "expires_at",
                "firm_id",
                "requested_by_id",
                "responsible_consultant_id",
                "subscription_id",
            ],
            rows,
        )

    def write_billing(self) -> None:
        """Every fifth firm (and the big one) resells; half of its coupled
        customers are on its Samlingsfaktura, the rest pay themselves."""
        resellers = {0} | set(range(5, len(self.firm_ids), 5))
        agreements = IdBlock(ResellerAgreement).take(len(resellers))
        copy_rows(
            ResellerAgreement,
            ["id", "firm_id", "reference", "valid_from", "created_at"],
            (
                (pk, self.firm_ids[firm], f"ÅF-{firm}", date(2024, 1, 1), self.ago(700))
                for pk, firm in zip(agreements, sorted(resellers), strict=True)
            ),
        )
        paid = [(index, firm) for index, firm in self.coupled if firm in resellers]
        paid = [pair for pair in paid if self.rng.random() < 0.5]
        ids = IdBlock(SubscriptionBilling).take(len(paid))
        self.counts["firm-paid subscriptions"] = copy_rows(
            SubscriptionBilling,
            [
                "id",
                "street",
                "postal_code",
                "city",
                "invoice_email",
                "reference",
                "recipient",
                "consolidated",
                "period_months",
                "starts_on",
                "renews_on",
                "created_at",
                "updated_at",
                "firm_id",
                "subscription_id",
            ],
            (
                (
                    pk,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "firm",
                    True,
                    12,
                    date(2024, 1, 1),
                    date(2027, 1, 1),
                    self.ago(400),
                    self.ago(400),
                    self.firm_ids[firm],
                    self.subscription_ids[index],
                )
                for pk, (index, firm) in zip(ids, paid, strict=True)
            ),
        )

    def write_ledger(self) -> None:
        streams.world_tables(
            [
                (self.subscription_ids[index], self.firm_ids[firm], len(self.consultants[firm]))
                for index, firm in self.coupled
            ],
            [
                (self.firm_ids[firm], k, user)
                for firm, members in enumerate(self.consultants)
                for k, (_consultant, user) in enumerate(members)
            ],
        )
        self.counts["ledger events"] = streams.ledger_write(
            count=self.scale.ledger_events, coupled=len(self.coupled), now=self.now, seed=self.seed
        )

    def write_outbox(self) -> None:
        self.counts["outbox messages"] = streams.outbox_write(
            count=self.scale.outbox_messages,
            recipients=len(self.subscription_ids),
            now=self.now,
            seed=self.seed,
        )

    def write_invoices(self) -> None:
        self.counts.update(invoices.year_write(now=self.now))
