"""Reads for Flow 5, "Skapa nytt samarbete": what the wizard collects, the
plans and prices it offers, whether an organisationsnummer is a new customer,
the firm's collaborations awaiting the customer (fetching is checking: 404
for anyone outside the firm or not working with the client), and the
acceptance link's state. Writes are in collaboration/new_customer/services.py."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from clients.catalogue import plan_program_codes
from clients.models import (
    Client,
    Level,
    Membership,
    Plan,
    Program,
    ProgramLevel,
    Subscription,
    SubscriptionLicense,
)
from clients.selectors import record_denied
from collaboration.models import Coupling, CustomerAcceptance
from collaboration.reminders.selectors import SentState, welcome_states
from firm_portal.models import Consultant, User
from firm_portal.signed_links import ACCEPTANCE, Problem, link_problem, link_read
from firm_portal.timeutils import today_in_stockholm
from licensing.billing import reseller_agreement_active
from licensing.costs import CostLine, Seats, monthly_cost
from licensing.models import Recipient, SubscriptionBilling
from licensing.pricing import Month, PriceBook, PriceMissing

ROLE_LEVELS = (Level.REPORTER, Level.APPROVER, Level.ADMIN)
MAX_SEATS_PER_PROGRAM = 100


# --- What the wizard collects ---------------------------------------------------


@dataclass(frozen=True)
class LicenseChoice:
    program: Program
    seats: int
    level: str

    @property
    def level_label(self) -> str:
        return str(Level(self.level).label)


@dataclass(frozen=True)
class CustomerDetails:
    org_number: str
    name: str
    street: str
    postal_code: str
    city: str
    email: str
    contact_name: str
    contact_email: str
    contact_mobile: str = ""
    contact_personal_number: str = ""


@dataclass(frozen=True)
class PaymentChoice:
    recipient: str
    consolidated: bool
    period_months: int

    @property
    def recipient_label(self) -> str:
        return str(Recipient(self.recipient).label)


@dataclass(frozen=True)
class NewCustomerOrder:
    plan: str
    licenses: list[LicenseChoice]
    customer: CustomerDetails
    payment: PaymentChoice

    @property
    def plan_label(self) -> str:
        return str(Plan(self.plan).label)


# --- Prices ------------------------------------------------------------------------


@dataclass
class ProgramOffer:
    program: Program
    list_price: Decimal
    reseller_price: Decimal


@dataclass
class PlanOffer:
    plan: str
    label: str
    list_price: Decimal
    reseller_price: Decimal
    programs: list[ProgramOffer] = field(default_factory=list)


@dataclass
class Offers:
    """Every plan with its base fee and included programs' licence prices,
    valid on `on`; `reseller` says whether the firm may have reseller prices."""

    on: date
    reseller: bool
    plans: dict[str, PlanOffer]

    def plan(self, plan: str) -> PlanOffer:
        return self.plans[plan]

    # The price source of `licensing.costs.monthly_cost`.
    def plan_price(self, plan: str, reseller: bool) -> Decimal:
        offer = self.plans[plan]
        return offer.reseller_price if reseller else offer.list_price

    def program_price(self, plan: str, program: Program, reseller: bool) -> Decimal:
        offer = {item.program.code: item for item in self.plans[plan].programs}[program.code]
        return offer.reseller_price if reseller else offer.list_price


def plan_offers(*, firm_id: int, on: date | None = None) -> Offers:
    """Five queries whatever is chosen: the agreement, three price tables, programs."""
    on = on or today_in_stockholm()
    reseller = reseller_agreement_active(firm_id=firm_id, on=on)
    book = PriceBook(Month.of(on))
    programs = {program.code: program for program in Program.objects.all()}
    plans = {}
    for plan in Plan:
        try:
            offer = PlanOffer(
                plan=plan.value,
                label=str(plan.label),
                list_price=book.plan(plan.value, on, reseller=False),
                reseller_price=book.plan(plan.value, on, reseller=True),
            )
            for code in plan_program_codes(plan.value):
                program = programs.get(code)
                if program is None:
                    continue
                offer.programs.append(
                    ProgramOffer(
                        program=program,
                        list_price=book.program(plan.value, program, on, reseller=False),
                        reseller_price=book.program(plan.value, program, on, reseller=True),
                    )
                )
        except PriceMissing:
            continue  # not sold that day: support has to complete the price list
        plans[plan.value] = offer
    return Offers(on=on, reseller=reseller, plans=plans)


@dataclass(frozen=True)
class Cost:
    """What the collaboration costs per month and per agreement period, in
    kronor excluding VAT, at today's prices. Reseller prices apply only with
    Samlingsfaktura, as on the invoice."""

    lines: list[CostLine]
    reseller_prices: bool
    period_months: int

    @property
    def monthly(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def period_total(self) -> Decimal:
        return self.monthly * self.period_months


def new_customer_cost(
    *, offers: Offers, plan: str, licenses: list[LicenseChoice], payment: PaymentChoice
) -> Cost:
    """Reseller prices with Samlingsfaktura (the wizard offers it only under
    an återförsäljaravtal; "Betalning" compares both)."""
    costing = monthly_cost(
        plan=plan,
        programs=[Seats(choice.program, choice.seats, choice.level_label) for choice in licenses],
        reseller=payment.consolidated,
        prices=offers,
    )
    plan_line = [costing.plan_line] if costing.plan_line else []  # offers price every plan
    return Cost(
        lines=[*plan_line, *costing.lines],
        reseller_prices=costing.reseller_prices,
        period_months=payment.period_months,
    )


# --- Step 3: is this a new customer? -------------------------------------------------


@dataclass(frozen=True)
class ExistingCustomer:
    """The organisationsnummer already has a subscription. `can_request`:
    continue into "Ny klient" (the customer keeps its plan and pays)."""

    client: Client
    subscription: Subscription
    message: str
    can_request: bool


def existing_customer(*, consultant: Consultant, org_number: str) -> ExistingCustomer | None:
    """None when the organisationsnummer has no live subscription (a new customer)."""
    subscription = (
        Subscription.objects.filter(client__org_number=org_number)
        .exclude(status=Subscription.Status.ENDED)
        .select_related("client")
        .order_by("status", "number")
        .first()
    )
    if subscription is None:
        return None
    client = subscription.client
    if subscription.status == Subscription.Status.PENDING:
        ours = Coupling.objects.filter(
            subscription=subscription,
            firm_id=consultant.firm_id,
            status=Coupling.Status.AWAITING_CUSTOMER,
        ).exists()
        if ours:
            message = _(
                "Er byrå har redan skapat ett samarbete med %(client)s som väntar på kundens "
                "godkännande. Skicka välkomstmejlet igen eller avbryt samarbetet under "
                "”Väntar på kundens godkännande”."
            ) % {"client": client.name}
        else:
            message = _(
                "%(client)s har redan ett nytt abonnemang som väntar på kundens godkännande. "
                "Ni kan skicka en förfrågan om samarbete när kunden har godkänt villkoren."
            ) % {"client": client.name}
        return ExistingCustomer(client, subscription, message, can_request=False)
    return ExistingCustomer(
        client,
        subscription,
        _(
            "%(client)s har redan ett abonnemang hos oss. Ni samarbetar då i kundens "
            "nuvarande variant, kunden är fortsatt fakturamottagare och ingen avgift "
            "tillkommer förrän avtalet förnyas. Kunden godkänner samarbetet på samma sätt "
            "som vid Ny klient."
        )
        % {"client": client.name},
        can_request=True,
    )


# --- Reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LicenseLine:
    program: Program
    seats: int
    level_label: str


def license_summary(*, subscription: Subscription, levels: Mapping[str, str]) -> list[LicenseLine]:
    """The subscription's licences per program, each with the primary
    contact's level there (`levels`: {program code: level})."""
    return [
        LicenseLine(
            program=row.program,
            seats=row.seats,
            level_label=str(Level(levels[row.program.code]).label)
            if row.program.code in levels
            else "",
        )
        for row in SubscriptionLicense.objects.filter(subscription=subscription)
        .select_related("program")
        .order_by("program__sort_order")
    ]


def _member_levels(*, subscription: Subscription, user: User) -> dict[str, str]:
    return dict(
        ProgramLevel.objects.filter(
            membership__subscription=subscription, membership__user=user
        ).values_list("program__code", "level")
    )


def awaiting_collaborations(
    *, consultant: Consultant, limit: int = 50
) -> list[tuple[Coupling, SentState | None]]:
    """The firm's new customers that have not accepted yet, newest first, each
    with its `customer_acceptance` (the contact's address) and the state of
    its welcome link (sent, reminded, expires, bounced: flow 8). Three queries."""
    return welcome_states(
        couplings=list(
            Coupling.objects.visible_to(consultant)
            .filter(status=Coupling.Status.AWAITING_CUSTOMER)
            .select_related(
                "subscription__client",
                "responsible_consultant__user",
                "customer_acceptance__contact",
            )
            .order_by("-created_at", "-pk")[:limit]
        )
    )


def _firm_couplings(*, consultant: Consultant, number: int) -> QuerySet[Coupling]:
    return (
        Coupling.objects.visible_to(consultant)
        .filter(subscription__number=number)
        .select_related("subscription__client", "responsible_consultant__user", "firm")
    )


def awaiting_collaboration_for_consultant(*, consultant: Consultant, number: int) -> Coupling:
    """The firm's coupling to `number` awaiting the customer, else 404."""
    coupling = (
        _firm_couplings(consultant=consultant, number=number)
        .filter(status=Coupling.Status.AWAITING_CUSTOMER)
        .first()
    )
    if coupling is None:
        record_denied(user=consultant.user, subscription_number=number, what="new_customer")
        raise Http404("No such collaboration")
    return coupling


@dataclass
class CollaborationSummary:
    coupling: Coupling
    billing: SubscriptionBilling | None
    licenses: list[LicenseLine]
    contact: User | None  # once they have accepted
    contact_email: str  # the address the welcome went to


def created_collaboration(*, consultant: Consultant, number: int) -> CollaborationSummary:
    """A collaboration the firm created through the wizard (any status), else
    404. Until the customer accepts, the contact is only the address the
    firm typed: the page does not tell whose account it is."""
    coupling = (
        _firm_couplings(consultant=consultant, number=number)
        .filter(request__isnull=True, manual_coupling__isnull=True)
        .select_related("customer_acceptance__contact")
        .order_by("-created_at")
        .first()
    )
    if coupling is None:
        record_denied(user=consultant.user, subscription_number=number, what="new_customer")
        raise Http404("No such collaboration")
    subscription = coupling.subscription
    acceptance = getattr(coupling, "customer_acceptance", None)
    contact: User | None = None
    levels: dict[str, str] = {}
    if acceptance is None or acceptance.accepted_at is not None:
        first_sysadmin = (
            Membership.objects.filter(subscription=subscription, is_sysadmin=True, consultant=None)
            .select_related("user")
            .order_by("created_at", "pk")
            .first()
        )
        contact = first_sysadmin.user if first_sysadmin is not None else None
        if contact is not None:
            levels = _member_levels(subscription=subscription, user=contact)
    else:
        levels = acceptance.levels
    return CollaborationSummary(
        coupling=coupling,
        billing=SubscriptionBilling.objects.select_related("firm")
        .filter(subscription=subscription)
        .first(),
        licenses=license_summary(subscription=subscription, levels=levels),
        contact=contact,
        contact_email=contact.email
        if contact is not None
        else (acceptance.contact.email if acceptance is not None else ""),
    )


# --- The customer accepts ------------------------------------------------------------


@dataclass(frozen=True)
class Acceptance:
    acceptance: CustomerAcceptance | None
    problem: str = ""  # "", "invalid", "expired", "used", "cancelled"


def acceptance_check(*, token: str) -> Acceptance:
    """The acceptance a link stands for, or why it does not open
    (firm_portal/signed_links.py)."""
    ref = link_read(ACCEPTANCE, token)
    if ref is None:
        return Acceptance(None, Problem.INVALID)
    acceptance = (
        CustomerAcceptance.objects.select_related(
            "contact", "created_by", "coupling__firm", "coupling__subscription__client"
        )
        .filter(pk=ref.pk)
        .first()
    )
    if acceptance is None:
        return Acceptance(None, Problem.INVALID)
    problem = link_problem(
        ref,
        nonce=acceptance.nonce,
        used=acceptance.accepted_at is not None,
        expires_at=acceptance.expires_at,
    )
    if (
        problem == Problem.USED
        and acceptance.accepted_at is None
        and acceptance.coupling.subscription.status == Subscription.Status.ENDED
    ):
        problem = Problem.CANCELLED
    return Acceptance(acceptance, problem)


def sets_password(acceptance: CustomerAcceptance) -> bool:
    """Whether the link chooses the contact's first password: only for an
    account made with this collaboration (its owner proves the address by
    opening the e-mail). Every other account logs in as itself first."""
    return acceptance.created_contact and not acceptance.contact.has_usable_password()


@dataclass
class Terms:
    """What the customer accepts: shown on the acceptance page."""

    firm_name: str
    created_by: User
    client: Client
    subscription: Subscription
    licenses: list[LicenseLine]
    billing: SubscriptionBilling | None


def acceptance_terms(*, acceptance: CustomerAcceptance) -> Terms:
    coupling = acceptance.coupling
    subscription = coupling.subscription
    return Terms(
        firm_name=coupling.firm.name,
        created_by=acceptance.created_by,
        client=subscription.client,
        subscription=subscription,
        licenses=license_summary(subscription=subscription, levels=acceptance.levels),
        billing=SubscriptionBilling.objects.select_related("firm")
        .filter(subscription=subscription)
        .first(),
    )
