"""The state of one run of the large data set, shared by its steps, and the
helpers they use. One random generator drives it all, so the steps run in
the order `build.LargeWorld.build` gives them."""

import itertools
import random
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from clients.models import (
    Client,
    Program,
    Subscription,
)
from collaboration.models import Coupling
from firm_portal.management.large_world.names import (
    FIRST_NAMES,
    LAST_NAMES,
)
from firm_portal.management.large_world.specs import (
    BENCH_ADMIN_EMAIL,
    PASSWORD,
    SEED,
    ConsultantSpec,
    CouplingSpec,
    MemberSpec,
    PersonSpec,
    Scale,
    Summary,
    ascii_slug,
    org_number_from,
)
from firm_portal.models import Firm
from firm_portal.timeutils import STOCKHOLM, today_in_stockholm


class WorldState:
    """The data set of one run, as the steps plan and write it."""

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

    def members_of(self, subscription: int) -> Iterable[MemberSpec]:
        return (m for m in self.members if m.subscription == subscription)
