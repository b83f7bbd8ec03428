"""The state of one demo run, shared by the steps, and the small helpers they
use. One random generator drives it all, so the steps must run in the order
`build.world_build` gives them."""

import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from stdnum import luhn
from stdnum.se import orgnr

from clients.models import Client, Program, Subscription
from collaboration.models import CollaborationRequest, Coupling
from firm_portal.management.demo.specs import DEMO_PASSWORD, FIRST_NAMES, LAST_NAMES, SEED
from firm_portal.models import Consultant, Firm, User
from firm_portal.timeutils import today_in_stockholm
from licensing.models import Invoice
from licensing.pricing import Month


@dataclass
class MemberPlan:
    """A membership to create; `role` decides the levels it gets."""

    user: User
    role: str  # "sysadmin", "consultant" or "user"
    consultant: Consultant | None = None
    is_sysadmin: bool = False
    with_levels: bool = True


def ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def org_number_for(body: str) -> str:
    """NNNNNN-NNNN for nine digits plus their Luhn check digit."""
    return orgnr.format(orgnr.validate(body + luhn.calc_check_digit(body)))


class World:
    """The demo data of one run, as the steps build it."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.today = today_in_stockholm()
        self.now = timezone.now()
        self.password = make_password(DEMO_PASSWORD)
        self.used_org_numbers: set[str] = set(
            Client.objects.values_list("org_number", flat=True)
        ) | set(Firm.objects.values_list("org_number", flat=True))
        self.used_emails: set[str] = set()
        self.users: dict[str, User] = {}
        self.firms: dict[str, Firm] = {}
        self.consultants: dict[str, Consultant] = {}  # by email
        self.firm_consultants: dict[str, list[Consultant]] = {}
        self.clients: dict[str, Client] = {}
        self.subscriptions: list[Subscription] = []
        self.programs = {p.code: p for p in Program.objects.all()}
        self.seats: dict[tuple[int, int], int] = {}
        self.licensed: dict[int, list[Program]] = defaultdict(list)
        self.members: dict[int, list[MemberPlan]] = defaultdict(list)
        self.round_robin: dict[str, int] = defaultdict(int)
        self.couplings: list[Coupling] = []
        # When each subscription's first coupling started (a second firm came later).
        self.first_starts: dict[int, date] = {}
        # Decided requests with the time they were sent (created_at is auto_now_add).
        self.approved: list[tuple[Coupling, CollaborationRequest, datetime]] = []
        self.pending: list[CollaborationRequest] = []
        self.scheduled: Coupling
        self.without_sysadmin: list[Subscription] = []
        self.free_subscriptions: list[Subscription] = []
        self.named: dict[str, Subscription] = {}
        self.firm_paid: list[Subscription] = []
        self.invoices: list[Invoice] = []
        self.invoiced_month = Month.of(self.today).previous()
        self.level_count = 0

    def new_org_number(self, prefix: str, rng: random.Random | None = None) -> str:
        rng = rng or self.rng
        while True:
            body = prefix + "".join(str(rng.randrange(10)) for _ in range(9 - len(prefix)))
            number = org_number_for(body)
            if number not in self.used_org_numbers:
                self.used_org_numbers.add(number)
                return number

    def user_row(self, email: str, full_name: str, **extra: Any) -> User:
        email = email.lower()
        if email in self.used_emails:
            raise ValueError(f"Duplicate demo email {email}")
        self.used_emails.add(email)
        return User(email=email, full_name=full_name, password=self.password, **extra)

    def save_users(self, rows: list[User]) -> None:
        User.objects.bulk_create(rows)
        for user in User.objects.filter(email__in=[u.email for u in rows]):
            self.users[user.email] = user

    def random_person(self, domain: str) -> tuple[str, str]:
        while True:
            first = self.rng.choice(FIRST_NAMES)
            last = self.rng.choice(LAST_NAMES)
            email = f"{ascii_slug(first)}.{ascii_slug(last)}@{domain}"
            if email not in self.used_emails:
                return email, f"{first} {last}"

    def past_date(self, min_days: int, max_days: int) -> date:
        return self.today - timedelta(days=self.rng.randint(min_days, max_days))

    def responsible_for(self, firm_key: str) -> Consultant:
        """Seated consultants of the firm in turn, so everyone gets clients."""
        seated = [c for c in self.firm_consultants[firm_key] if c.has_client_manager_seat]
        consultant = seated[self.round_robin[firm_key] % len(seated)]
        self.round_robin[firm_key] += 1
        return consultant
