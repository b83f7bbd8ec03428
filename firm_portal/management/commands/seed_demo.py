"""`manage.py seed_demo`: a believable Swedish demo world, run by `make run`.

Three accounting firms with consultants, forty clients with subscriptions,
licences and permissions, active, double and scheduled couplings, and pending
requests; sixty small clients whose subscriptions Redovisningsbyrån Norr AB
runs itself (Johan is their sysadmin, they have no users of their own), so
"Bjud in klientanvändare" has more rows than one send takes; and last month
invoiced by the real invoicing run, Norr's Samlingsfaktura included, so
"Fakturor" and its PDFs show at once. Everything comes from
`random.Random(2026)` (and 2027 for the sixty), so two fresh databases get
the same world (apart from abonnemangs- and fakturanummer, which continue
from their counters). Rows are written directly, never through the services
that send email. Every demo user has the password `demo1234`.
"""

import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from stdnum import luhn
from stdnum.se import orgnr

from clients.models import (
    Client,
    ClientAssignment,
    Invitation,
    JoinOffer,
    Level,
    Membership,
    Plan,
    Program,
    ProgramLevel,
    Subscription,
    SubscriptionLicense,
)
from clients.services import subscription_create
from collaboration.models import CollaborationRequest, Coupling, CustomerAcceptance, ManualCoupling
from firm_portal.management.demo_reminders import remind_demo_request
from firm_portal.models import Consultant, ConsultantOffboarding, Firm, User
from firm_portal.timeutils import STOCKHOLM, today_in_stockholm
from firm_portal.two_factor.services import two_factor_required
from licensing.billing import invoicing_run
from licensing.models import (
    BillingChange,
    ClientManagerSeatChange,
    FirmBillingDetails,
    FirmCharge,
    Invoice,
    InvoiceLine,
    LicenseChange,
    PlanChange,
    Recipient,
    ResellerAgreement,
    SubscriptionBilling,
)
from licensing.pricing import Month, add_months

SEED = 2026
DEMO_PASSWORD = "demo1234"  # noqa: S105 - documented demo password
DEMO_EMAIL_SUFFIX = ".demo"
CLIENT_MANAGER_SEATS = 10
REQUEST_TTL = timedelta(days=30)

NORR, GBG, MALMO = "norr", "gbg", "malmo"
# Norr's clients that can be given users with "Bjud in klientanvändare": more
# than one send takes (50), so the limit can be tried.
FIRM_MANAGED_COUNT = 60
FIRM_MANAGED_SYSADMIN = "johan@norr.demo"


@dataclass(frozen=True)
class ConsultantSpec:
    email: str
    full_name: str
    is_firm_admin: bool = False
    is_client_manager_admin: bool = False
    has_seat: bool = True


@dataclass(frozen=True)
class FirmSpec:
    key: str
    name: str
    consultants: tuple[ConsultantSpec, ...]


FIRMS: tuple[FirmSpec, ...] = (
    FirmSpec(
        NORR,
        "Redovisningsbyrån Norr AB",
        (
            ConsultantSpec("anna@norr.demo", "Anna Lindberg", True, True),
            ConsultantSpec("erik@norr.demo", "Erik Sundström"),
            ConsultantSpec("maja@norr.demo", "Maja Nyström"),
            ConsultantSpec("johan@norr.demo", "Johan Lindqvist"),
            ConsultantSpec("nils@norr.demo", "Nils Öberg", has_seat=False),
        ),
    ),
    FirmSpec(
        GBG,
        "Siffror & Skatt i Göteborg AB",
        (
            ConsultantSpec("karin@gbg.demo", "Karin Johansson", is_firm_admin=True),
            ConsultantSpec("oskar@gbg.demo", "Oskar Hansson"),
            ConsultantSpec("elin@gbg.demo", "Elin Karlsson"),
            ConsultantSpec("david@gbg.demo", "David Svensson"),
        ),
    ),
    FirmSpec(
        MALMO,
        "Malmö Bokföringsbyrå AB",
        (
            ConsultantSpec("ola@malmo.demo", "Ola Persson", is_firm_admin=True),
            ConsultantSpec("sofia@malmo.demo", "Sofia Nilsson", is_client_manager_admin=True),
            ConsultantSpec("ahmed@malmo.demo", "Ahmed Hassan"),
            ConsultantSpec("emma@malmo.demo", "Emma Bengtsson"),
            ConsultantSpec("gustav@malmo.demo", "Gustav Mattsson", has_seat=False),
        ),
    ),
)
FIRM_NAMES = tuple(spec.name for spec in FIRMS)

BAGERIET = "Bageriet Solsidan AB"
PERSSONS = "Perssons Rör & Värme AB"
FJALLSTUGAN = "Fjällstugan Turism AB"
CLIENT_NAMES: tuple[str, ...] = (
    BAGERIET,
    PERSSONS,
    FJALLSTUGAN,
    "Luleå Elektriska AB",
    "Umeå Snickeri & Bygg AB",
    "Kiruna Gruvservice AB",
    "Skellefteå Måleri AB",
    "Piteå Havsbad Café AB",
    "Norrbottens Skogstjänst AB",
    "Haparanda Handelshus AB",
    "Östersunds Cykelverkstad AB",
    "Sundsvalls Städ & Fönsterputs AB",
    "Gamla Stans Antikvariat AB",
    "Västkustens Fisk & Skaldjur AB",
    "Hisingens Bilservice AB",
    "Majornas Frisersalong AB",
    "Kungsbacka Trädgårdsdesign AB",
    "Alingsås Kafferosteri AB",
    "Borås Textilateljé AB",
    "Trollhättans Plåtslageri AB",
    "Lysekils Båtvarv AB",
    "Varbergs Surfcenter AB",
    "Malmö Möbelsnickeri AB",
    "Lunds Tandläkarpraktik AB",
    "Helsingborgs Hamnlogistik AB",
    "Ystads Glassbar AB",
    "Österlens Äppelmusteri AB",
    "Kristianstads Elinstallationer AB",
    "Trelleborgs Transport AB",
    "Landskrona Golv & Kakel AB",
    "Höganäs Keramikverkstad AB",
    "Ängelholms Hundcenter AB",
    "Pixelhuset Webbyrå AB",
    "Sjöbergs Fastighetsförvaltning AB",
    "Ekdahls Juristbyrå AB",
    "Gröna Gaffeln Restaurang AB",
    "Lindgrens Ventilation AB",
    "Holmqvist Arkitekter AB",
    "Stenbergs Åkeri AB",
    "Söderlunds Optik AB",
)

# Small businesses in Västerbotten whose subscriptions Norr runs itself.
TOWNS = (
    "Umeå", "Skellefteå", "Lycksele", "Vännäs", "Robertsfors", "Bjurholm", "Vindeln",
    "Nordmaling", "Holmsund", "Sävar", "Hörnefors", "Storuman", "Sorsele", "Norsjö",
)  # fmt: skip
TRADES = (
    "Bygg & Montage", "Rörservice", "Elteknik", "Måleri", "Trädgård", "Bilverkstad",
    "Städservice", "Foto", "Snickeri", "Bageri", "Transport", "Hälsa & Massage",
    "Blomsterhandel", "Data & IT", "Tak & Plåt", "Hundtrim", "Frisör", "Golv",
)  # fmt: skip


def firm_managed_names() -> tuple[str, ...]:
    """FIRM_MANAGED_COUNT company names, always the same (delete_demo_data
    finds the rows by them)."""
    pairs = sorted((town, trade) for town in TOWNS for trade in TRADES)
    random.Random(SEED + 1).shuffle(pairs)
    return tuple(f"{town} {trade} AB" for town, trade in pairs[:FIRM_MANAGED_COUNT])


FIRM_MANAGED_NAMES = firm_managed_names()

FIRST_NAMES = (
    "Anders", "Annika", "Björn", "Camilla", "Daniel", "Ebba", "Fredrik", "Gunilla",
    "Henrik", "Ida", "Jonas", "Josefin", "Kristina", "Lars", "Linda", "Magnus",
    "Malin", "Mats", "Mikael", "Monica", "Niklas", "Petra", "Rasmus", "Sanna",
    "Stefan", "Therese", "Tobias", "Ulrika", "Viktor", "Åsa", "Ingrid", "Hampus",
    "Alva", "Leila", "Mohammed", "Yasmin", "Göran", "Elsa", "Hugo", "Wilma",
)  # fmt: skip
LAST_NAMES = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
    "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Hansson", "Bengtsson",
    "Jönsson", "Lindberg", "Jakobsson", "Magnusson", "Olofsson", "Lindström", "Lindgren",
    "Axelsson", "Berg", "Bergström", "Lundberg", "Mattsson", "Berglund", "Sandberg",
    "Forsberg", "Sjöberg", "Wallin", "Engström", "Eklund", "Lundin", "Håkansson", "Björk",
)  # fmt: skip

# Demo licences per plan: programs always licensed, and extras that may be
# (all within the plan: clients.catalogue.PLAN_PROGRAMS, checked by a test).
PLAN_LICENSE_MIX: dict[str, tuple[tuple[str, ...], tuple[str, ...], int]] = {
    Plan.FAKTURA: (("fakturering",), ("kvitto-resa", "offert-order"), 1),
    Plan.START: (("bokforing", "fakturering"), ("kvitto-resa", "arkivplats"), 1),
    Plan.SMART: (("bokforing", "fakturering", "kvitto-resa"), ("lon", "tid", "arkivplats"), 2),
    Plan.PRO: (
        ("bokforing", "fakturering", "lon", "kvitto-resa"),
        ("tid", "offert-order", "lager", "arkivplats"),
        3,
    ),
}

ROLE_ORDER = {"sysadmin": 0, "consultant": 1, "user": 2}


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
    """Builds the demo data; one instance per run."""

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
        # Decided requests with the time they were sent (created_at is auto_now_add).
        self.approved: list[tuple[Coupling, CollaborationRequest, datetime]] = []
        self.pending: list[CollaborationRequest] = []
        self.without_sysadmin: list[Subscription] = []
        self.free_subscriptions: list[Subscription] = []
        self.named: dict[str, Subscription] = {}
        self.firm_paid: list[Subscription] = []
        self.invoices: list[Invoice] = []
        self.invoiced_month = Month.of(self.today).previous()
        self.level_count = 0

    # -- helpers ---------------------------------------------------------------

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

    # -- steps -----------------------------------------------------------------

    def build(self) -> None:
        self.create_firms_and_consultants()
        self.create_clients_and_subscriptions()
        self.create_licenses()
        self.plan_world()
        self.create_memberships_and_levels()
        self.create_billing()
        self.create_firm_managed_clients()
        self.backdate()
        self.invoice_last_month()
        remind_demo_request(self.pending[0])  # flow 8: reminded after 3 and 10 days

    def create_firms_and_consultants(self) -> None:
        firm_rows = [
            Firm(
                name=spec.name,
                org_number=self.new_org_number("556"),
                client_manager_seats=CLIENT_MANAGER_SEATS,
            )
            for spec in FIRMS
        ]
        Firm.objects.bulk_create(firm_rows)
        by_name = {f.name: f for f in Firm.objects.filter(name__in=FIRM_NAMES)}
        self.firms = {spec.key: by_name[spec.name] for spec in FIRMS}

        user_rows = [
            self.user_row(c.email, c.full_name) for spec in FIRMS for c in spec.consultants
        ]
        user_rows.append(
            self.user_row(
                "admin@byraportalen.demo", "Support Byråportalen", is_staff=True, is_superuser=True
            )
        )
        self.save_users(user_rows)

        Consultant.objects.bulk_create(
            Consultant(
                user=self.users[c.email],
                firm=self.firms[spec.key],
                is_firm_admin=c.is_firm_admin,
                is_client_manager_admin=c.is_client_manager_admin,
                has_client_manager_seat=c.has_seat,
            )
            for spec in FIRMS
            for c in spec.consultants
        )
        for consultant in Consultant.objects.filter(firm__in=self.firms.values()).select_related(
            "user", "firm"
        ):
            self.consultants[consultant.user.email] = consultant
        for spec in FIRMS:
            self.firm_consultants[spec.key] = [self.consultants[c.email] for c in spec.consultants]

    def save_users(self, rows: list[User]) -> None:
        User.objects.bulk_create(rows)
        for user in User.objects.filter(email__in=[u.email for u in rows]):
            self.users[user.email] = user

    def create_clients_and_subscriptions(self) -> None:
        if len(set(CLIENT_NAMES)) != 40:
            raise ValueError("The demo needs 40 distinct client names")
        Client.objects.bulk_create(
            Client(name=name, org_number=self.new_org_number(self.rng.choice(("556", "559"))))
            for name in CLIENT_NAMES
        )
        self.clients = {c.name: c for c in Client.objects.filter(name__in=CLIENT_NAMES)}
        plans = [Plan.FAKTURA, Plan.START, Plan.SMART, Plan.PRO]
        for name in CLIENT_NAMES:
            plan = self.rng.choices(plans, weights=[15, 30, 35, 20])[0]
            self.subscriptions.append(
                subscription_create(client_id=self.clients[name].pk, plan=plan)
            )
        # Perssons Rör & Värme has a second subscription for its service company.
        self.subscriptions.append(
            subscription_create(client_id=self.clients[PERSSONS].pk, plan=Plan.FAKTURA)
        )
        clients_by_id = {c.pk: c for c in self.clients.values()}
        for subscription in self.subscriptions:
            subscription.client = clients_by_id[subscription.client_id]

    def create_licenses(self) -> None:
        rows: list[SubscriptionLicense] = []
        for subscription in self.subscriptions:
            always, extras, max_extras = PLAN_LICENSE_MIX[subscription.plan]
            codes = list(always) + self.rng.sample(extras, self.rng.randint(0, max_extras))
            for code in sorted(codes, key=lambda c: self.programs[c].sort_order):
                program = self.programs[code]
                seats = self.rng.randint(2, 5)
                self.seats[subscription.pk, program.pk] = seats
                self.licensed[subscription.pk].append(program)
                rows.append(
                    SubscriptionLicense(subscription=subscription, program=program, seats=seats)
                )
        SubscriptionLicense.objects.bulk_create(rows)

    def plan_world(self) -> None:
        """Decide who is member where, the couplings and the requests."""
        subs = self.subscriptions
        bageriet, perssons_a, fjallstugan = subs[0], subs[1], subs[2]
        perssons_b = subs[-1]
        generic = subs[3:-1]
        self.rng.shuffle(generic)
        self.without_sysadmin = generic[:5]
        with_sysadmin = generic[5:]

        # Client users (no users at all in `without_sysadmin`).
        new_users: list[User] = [
            self.user_row("lisa@kund.demo", "Lisa Ek"),
            self.user_row("per@kund.demo", "Per Persson"),
        ]
        client_members: list[tuple[Subscription, str, bool]] = [
            (bageriet, "lisa@kund.demo", True),
            (perssons_a, "per@kund.demo", True),
            (perssons_b, "per@kund.demo", True),
        ]
        # (subscription, how many more client users, whether the first of them is sysadmin)
        staffing = [(bageriet, 1, False), (perssons_a, 1, False)] + [
            (s, self.rng.randint(1, 4), True) for s in with_sysadmin
        ]
        for subscription, count, first_is_sysadmin in staffing:
            domain = ascii_slug(subscription.client.name.removesuffix(" AB")) + DEMO_EMAIL_SUFFIX
            for index in range(count):
                email, full_name = self.random_person(domain)
                new_users.append(self.user_row(email, full_name))
                # The first user is sysadmin; sometimes a second one is too.
                sysadmin = first_is_sysadmin and (
                    index == 0 or (index == 1 and self.rng.random() < 0.3)
                )
                client_members.append((subscription, email, sysadmin))
        self.save_users(new_users)
        for subscription, email, sysadmin in client_members:
            self.members[subscription.pk].append(
                MemberPlan(
                    user=self.users[email],
                    role="sysadmin" if sysadmin else "user",
                    is_sysadmin=sysadmin,
                )
            )

        # Active couplings; each gives the responsible consultant a membership.
        maja = self.consultants["maja@norr.demo"]
        norr_subs, gbg_subs, malmo_subs = (
            with_sysadmin[0:8],
            with_sysadmin[8:16],
            with_sysadmin[16:24],
        )
        first_starts: dict[int, date] = {}

        def couple(
            firm_key: str,
            subscription: Subscription,
            responsible: Consultant | None = None,
            *,
            sysadmin: bool = False,
        ) -> Coupling:
            responsible = responsible or self.responsible_for(firm_key)
            if subscription.pk in first_starts:  # the second firm came later
                earliest = (self.today - first_starts[subscription.pk]).days - 20
                starts_on = self.past_date(7, max(earliest, 8))
            else:
                starts_on = self.past_date(90, 1100)
                first_starts[subscription.pk] = starts_on
            coupling = Coupling(
                firm=self.firms[firm_key],
                subscription=subscription,
                responsible_consultant=responsible,
                status=Coupling.Status.ACTIVE,
                starts_on=starts_on,
                activated_at=datetime.combine(
                    starts_on,
                    time(self.rng.randint(8, 16), self.rng.randrange(60)),
                    tzinfo=STOCKHOLM,
                ),
            )
            self.couplings.append(coupling)
            self.members[subscription.pk].append(
                MemberPlan(
                    user=responsible.user,
                    role="sysadmin" if sysadmin else "consultant",
                    consultant=responsible,
                    is_sysadmin=sysadmin,
                )
            )
            return coupling

        # Fjällstugan: Maja at Norr is the only sysadmin; Göteborg joined later
        # (Maja approved their request) and Malmö is asking now.
        couple(NORR, fjallstugan, maja, sysadmin=True)
        gbg_fjall = couple(GBG, fjallstugan)
        couple(MALMO, bageriet)
        couple(GBG, perssons_a)
        for firm_key, group in ((NORR, norr_subs), (GBG, gbg_subs), (MALMO, malmo_subs)):
            for subscription in group:
                couple(firm_key, subscription)
        # More double couplings ("dubbelsammankoppling").
        couple(MALMO, norr_subs[0])
        couple(NORR, gbg_subs[0])
        couple(GBG, malmo_subs[0])
        # Two subscriptions without sysadmin are coupled anyway (manually, by
        # support); the other three are not coupled at all.
        couple(GBG, self.without_sysadmin[3])
        couple(MALMO, self.without_sysadmin[4])

        # Göteborg's coupling to Fjällstugan came from a request Maja approved.
        approved_at = gbg_fjall.activated_at or self.now
        self.approve(
            gbg_fjall,
            GBG,
            sent_at=approved_at - timedelta(hours=self.rng.randint(3, 70)),
            decided_at=approved_at,
            decided_by=maja.user,
        )

        # One scheduled coupling: Norr starts with a client in two weeks.
        scheduled_sub = with_sysadmin[24]
        erik = self.consultants["erik@norr.demo"]
        starts_on = self.today + timedelta(days=14)
        scheduled = Coupling(
            firm=self.firms[NORR],
            subscription=scheduled_sub,
            responsible_consultant=erik,
            status=Coupling.Status.SCHEDULED,
            starts_on=starts_on,
            activated_at=None,
        )
        self.couplings.append(scheduled)
        self.scheduled = scheduled
        self.approve(
            scheduled,
            NORR,
            sent_at=self.now - timedelta(days=3, hours=2),
            decided_at=self.now - timedelta(days=2),
            decided_by=next(m.user for m in self.members[scheduled_sub.pk] if m.is_sysadmin),
            start_date=starts_on,
        )
        # Approval gives the responsible consultant a membership straight away.
        self.members[scheduled_sub.pk].append(
            MemberPlan(user=erik.user, role="consultant", consultant=erik, with_levels=False)
        )

        # Pending requests, all to subscriptions with an active sysadmin and
        # from firms not coupled to them.
        karin = self.consultants["karin@gbg.demo"]
        self.pending = [
            self.request_row(GBG, bageriet, self.consultants["elin@gbg.demo"], requester=karin),
            self.request_row(MALMO, fjallstugan, None),
            self.request_row(GBG, perssons_b, None),
            self.request_row(NORR, with_sysadmin[25], None),
            self.request_row(MALMO, with_sysadmin[26], None),
            self.request_row(GBG, with_sysadmin[27], None),
            self.request_row(NORR, gbg_subs[1], None),
        ]
        self.free_subscriptions = with_sysadmin[28:]
        self.named = {
            "bageriet": bageriet,
            "perssons_a": perssons_a,
            "perssons_b": perssons_b,
            "fjallstugan": fjallstugan,
            "manual": self.without_sysadmin[0],
            "scheduled": scheduled_sub,
        }

    def request_row(
        self,
        firm_key: str,
        subscription: Subscription,
        responsible: Consultant | None,
        *,
        requester: Consultant | None = None,
    ) -> CollaborationRequest:
        """A pending request, sent now, answered within 30 days or expired."""
        responsible = responsible or self.responsible_for(firm_key)
        requester = requester or responsible
        return CollaborationRequest(
            firm=self.firms[firm_key],
            subscription=subscription,
            responsible_consultant=responsible,
            requested_by=requester.user,
            expires_at=self.now + REQUEST_TTL,
        )

    def approve(
        self,
        coupling: Coupling,
        firm_key: str,
        *,
        sent_at: datetime,
        decided_at: datetime,
        decided_by: User,
        start_date: date | None = None,
    ) -> None:
        """Record the approved request a coupling came from."""
        responsible = coupling.responsible_consultant or self.responsible_for(firm_key)
        request = CollaborationRequest(
            firm=self.firms[firm_key],
            subscription=coupling.subscription,
            responsible_consultant=responsible,
            requested_by=responsible.user,
            start_date=start_date,
            status=CollaborationRequest.Status.APPROVED,
            expires_at=sent_at + REQUEST_TTL,
            decided_at=decided_at,
            decided_by=decided_by,
        )
        self.approved.append((coupling, request, sent_at))

    def save_couplings_and_requests(self) -> None:
        for coupling, request, sent_at in self.approved:
            request.save()
            # created_at is auto_now_add; backdate it to when it was sent.
            CollaborationRequest.objects.filter(pk=request.pk).update(created_at=sent_at)
            coupling.request = request
        CollaborationRequest.objects.bulk_create(self.pending)
        Coupling.objects.bulk_create(self.couplings)

    def create_memberships_and_levels(self) -> None:
        self.save_couplings_and_requests()
        Membership.objects.bulk_create(
            Membership(
                subscription_id=subscription_id,
                user=plan.user,
                consultant=plan.consultant,
                is_sysadmin=plan.is_sysadmin,
            )
            for subscription_id, plans in self.members.items()
            for plan in plans
        )
        membership_ids = {
            (m.subscription_id, m.user_id): m.pk
            for m in Membership.objects.filter(subscription_id__in=list(self.members))
        }
        used: dict[tuple[int, int], int] = defaultdict(int)
        levels: list[ProgramLevel] = []
        for subscription_id, plans in self.members.items():
            programs = self.licensed[subscription_id]
            # Sysadmins first, then consultants, then the other client users.
            for plan in sorted(plans, key=lambda p: ROLE_ORDER[p.role]):
                if not plan.with_levels:
                    continue
                if plan.role == "sysadmin":
                    count, choices = self.rng.randint(1, 3), [Level.ADMIN, Level.APPROVER]
                    picked = programs[:1] + self.rng.sample(
                        programs[1:], min(count - 1, len(programs) - 1)
                    )
                elif plan.role == "consultant":
                    count = self.rng.randint(1, 3)
                    choices = [Level.ADMIN, Level.APPROVER, Level.REPORTER]
                    picked = self.rng.sample(programs, min(count, len(programs)))
                else:
                    count = self.rng.randint(1, 2)
                    choices = [Level.REPORTER, Level.READ, Level.APPROVER]
                    picked = self.rng.sample(programs, min(count, len(programs)))
                membership_id = membership_ids[subscription_id, plan.user.pk]
                for index, program in enumerate(picked):
                    key = (subscription_id, program.pk)
                    if used[key] >= self.seats[key]:
                        continue  # every seat of this program is taken
                    used[key] += 1
                    level = (
                        Level.ADMIN
                        if plan.role == "sysadmin" and index == 0
                        else self.rng.choice(choices)
                    )
                    levels.append(
                        ProgramLevel(membership_id=membership_id, program=program, level=level)
                    )
        ProgramLevel.objects.bulk_create(levels)
        self.level_count = len(levels)
        # Consultants see the clients assigned to them (Klienthanteraren):
        # each consultant member and each coupling's responsible consultant.
        assignments = {
            (plan.consultant.pk, subscription_id)
            for subscription_id, plans in self.members.items()
            for plan in plans
            if plan.consultant is not None
        } | {
            (coupling.responsible_consultant_id, coupling.subscription_id)
            for coupling in self.couplings
            if coupling.responsible_consultant_id
        }
        ClientAssignment.objects.bulk_create(
            ClientAssignment(consultant_id=consultant_id, subscription_id=subscription_id)
            for consultant_id, subscription_id in sorted(assignments)
        )

    def create_billing(self) -> None:
        """Norr has an återförsäljaravtal and pays for three of its clients
        (two on its Samlingsfaktura), so "Samarbeten", the cost preview and
        "Oanvända licenser" have something to show."""
        norr = self.firms[NORR]
        ResellerAgreement.objects.create(
            firm=norr, reference="ÅF-2024-017", valid_from=self.today - timedelta(days=400)
        )
        FirmBillingDetails.objects.create(
            firm=norr,
            street="Storgatan 12",
            postal_code="903 26",
            city="Umeå",
            invoice_email="faktura@norr.demo",
            reference="Anna Lindberg",
        )
        paid = [
            c
            for c in self.couplings
            if c.firm_id == norr.pk and c.status == Coupling.Status.ACTIVE
            and c.subscription_id != self.named["fjallstugan"].pk
        ][:3]  # fmt: skip
        self.firm_paid = [c.subscription for c in paid]
        for coupling, consolidated, period in zip(
            paid, (True, True, False), (12, 3, 12), strict=True
        ):
            starts_on = coupling.starts_on
            periods = 1
            while (renews_on := add_months(starts_on, periods * period)) <= self.today:
                periods += 1
            SubscriptionBilling.objects.create(
                subscription=coupling.subscription,
                recipient=Recipient.FIRM,
                firm=norr,
                consolidated=consolidated,
                period_months=period,
                starts_on=starts_on,
                renews_on=renews_on,
            )

    def create_firm_managed_clients(self) -> None:
        """Sixty small clients coupled to Norr, whose subscriptions Norr runs:
        Johan is their only sysadmin and they have no users of their own, so
        Norr may invite their first users ("Bjud in klientanvändare": more
        rows than the 50 one send takes). From a random generator of their
        own, so the rest of the world stays as the README describes it."""
        rng = random.Random(SEED + 1)
        norr = self.firms[NORR]
        johan = self.consultants[FIRM_MANAGED_SYSADMIN]
        Client.objects.bulk_create(
            Client(name=name, org_number=self.new_org_number("559", rng))
            for name in FIRM_MANAGED_NAMES
        )
        clients = Client.objects.filter(name__in=FIRM_MANAGED_NAMES).order_by("name")
        plans = [Plan.FAKTURA, Plan.START, Plan.SMART]
        subscriptions = [
            subscription_create(
                client_id=client.pk, plan=rng.choices(plans, weights=[40, 45, 15])[0]
            )
            for client in clients
        ]
        licenses: list[SubscriptionLicense] = []
        first_programs: dict[int, Program] = {}
        for subscription in subscriptions:
            always = PLAN_LICENSE_MIX[subscription.plan][0]
            for code in always:
                licenses.append(
                    SubscriptionLicense(
                        subscription=subscription,
                        program=self.programs[code],
                        seats=rng.randint(1, 2),
                    )
                )
            first_programs[subscription.pk] = self.programs[always[0]]
        SubscriptionLicense.objects.bulk_create(licenses)
        couplings = []
        for subscription in subscriptions:
            starts_on = self.today - timedelta(days=rng.randint(60, 900))
            couplings.append(
                Coupling(
                    firm=norr,
                    subscription=subscription,
                    responsible_consultant=johan,
                    status=Coupling.Status.ACTIVE,
                    starts_on=starts_on,
                    activated_at=datetime.combine(
                        starts_on, time(rng.randint(8, 16), rng.randrange(60)), tzinfo=STOCKHOLM
                    ),
                )
            )
        Coupling.objects.bulk_create(couplings)
        self.couplings += couplings
        memberships = Membership.objects.bulk_create(
            Membership(subscription=s, user=johan.user, consultant=johan, is_sysadmin=True)
            for s in subscriptions
        )
        ProgramLevel.objects.bulk_create(
            ProgramLevel(
                membership=membership,
                program=first_programs[membership.subscription_id],
                level=Level.ADMIN,
            )
            for membership in memberships
        )
        self.level_count += len(memberships)
        ClientAssignment.objects.bulk_create(
            ClientAssignment(consultant=johan, subscription=s) for s in subscriptions
        )
        self.subscriptions += subscriptions
        self.clients.update({client.name: client for client in clients})

    def backdate(self) -> None:
        """Firms and subscriptions existed long before their couplings, so the
        invoicing run finds them in last month (it bills what existed then)."""
        Firm.objects.filter(pk__in=[firm.pk for firm in self.firms.values()]).update(
            created_at=datetime.combine(self.today - timedelta(days=2000), time(9), STOCKHOLM)
        )
        Subscription.objects.filter(pk__in=[s.pk for s in self.subscriptions]).update(
            created_at=datetime.combine(self.today - timedelta(days=1200), time(9), STOCKHOLM)
        )

    def invoice_last_month(self) -> None:
        """Last month's invoicing run, as beat runs it on the 1st: an invoice
        per payer, Norr's Samlingsfaktura among them."""
        month = self.invoiced_month
        self.invoices = invoicing_run(month=month.first, issued_on=month.next_first)


def delete_demo_data() -> None:
    """Remove everything the seed created (and whatever hangs on it)."""
    firms = Firm.objects.filter(name__in=FIRM_NAMES)
    clients = Client.objects.filter(name__in=CLIENT_NAMES + FIRM_MANAGED_NAMES)
    users = User.objects.filter(email__endswith=DEMO_EMAIL_SUFFIX)
    subscriptions = Subscription.objects.filter(client__in=clients)
    consultants = Consultant.objects.filter(Q(firm__in=firms) | Q(user__in=users))
    # Billing first: invoices and their lines, fees, payers and change
    # history all protect the subscriptions and firms they point at.
    invoices = Invoice.objects.filter(
        Q(subscription__in=subscriptions) | Q(recipient_firm__in=firms)
    )
    InvoiceLine.objects.filter(Q(invoice__in=invoices) | Q(subscription__in=subscriptions)).delete()
    invoices.delete()
    FirmCharge.objects.filter(firm__in=firms).delete()
    ManualCoupling.objects.filter(
        Q(firm__in=firms)
        | Q(subscription__in=subscriptions)
        | Q(responsible_consultant__in=consultants)
    ).delete()
    PlanChange.objects.filter(Q(subscription__in=subscriptions) | Q(actor__in=users)).delete()
    BillingChange.objects.filter(Q(subscription__in=subscriptions) | Q(actor__in=users)).delete()
    SubscriptionBilling.objects.filter(
        Q(subscription__in=subscriptions) | Q(firm__in=firms)
    ).delete()
    ResellerAgreement.objects.filter(firm__in=firms).delete()
    FirmBillingDetails.objects.filter(firm__in=firms).delete()
    CustomerAcceptance.objects.filter(Q(contact__in=users) | Q(created_by__in=users)).delete()
    Coupling.objects.filter(
        Q(firm__in=firms)
        | Q(subscription__in=subscriptions)
        | Q(responsible_consultant__in=consultants)
    ).delete()
    CollaborationRequest.objects.filter(
        Q(firm__in=firms)
        | Q(subscription__in=subscriptions)
        | Q(responsible_consultant__in=consultants)
        | Q(requested_by__in=users)
        | Q(decided_by__in=users)
    ).delete()
    LicenseChange.objects.filter(Q(subscription__in=subscriptions) | Q(actor__in=users)).delete()
    ClientManagerSeatChange.objects.filter(Q(firm__in=firms) | Q(actor__in=users)).delete()
    ClientAssignment.objects.filter(
        Q(consultant__in=consultants) | Q(subscription__in=subscriptions)
    ).delete()
    ConsultantOffboarding.objects.filter(consultant__in=consultants).delete()
    Invitation.objects.filter(Q(user__in=users) | Q(invited_by__in=users)).delete()
    JoinOffer.objects.filter(
        Q(user__in=users)
        | Q(invited_by__in=users)
        | Q(firm__in=firms)
        | Q(subscription__in=subscriptions)
    ).delete()
    Membership.objects.filter(
        Q(subscription__in=subscriptions) | Q(user__in=users) | Q(consultant__in=consultants)
    ).delete()
    subscriptions.delete()
    clients.delete()
    consultants.delete()
    firms.delete()
    users.delete()


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
                    delete_demo_data()
                world = World()
                world.build()
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


def demo_logins(*, bageriet: Client) -> list[tuple[str, str, str]]:
    """E-post, roll, what to try: the rows of README.md's demo table (a test
    holds the two the same)."""
    return [
        (
            "anna@norr.demo",
            "Byråadministratör, Redovisningsbyrån Norr AB (licens, programadministratör)",
            f'"Ny klient" → `{bageriet.org_number}` ({bageriet.name}) → skicka förfrågan till '
            'Lisa; "Fakturor"; "Bjud in klientanvändare"',
        ),
        (
            "erik@norr.demo",
            "Konsult på Norr med licens",
            "Ser klienterna han är ansvarig för; en sammankoppling är schemalagd",
        ),
        (
            "nils@norr.demo",
            "Konsult på Norr utan licens",
            'Startsidan och "Ny klient" förklarar att licens saknas och vilka byråns '
            "administratörer är",
        ),
        (
            "maja@norr.demo",
            "Konsult på Norr och systemadministratör hos Fjällstugan Turism AB",
            "Startsidan visar båda delarna; att göra-kort från Malmö Bokföringsbyrå AB",
        ),
        (
            FIRM_MANAGED_SYSADMIN,
            f"Konsult på Norr, systemadministratör hos {FIRM_MANAGED_COUNT} småföretag som "
            "Norr sköter abonnemanget åt",
            "De har inga egna användare än: Norr kan bjuda in dem",
        ),
        (
            "karin@gbg.demo",
            "Byråadministratör, Siffror & Skatt i Göteborg AB",
            "Väntande förfrågningar; återkalla en",
        ),
        (
            "lisa@kund.demo",
            "Klientanvändare, systemadministratör för Bageriet Solsidan AB",
            'Att göra-kort → "Jag godkänner" → "Tilldela behörigheter"; "Fakturor"',
        ),
        (
            "per@kund.demo",
            "Systemadministratör i båda abonnemangen för Perssons Rör & Värme AB",
            "Två abonnemang på startsidan",
        ),
        ("admin@byraportalen.demo", "Support (Django admin)", "http://127.0.0.1:8000/admin/"),
    ]


# What the demo shows without writing code (README.md has the same lines).
TRY_THIS = (
    'Fakturor: `anna@norr.demo` → "Fakturor" visar förra månadens fakturor till byrån, '
    'Samlingsfakturan bland dem, var och en som PDF ("Ladda ned"). En kunds egna fakturor: '
    '`lisa@kund.demo` → "Fakturor" på startsidan.',
    '50 rader: `anna@norr.demo` → "Hantera klienter" → "Bjud in klientanvändare" → "Lägg till '
    'nya användare och bjud in" listar över 60 klienter utan egna användare. Fyll i 51 rader: '
    "utskicket stoppas (högst 50 per utskick); med 50 går det iväg.",
    'Sms och mejl: ett mobilnummer på en rad i "Bjud in klientanvändare" (eller för '
    'primärkontakten i "Skapa nytt samarbete") ger ett sms. Varje sms skrivs till `var/sms/` '
    "och i konsolen, varje mejl till `var/mail/`, en fil per meddelande.",
)


def counted(count: int, singular: str, plural: str) -> str:
    """ "1 faktura", "102 fakturor" (the command speaks Swedish only)."""
    return f"{count} {singular if count == 1 else plural}"


def scheduled_date(world: World) -> str:
    return world.scheduled.starts_on.isoformat()
