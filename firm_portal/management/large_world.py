"""The firm-scale data set behind `manage.py seed_large` (issue "Performance at
firm scale"): 10,000 clients, 12,000 subscriptions, 40 firms, one of them
("Storbyrån AB") with 300 consultants and 6,000 clients, 30,000 memberships
with program levels, 2,000 pending requests, client assignments and 100,000
outbox messages, plus three known logins for the benchmarks.

Everything comes from `random.Random(7)`, so two empty databases get the same
world (timestamps are relative to now; abonnemangsnummer continue from the
counter). Rows are written with `bulk_create`, never through the services, so
nothing is sent; the 50,000 access-ledger events are a history made up to
match (AccessEvent refuses updates through save(), not inserts)."""

import itertools
import json
import random
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.db.models import Case, DateTimeField, F, Value, When
from django.db.models.functions import Mod
from django.utils import timezone
from stdnum import luhn

from clients.catalogue import programs_ensure
from clients.models import (
    Client,
    ClientAssignment,
    Counter,
    Level,
    Membership,
    Plan,
    Program,
    ProgramLevel,
    Subscription,
    SubscriptionLicense,
)
from clients.services import SUBSCRIPTION_NUMBER_START
from collaboration.models import CollaborationRequest, Coupling
from firm_portal.management.large_world_names import (
    FIRM_KINDS,
    FIRST_NAMES,
    LAST_NAMES,
    LEGAL_FORMS,
    OUTBOX_TEMPLATES,
    PLAN_LICENSE_MIX,
    PLAN_WEIGHTS,
    ROLE_ORDER,
    TOWNS,
    TRADES,
)
from firm_portal.models import Consultant, Firm, User
from firm_portal.timeutils import STOCKHOLM, today_in_stockholm
from ledger.models import AccessEvent
from notifications.models import OutboxMessage

SEED = 7
PASSWORD = "bench1234"  # noqa: S105 - documented benchmark password
BATCH_SIZE = 2000
REQUEST_TTL = timedelta(days=30)

BIG_FIRM_NAME = "Storbyrån AB"
BENCH_ADMIN_EMAIL = "bench-admin@storbyran.bench"
BENCH_CONSULTANT_EMAIL = "bench-consultant@storbyran.bench"
BENCH_SYSADMIN_EMAIL = "bench-sysadmin@kund.bench"
BENCH_EMAILS = (BENCH_ADMIN_EMAIL, BENCH_CONSULTANT_EMAIL, BENCH_SYSADMIN_EMAIL)


@dataclass(frozen=True)
class Scale:
    clients: int = 10_000
    subscriptions: int = 12_000
    firms: int = 40
    big_firm_consultants: int = 300
    big_firm_clients: int = 6_000
    # Big-firm clients where the firm is sysadmin and the client has no users
    # of its own: what "Bjud in klientanvändare" lists.
    firm_administered: int = 3_000
    other_firm_couplings: int = 3_500
    memberships: int = 30_000
    pending_requests: int = 2_000
    big_firm_pending: int = 400
    bench_consultant_clients: int = 150
    bench_subscription_members: int = 20
    bench_subscription_pending: int = 5
    outbox_messages: int = 100_000
    ledger_events: int = 50_000
    # Of those, events about the bench consultant (their ledger page).
    bench_consultant_events: int = 600


def ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def org_number_from(body: str) -> str:
    """NNNNNN-NNNN for nine digits plus their Luhn check digit."""
    digits = body + luhn.calc_check_digit(body)
    return f"{digits[:6]}-{digits[6:]}"


def batched_create(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    model._default_manager.bulk_create(rows, batch_size=BATCH_SIZE)


@dataclass
class PersonSpec:
    email: str
    full_name: str
    user: User | None = None


@dataclass
class ConsultantSpec:
    person: PersonSpec
    firm: int  # index into LargeWorld.firms
    is_firm_admin: bool = False
    is_client_manager_admin: bool = False
    has_seat: bool = True
    row: Consultant | None = None

    @property
    def sees_all(self) -> bool:
        return self.is_firm_admin or self.is_client_manager_admin


@dataclass
class CouplingSpec:
    firm: int
    subscription: int
    responsible: ConsultantSpec
    status: str
    starts_on: date
    activated_at: datetime | None


@dataclass
class MemberSpec:
    subscription: int  # index into LargeWorld.subscriptions
    person: PersonSpec
    consultant: ConsultantSpec | None = None
    is_sysadmin: bool = False

    @property
    def role(self) -> str:
        if self.is_sysadmin:
            return "sysadmin"
        return "consultant" if self.consultant is not None else "user"


@dataclass
class Summary:
    firms: int = 0
    consultants: int = 0
    users: int = 0
    clients: int = 0
    subscriptions: int = 0
    couplings: int = 0
    memberships: int = 0
    levels: int = 0
    licenses: int = 0
    pending_requests: int = 0
    assignments: int = 0
    outbox_messages: int = 0
    ledger_events: int = 0
    bench_consultant_clients: int = 0
    bench_subscription_number: int = 0
    bench_subscription_client: str = ""
    timings: list[tuple[str, float]] = field(default_factory=list)


class LargeWorld:
    """Builds the data set; one instance per run, inside one transaction."""

    def __init__(self, scale: Scale | None = None, progress: Callable[[str], None] = print):
        self.scale = scale or Scale()
        self.progress = progress
        self.rng = random.Random(SEED)  # noqa: S311 - test data, not secrets
        self.now = timezone.now()
        self.today = today_in_stockholm()
        self.password = make_password(PASSWORD)
        self.summary = Summary()
        self.programs: dict[str, Program] = {}
        self.used_org_numbers: set[str] = set()
        self.email_counter = itertools.count(1)
        self.firms: list[Firm] = []
        self.consultants: list[list[ConsultantSpec]] = []  # per firm
        self.people: list[PersonSpec] = []
        self.clients: list[Client] = []
        self.subscriptions: list[Subscription] = []
        self.first_subscription: list[int] = []  # per client
        self.second_subscription: dict[int, int] = {}  # client index -> subscription index
        self.licensed: dict[int, list[Program]] = {}
        # (firm index, subscription index) -> status of the live coupling
        self.coupled: dict[tuple[int, int], str] = {}
        self.couplings: list[CouplingSpec] = []
        self.members: list[MemberSpec] = []
        self.member_keys: set[tuple[int, str]] = set()
        self.assignments: set[tuple[int, int, int]] = set()  # firm, consultant idx, sub idx
        self.firm_administered: set[int] = set()
        self.client_sysadmin_subs: list[int] = []
        self.bench_subscription = -1

    # -- helpers ----------------------------------------------------------------

    def step(self, name: str, action: Callable[[], None]) -> None:
        started = timezone.now()
        action()
        seconds = (timezone.now() - started).total_seconds()
        self.summary.timings.append((name, seconds))
        self.progress(f"  {name}: {seconds:.1f} s")

    def new_org_number(self, prefixes: Sequence[str]) -> str:
        while True:
            prefix = self.rng.choice(prefixes)
            body = prefix + "".join(str(self.rng.randrange(10)) for _ in range(9 - len(prefix)))
            number = org_number_from(body)
            if number not in self.used_org_numbers:
                self.used_org_numbers.add(number)
                return number

    def person(self, domain: str) -> PersonSpec:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        email = f"{ascii_slug(first)}.{ascii_slug(last)}.{next(self.email_counter)}@{domain}"
        spec = PersonSpec(email=email, full_name=f"{first} {last}")
        self.people.append(spec)
        return spec

    def named_person(self, email: str, full_name: str) -> PersonSpec:
        spec = PersonSpec(email=email, full_name=full_name)
        self.people.append(spec)
        return spec

    def add_member(
        self,
        subscription: int,
        person: PersonSpec,
        *,
        consultant: ConsultantSpec | None = None,
        is_sysadmin: bool = False,
    ) -> bool:
        key = (subscription, person.email)
        if key in self.member_keys:
            return False
        self.member_keys.add(key)
        self.members.append(MemberSpec(subscription, person, consultant, is_sysadmin))
        return True

    def seated(self, firm: int, *, non_admin: bool = False) -> list[ConsultantSpec]:
        return [
            c
            for c in self.consultants[firm]
            if c.has_seat and not (non_admin and c.sees_all) and c.person.email != BENCH_ADMIN_EMAIL
        ]

    def couple(self, firm: int, subscription: int, responsible: ConsultantSpec) -> str:
        """A live coupling; the responsible consultant becomes a member and is
        assigned the client. Returns its status."""
        scheduled = self.rng.random() < 0.03 and subscription not in self.firm_administered
        if scheduled:
            starts_on = self.today + timedelta(days=self.rng.randint(1, 30))
            status, activated_at = Coupling.Status.SCHEDULED, None
        else:
            starts_on = self.today - timedelta(days=self.rng.randint(30, 1500))
            status = Coupling.Status.ACTIVE
            activated_at = datetime.combine(
                starts_on, time(self.rng.randint(8, 16), self.rng.randrange(60)), tzinfo=STOCKHOLM
            )
        self.coupled[firm, subscription] = status
        self.couplings.append(
            CouplingSpec(firm, subscription, responsible, status, starts_on, activated_at)
        )
        self.add_member(
            subscription,
            responsible.person,
            consultant=responsible,
            is_sysadmin=subscription in self.firm_administered and firm == 0,
        )
        self.assignments.add((firm, self.consultants[firm].index(responsible), subscription))
        return status

    # -- steps ------------------------------------------------------------------

    def build(self) -> Summary:
        self.programs = {p.code: p for p in Program.objects.all()}
        if len(self.programs) < 8:
            programs_ensure()
            self.programs = {p.code: p for p in Program.objects.all()}
        self.used_org_numbers = set(Client.objects.values_list("org_number", flat=True)) | set(
            Firm.objects.values_list("org_number", flat=True)
        )
        with transaction.atomic():
            self.step("firms and consultants", self.create_firms_and_consultants)
            self.step("clients and subscriptions", self.create_clients_and_subscriptions)
            self.step("couplings and assignments", self.plan_couplings)
            self.step("client users", self.plan_client_users)
            self.step("users", self.create_users)
            self.step("couplings", self.create_couplings)
            self.step("memberships, levels, licences", self.create_memberships_and_levels)
            self.step("client assignments", self.create_assignments)
            self.step("pending requests", self.create_pending_requests)
            self.step("outbox", self.create_outbox)
            self.step("access ledger", self.create_ledger)
        return self.summary

    def create_firms_and_consultants(self) -> None:
        scale = self.scale
        names = [f"{kind} {town} AB" for kind in FIRM_KINDS for town in TOWNS]
        self.rng.shuffle(names)
        firm_names = [BIG_FIRM_NAME, *names[: scale.firms - 1]]
        self.firms = [
            Firm(name=name, org_number=self.new_org_number(("556",))) for name in firm_names
        ]
        for index, firm in enumerate(self.firms):
            domain = "storbyran.bench" if index == 0 else f"{ascii_slug(firm.name)}.bench"
            if index == 0:
                specs = [
                    ConsultantSpec(
                        self.named_person(BENCH_ADMIN_EMAIL, "Bench Administratör"),
                        0,
                        is_firm_admin=True,
                    ),
                    ConsultantSpec(self.named_person(BENCH_CONSULTANT_EMAIL, "Bench Konsult"), 0),
                ]
                for n in range(2, scale.big_firm_consultants):
                    specs.append(
                        ConsultantSpec(
                            self.person(domain),
                            0,
                            is_firm_admin=n < 6,
                            is_client_manager_admin=6 <= n < 9,
                            has_seat=n < 9 or self.rng.random() < 0.9,
                        )
                    )
            else:
                specs = [
                    ConsultantSpec(
                        self.person(domain),
                        index,
                        is_firm_admin=n == 0,
                        has_seat=n == 0 or self.rng.random() < 0.8,
                    )
                    for n in range(self.rng.randint(4, 20))
                ]
            self.consultants.append(specs)
            firm.client_manager_seats = sum(c.has_seat for c in specs) + self.rng.randint(0, 10)
        batched_create(Firm, self.firms)
        self.summary.firms = len(self.firms)

    def create_clients_and_subscriptions(self) -> None:
        scale = self.scale
        names = [
            f"{part} {trade} {form}"
            for part in (*TOWNS, *(f"{name}s" for name in LAST_NAMES))
            for trade in TRADES
            for form in LEGAL_FORMS
        ]
        if len(names) < scale.clients:
            raise ValueError("Not enough distinct client names for this scale")
        self.rng.shuffle(names)
        self.clients = [
            Client(name=name, org_number=self.new_org_number(("556", "559", "5568", "969")))
            for name in names[: scale.clients]
        ]
        batched_create(Client, self.clients)

        extra = scale.subscriptions - scale.clients
        second = set(self.rng.sample(range(scale.clients), extra))
        plans, weights = list(PLAN_WEIGHTS), list(PLAN_WEIGHTS.values())
        layout: list[tuple[int, str]] = []
        for index in range(scale.clients):
            self.first_subscription.append(len(layout))
            layout.append((index, self.rng.choices(plans, weights)[0]))
            if index in second:
                self.second_subscription[index] = len(layout)
                layout.append((index, Plan.FAKTURA if self.rng.random() < 0.6 else Plan.START))
        first_number = self.allocate_numbers(len(layout))
        self.subscriptions = [
            Subscription(
                client=self.clients[client_index],
                plan=plan,
                number=first_number + offset,
                status=Subscription.Status.ACTIVE,
            )
            for offset, (client_index, plan) in enumerate(layout)
        ]
        batched_create(Subscription, self.subscriptions)
        for index, subscription in enumerate(self.subscriptions):
            always, extras, max_extras = PLAN_LICENSE_MIX[subscription.plan]
            codes = [*always, *self.rng.sample(extras, self.rng.randint(0, max_extras))]
            self.licensed[index] = sorted(
                (self.programs[code] for code in codes), key=lambda p: p.sort_order
            )
        self.summary.clients = len(self.clients)
        self.summary.subscriptions = len(self.subscriptions)

    def allocate_numbers(self, count: int) -> int:
        """Reserve `count` abonnemangsnummer from the counter in one UPDATE
        (as `subscription_number_allocate` does one at a time); returns the first."""
        counter, _created = Counter.objects.select_for_update().get_or_create(
            name="subscription_number", defaults={"value": SUBSCRIPTION_NUMBER_START}
        )
        Counter.objects.filter(pk=counter.pk).update(value=F("value") + count)
        return counter.value + 1

    def plan_couplings(self) -> None:
        scale = self.scale
        big = self.consultants[0]
        firm_count = len(self.firms)
        # The bench sysadmin's subscription: not coupled to Storbyrån.
        big_clients = self.rng.sample(range(scale.clients), scale.big_firm_clients + 1)
        bench_client = big_clients.pop()
        self.bench_subscription = self.first_subscription[bench_client]
        self.licensed[self.bench_subscription] = sorted(
            self.programs.values(), key=lambda p: p.sort_order
        )
        self.subscriptions[self.bench_subscription].plan = Plan.PRO
        big_subs = [self.first_subscription[c] for c in big_clients]

        # Storbyrån: who works with which clients (Klienthanteraren).
        assigned: dict[int, list[int]] = defaultdict(list)  # sub -> consultant indexes
        for index, spec in enumerate(big):
            if spec.sees_all:
                continue
            if spec.person.email == BENCH_CONSULTANT_EMAIL:
                count = scale.bench_consultant_clients
            else:
                count = self.rng.randint(20, 200)
            for sub in self.rng.sample(big_subs, count):
                self.assignments.add((0, index, sub))
                assigned[sub].append(index)
        self.firm_administered = set(self.rng.sample(big_subs, scale.firm_administered))
        fallback = self.seated(0, non_admin=True)
        for sub in big_subs:
            candidates = [big[i] for i in assigned[sub] if big[i].has_seat]
            responsible = self.rng.choice(candidates or fallback)
            self.couple(0, sub, responsible)

        # The other firms, in proportion to their size; some of their
        # clients are Storbyrån's too ("dubbelsammankoppling").
        sizes = [len(self.consultants[f]) for f in range(1, firm_count)]
        quotas = [round(scale.other_firm_couplings * s / sum(sizes)) for s in sizes]
        pool = [i for i in range(len(self.subscriptions)) if i != self.bench_subscription]
        for firm, quota in zip(range(1, firm_count), quotas, strict=True):
            seated = self.seated(firm)
            for sub in self.rng.sample(pool, quota):
                responsible = self.rng.choice(seated)
                status = self.couple(firm, sub, responsible)
                if status == Coupling.Status.ACTIVE and self.rng.random() < 0.05:
                    # Now and then the client made the firm's consultant sysadmin.
                    self.members[-1].is_sysadmin = True

        # The bench sysadmin's subscription: three coupled firms, five
        # consultants of theirs among its members.
        bench = self.bench_subscription
        for firm in self.rng.sample(range(1, firm_count), 3):
            seated = self.seated(firm)
            self.couple(firm, bench, seated[0])
            if len(self.consultants[firm]) > 1 and sum(1 for m in self.members_of(bench)) < 5:
                extra = next(c for c in self.consultants[firm] if c is not seated[0])
                self.add_member(bench, extra.person, consultant=extra)
                self.assignments.add((firm, self.consultants[firm].index(extra), bench))

    def members_of(self, subscription: int) -> Iterable[MemberSpec]:
        return (m for m in self.members if m.subscription == subscription)

    def plan_client_users(self) -> None:
        scale = self.scale
        bench = self.bench_subscription
        others = [
            i
            for i in range(len(self.subscriptions))
            if i not in self.firm_administered and i != bench
        ]
        # A few subscriptions have no users at all (manual coupling only).
        without_users = set(self.rng.sample(others, len(others) // 50))
        client_subs = [i for i in others if i not in without_users]

        bench_consultants = sum(1 for _ in self.members_of(bench))
        bench_sysadmin = self.named_person(BENCH_SYSADMIN_EMAIL, "Bench Sysadmin")
        self.add_member(bench, bench_sysadmin, is_sysadmin=True)
        client_domain = "kund.bench"
        for n in range(scale.bench_subscription_members - bench_consultants - 1):
            self.add_member(bench, self.person(client_domain), is_sysadmin=n == 0)

        # One sysadmin per subscription; a client's two subscriptions share it.
        sysadmin_of_client: dict[int, PersonSpec] = {}
        client_of = {self.first_subscription[c]: c for c in range(len(self.clients))}
        client_of.update({s: c for c, s in self.second_subscription.items()})
        for sub in client_subs:
            client = client_of[sub]
            person = sysadmin_of_client.get(client) or self.person(client_domain)
            sysadmin_of_client[client] = person
            self.add_member(sub, person, is_sysadmin=True)
        self.client_sysadmin_subs = client_subs

        remaining = scale.memberships - len(self.members)
        while remaining > 0:
            sub = self.rng.choice(client_subs)
            if self.add_member(
                sub, self.person(client_domain), is_sysadmin=self.rng.random() < 0.08
            ):
                remaining -= 1

    def create_users(self) -> None:
        users = [
            User(email=p.email, full_name=p.full_name, password=self.password) for p in self.people
        ]
        # The named bench users log in at once; everyone else joined earlier.
        for user in users:
            if user.email not in BENCH_EMAILS:
                user.date_joined = self.now - timedelta(days=self.rng.randint(1, 1500))
        batched_create(User, users)
        for person, user in zip(self.people, users, strict=True):
            person.user = user
        rows = [
            Consultant(
                user=spec.person.user,
                firm=self.firms[spec.firm],
                is_firm_admin=spec.is_firm_admin,
                is_client_manager_admin=spec.is_client_manager_admin,
                has_client_manager_seat=spec.has_seat,
            )
            for specs in self.consultants
            for spec in specs
        ]
        batched_create(Consultant, rows)
        for spec, row in zip((s for specs in self.consultants for s in specs), rows, strict=True):
            spec.row = row
        self.summary.users = len(users)
        self.summary.consultants = len(rows)

    def create_couplings(self) -> None:
        rows = [
            Coupling(
                firm=self.firms[spec.firm],
                subscription=self.subscriptions[spec.subscription],
                responsible_consultant=spec.responsible.row,
                status=spec.status,
                starts_on=spec.starts_on,
                activated_at=spec.activated_at,
            )
            for spec in self.couplings
        ]
        batched_create(Coupling, rows)
        self.summary.couplings = len(rows)

    def create_memberships_and_levels(self) -> None:
        rows = [
            Membership(
                subscription=self.subscriptions[m.subscription],
                user=m.person.user,
                consultant=m.consultant.row if m.consultant else None,
                is_sysadmin=m.is_sysadmin,
            )
            for m in self.members
        ]
        batched_create(Membership, rows)
        used: dict[tuple[int, int], int] = defaultdict(int)
        levels: list[ProgramLevel] = []
        order = sorted(
            range(len(self.members)),
            key=lambda i: (self.members[i].subscription, ROLE_ORDER[self.members[i].role]),
        )
        for i in order:
            spec, membership = self.members[i], rows[i]
            programs = self.licensed[spec.subscription]
            if spec.role == "sysadmin":
                picked = programs[:1] + self.rng.sample(
                    programs[1:], min(self.rng.randint(0, 2), len(programs) - 1)
                )
                choices = [Level.ADMIN, Level.APPROVER]
            elif spec.role == "consultant":
                picked = self.rng.sample(programs, min(self.rng.randint(1, 3), len(programs)))
                choices = [Level.ADMIN, Level.APPROVER, Level.REPORTER]
            else:
                picked = self.rng.sample(programs, min(self.rng.randint(1, 2), len(programs)))
                choices = [Level.REPORTER, Level.READ, Level.APPROVER]
            for index, program in enumerate(picked):
                used[spec.subscription, program.pk] += 1
                level = (
                    Level.ADMIN
                    if spec.role == "sysadmin" and index == 0
                    else self.rng.choice(choices)
                )
                levels.append(ProgramLevel(membership=membership, program=program, level=level))
        batched_create(ProgramLevel, levels)
        # Every level holds a seat; some subscriptions have seats to spare.
        licenses = [
            SubscriptionLicense(
                subscription=self.subscriptions[sub],
                program=program,
                seats=used[sub, program.pk]
                + (2 if sub == self.bench_subscription else self.rng.randint(0, 2)),
            )
            for sub, programs in self.licensed.items()
            for program in programs
        ]
        batched_create(SubscriptionLicense, licenses)
        self.summary.memberships = len(rows)
        self.summary.levels = len(levels)
        self.summary.licenses = len(licenses)
        bench = self.subscriptions[self.bench_subscription]
        self.summary.bench_subscription_number = bench.number
        self.summary.bench_subscription_client = bench.client.name

    def create_assignments(self) -> None:
        rows = [
            ClientAssignment(
                consultant=self.consultants[firm][consultant].row,
                subscription=self.subscriptions[sub],
            )
            for firm, consultant, sub in sorted(self.assignments)
        ]
        batched_create(ClientAssignment, rows)
        self.summary.assignments = len(rows)
        self.summary.bench_consultant_clients = sum(
            1
            for firm, consultant, _sub in self.assignments
            if firm == 0 and self.consultants[0][consultant].person.email == BENCH_CONSULTANT_EMAIL
        )

    def create_pending_requests(self) -> None:
        """Pending requests to subscriptions with a client sysadmin, from firms
        not coupled to them, at most one per firm and subscription."""
        scale = self.scale
        bench = self.bench_subscription
        pairs: set[tuple[int, int]] = set()
        wanted: list[tuple[int, int]] = []

        def want(firm: int, sub: int) -> bool:
            if (firm, sub) in pairs or (firm, sub) in self.coupled:
                return False
            pairs.add((firm, sub))
            wanted.append((firm, sub))
            return True

        # The bench sysadmin's to-do cards: Storbyrån and four more firms.
        firms = [0, *self.rng.sample(range(1, len(self.firms)), len(self.firms) - 1)]
        for firm in firms:
            if len(wanted) == scale.bench_subscription_pending:
                break
            want(firm, bench)
        targets = [s for s in self.client_sysadmin_subs if s != bench]
        big_quota = scale.big_firm_pending - 1
        while big_quota > 0:
            if want(0, self.rng.choice(targets)):
                big_quota -= 1
        while len(wanted) < scale.pending_requests:
            want(self.rng.randrange(1, len(self.firms)), self.rng.choice(targets))

        rows = []
        for firm, sub in wanted:
            responsible = self.rng.choice(self.seated(firm, non_admin=firm == 0))
            sent = self.now - timedelta(minutes=self.rng.randint(5, 29 * 24 * 60))
            start_date = (
                self.today + timedelta(days=self.rng.randint(31, 90))
                if self.rng.random() < 0.1
                else None
            )
            rows.append(
                CollaborationRequest(
                    firm=self.firms[firm],
                    subscription=self.subscriptions[sub],
                    responsible_consultant=responsible.row,
                    requested_by=responsible.person.user,
                    start_date=start_date,
                    expires_at=sent + REQUEST_TTL,
                )
            )
        batched_create(CollaborationRequest, rows)
        # created_at is auto_now_add: backdate it to when each was sent.
        CollaborationRequest.objects.filter(pk__in=[r.pk for r in rows]).update(
            created_at=F("expires_at") - REQUEST_TTL
        )
        self.summary.pending_requests = len(rows)

    def create_outbox(self) -> None:
        """Mostly sent, some waiting (a broker outage) and some failed for good."""
        scale = self.scale
        recipients = [p.email for p in self.rng.sample(self.people, 2000)]
        client_names = [c.name for c in self.rng.sample(self.clients, 500)]
        firm_names = [f.name for f in self.firms]
        rows = []
        for _ in range(scale.outbox_messages):
            template, subject = self.rng.choice(OUTBOX_TEMPLATES)
            context = {"firm": self.rng.choice(firm_names), "client": self.rng.choice(client_names)}
            roll = self.rng.random()
            status = (
                OutboxMessage.Status.PENDING
                if roll < 0.025
                else OutboxMessage.Status.FAILED
                if roll < 0.04
                else OutboxMessage.Status.SENT
            )
            sms = self.rng.random() < 0.08
            text = (
                f"Hej!\n\n{subject.format(**context)}.\n\n"
                f"Logga in på Byråportalen för att se mer.\n\nVänliga hälsningar\n{context['firm']}"
            )
            rows.append(
                OutboxMessage(
                    channel=OutboxMessage.Channel.SMS if sms else OutboxMessage.Channel.EMAIL,
                    recipient=f"+4670{self.rng.randrange(10**7):07d}"
                    if sms
                    else self.rng.choice(recipients),
                    template=template,
                    subject="" if sms else subject.format(**context),
                    body_text=text,
                    body_html="" if sms else "<p>" + text.replace("\n\n", "</p><p>") + "</p>",
                    status=status,
                    idempotency_key=uuid.UUID(int=self.rng.getrandbits(128), version=4),
                    attempts=0
                    if status == OutboxMessage.Status.PENDING
                    else (8 if status == OutboxMessage.Status.FAILED else 1),
                    last_error="SMTP 550 mailbox unavailable"
                    if status == OutboxMessage.Status.FAILED
                    else "",
                )
            )
        batched_create(OutboxMessage, rows)
        # created_at is auto_now_add: spread the history over half a year
        # (waiting ones within the last hour), sent a few seconds after.
        first, last = rows[0].pk, rows[-1].pk
        step = timedelta(days=180) / max(len(rows), 1)
        OutboxMessage.objects.filter(pk__range=(first, last)).update(
            created_at=Case(
                When(
                    status=OutboxMessage.Status.PENDING,
                    then=Value(self.now) - Mod(F("pk"), Value(3600)) * Value(timedelta(seconds=1)),
                ),
                default=Value(self.now) - (Value(last) - F("pk")) * Value(step),
                output_field=DateTimeField(),
            ),
        )
        OutboxMessage.objects.filter(
            pk__range=(first, last), status=OutboxMessage.Status.SENT
        ).update(sent_at=F("created_at") + timedelta(seconds=3))
        self.summary.outbox_messages = len(rows)

    def create_ledger(self) -> None:
        """Half a year of access-ledger history: level changes, members added,
        requests sent and approved, seats and roles, about the world's
        couplings and members, with a few hundred about the bench consultant
        (the ledger page `make bench` measures)."""
        scale = self.scale
        couplings = [spec for spec in self.couplings if spec.responsible.row is not None]
        bench = next(
            spec
            for firm in self.consultants
            for spec in firm
            if spec.person.email == BENCH_CONSULTANT_EMAIL
        )
        bench_couplings = [spec for spec in couplings if spec.firm == bench.firm]
        coupling_kinds = [
            AccessEvent.Kind.REQUEST_SENT,
            AccessEvent.Kind.REQUEST_APPROVED,
            AccessEvent.Kind.MEMBER_ADDED,
            AccessEvent.Kind.LEVEL_CHANGED,
            AccessEvent.Kind.LEVEL_CHANGED,
            AccessEvent.Kind.ASSIGNMENT_CHANGED,
        ]
        levels = ["read", "reporter", "approver", "admin", None]
        program_codes = list(self.programs)
        step = timedelta(days=180) / max(scale.ledger_events, 1)
        rows = []
        for n in range(scale.ledger_events):
            occurred_at = self.now - step * (scale.ledger_events - n)
            if n % (scale.ledger_events // scale.bench_consultant_events) == 0:
                responsible = bench
                spec = self.rng.choice(bench_couplings)
            else:
                spec = self.rng.choice(couplings)
                responsible = spec.responsible
            kind = self.rng.choice(coupling_kinds)
            before = after = None
            if kind == AccessEvent.Kind.LEVEL_CHANGED:
                code = self.rng.choice(program_codes)
                before = {"program": code, "level": self.rng.choice(levels)}
                after = {"program": code, "level": self.rng.choice(levels)}
            rows.append(
                AccessEvent(
                    kind=kind,
                    occurred_at=occurred_at,
                    actor_id=getattr(responsible.person.user, "pk", None),
                    firm_id=self.firms[responsible.firm].pk,
                    subscription_id=self.subscriptions[spec.subscription].pk,
                    subject_id=getattr(responsible.person.user, "pk", None),
                    before=before,
                    after=after,
                )
            )
        # A raw INSERT: occurred_at is auto_now_add, the ledger refuses updates.
        columns = [
            "kind", "occurred_at", "actor_id", "firm_id", "subscription_id",
            "subject_id", "before", "after", "detail",
        ]  # fmt: skip
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {AccessEvent._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 - fixed names
                f"VALUES ({', '.join(['%s'] * len(columns))})",
                [
                    (
                        e.kind,
                        e.occurred_at,
                        e.actor_id,
                        e.firm_id,
                        e.subscription_id,
                        e.subject_id,
                        json.dumps(e.before) if e.before is not None else None,
                        json.dumps(e.after) if e.after is not None else None,
                        e.detail,
                    )
                    for e in rows
                ],
            )
        self.summary.ledger_events = len(rows)
