"""Reads for "Byte av byrå" (flow 7): who decides, the parties' view of a
change (fetching is checking: outsiders get 404, and an attempt on an
existing change is recorded), and what the approver sees before "Jag
godkänner" (`firm_change_preview`)."""

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from clients.models import (
    Level,
    Membership,
    Plan,
    ProgramLevel,
    Subscription,
    SubscriptionLicense,
    visible_to_q,
)
from clients.selectors import record_denied, subscriptions_left_without_sysadmin
from collaboration.models import Coupling, FirmChange
from firm_portal.models import Consultant, User
from firm_portal.timeutils import today_in_stockholm
from licensing.costs import BookPrices, Seats, monthly_cost
from licensing.models import Recipient, SubscriptionBilling
from licensing.pricing import Month, PriceBook
from licensing.reports import collaboration_cost

_RELATED = (
    "subscription__client",
    "new_firm",
    "old_firm",
    "responsible_consultant__user",
    "requested_by",
    "decided_by",
)


def billing_month_from(day: date) -> date:
    """The first month the firm being replaced holds no day of: the change's
    own month when it happens on the 1st, else the next one. The old firm
    pays every month up to it and the new firm every month from it, so no
    month is billed twice or not at all."""
    return day if day.day == 1 else Month.of(day).next_first


def other_firms_coupled(*, subscription: Subscription, firm_id: int) -> list[Coupling]:
    """The active couplings of firms other than `firm_id`: the one a change
    would replace (exactly one is needed)."""
    return list(
        Coupling.objects.active()
        .filter(subscription=subscription)
        .exclude(firm_id=firm_id)
        .select_related("firm")
        .order_by("pk")
    )


def firm_change_deciders(*, subscription: Subscription, old_firm_id: int) -> list[Membership]:
    """Who answers a change: the client's own live sysadmins (client users);
    when the client has none, the live sysadmins of the firms coupled today
    other than the one asking (in practice the firm being replaced)."""
    sysadmins = list(
        Membership.objects.sysadmins()
        .filter(subscription=subscription)
        .select_related("user", "consultant")
        .order_by("user__full_name")
    )
    own = [m for m in sysadmins if m.consultant_id is None]
    if own:
        return own
    return [m for m in sysadmins if m.consultant is not None]


def client_has_own_sysadmin(*, subscription: Subscription) -> bool:
    return (
        Membership.objects.sysadmins()
        .filter(subscription=subscription, consultant__isnull=True)
        .exists()
    )


def _parties_q(user: User, consultant: Consultant | None) -> Q:
    """The changes `user` is a party to: the asking firm's admins, its
    requester and responsible consultant; the
    replaced firm's consultants who see the client, the subscription's live
    sysadmins. The replaced firm's admins keep seeing a change that is done
    (its assigned consultants lose the assignment with the access)."""
    administered = (
        Membership.objects.sysadmins().filter(user=user).values_list("subscription_id", flat=True)
    )
    parties = Q(subscription_id__in=administered)
    if consultant is not None:
        asking = Q(new_firm_id=consultant.firm_id)
        if not consultant.sees_all_clients:
            asking &= Q(requested_by=user) | Q(responsible_consultant=consultant)
        parties |= asking | (
            Q(old_firm_id=consultant.firm_id) & visible_to_q(consultant, "subscription_id")
        )
    return parties


def firm_changes_for_user(*, user: User, consultant: Consultant | None) -> QuerySet[FirmChange]:
    """The list "Byte av byrå": every change the user is a party to, newest first."""
    return (
        FirmChange.objects.filter(_parties_q(user, consultant))
        .select_related(*_RELATED)
        .order_by("-created_at", "-pk")
    )


def firm_change_for_user(
    *, user: User, consultant: Consultant | None, change_id: int
) -> FirmChange:
    """One change the user is a party to, else 404 (the attempt is recorded
    against the subscription of a change that exists)."""
    found = firm_changes_for_user(user=user, consultant=consultant).filter(pk=change_id).first()
    if found is None:
        number = (
            FirmChange.objects.filter(pk=change_id)
            .values_list("subscription__number", flat=True)
            .first()
        )
        if number is not None:
            record_denied(
                user=user, subscription_number=number, what="firm_change", change_id=change_id
            )
        raise Http404("No such change")
    return found


@dataclass(frozen=True)
class Roles:
    """What the user may do with one change."""

    decides: bool  # "Jag godkänner" / "Avböj"
    cancels: bool  # "Avbryt bytet" (the asking firm or the client)
    new_firm: bool
    old_firm: bool
    # The client's plan, licences, costs and payer: not for the asking firm
    # before the client has agreed (README, "Nothing of another tenant before
    # consent").
    sees_details: bool


def firm_change_roles(*, change: FirmChange, user: User, consultant: Consultant | None) -> Roles:
    deciders = firm_change_deciders(
        subscription=change.subscription, old_firm_id=change.old_firm_id
    )
    decides = change.status == FirmChange.Status.PENDING and any(
        m.user_id == user.pk for m in deciders
    )
    new_firm = consultant is not None and consultant.firm_id == change.new_firm_id
    client_sysadmin = any(
        m.user_id == user.pk and m.consultant_id is None
        for m in Membership.objects.sysadmins().filter(subscription_id=change.subscription_id)
    )
    old_firm = consultant is not None and consultant.firm_id == change.old_firm_id
    return Roles(
        decides=decides,
        cancels=change.status in FirmChange.OPEN_STATUSES and (new_firm or client_sysadmin),
        new_firm=new_firm,
        old_firm=old_firm,
        sees_details=decides
        or client_sysadmin
        or old_firm
        or change.status != FirmChange.Status.PENDING,
    )


def open_changes_for_subscription(*, subscription: Subscription) -> list[FirmChange]:
    """Open changes of a subscription already fetched for its sysadmin
    ("Byråsamarbete")."""
    return list(
        FirmChange.objects.open()
        .filter(subscription=subscription)
        .select_related("new_firm", "old_firm")
        .order_by("pk")
    )


# --- What the approver sees ---------------------------------------------------------


@dataclass(frozen=True)
class Leaving:
    name: str
    levels: list[tuple[str, str]]  # (program, level label)
    is_sysadmin: bool


@dataclass(frozen=True)
class Preview:
    """What happens on the date, in the words "Byte av byrå" shows."""

    change: FirmChange
    day: date  # the date, or today for "Direkt vid godkännande"
    old_coupling_live: bool
    leaving: list[Leaving]
    sysadmins_after: list[str]
    responsible_becomes_sysadmin: bool
    old_firm_pays: bool
    client_pays: bool
    payer_after: str
    billing_from: date
    unused_after: dict[str, int]  # program name → licences nobody uses
    cost_before: Decimal
    cost_after: Decimal
    plan_label: str

    @property
    def old_firm_last_month(self) -> date:
        return Month.of(self.billing_from).previous().first


def old_firm_memberships(*, subscription_id: int, firm_id: int) -> list[Membership]:
    return list(
        Membership.objects.filter(subscription_id=subscription_id, consultant__firm_id=firm_id)
        .select_related("user")
        .prefetch_related("levels__program")
        .order_by("user__full_name")
    )


def _unused_after(subscription: Subscription, leaving: list[Membership]) -> dict[str, int]:
    leaving_ids = {m.pk for m in leaving}
    used = Counter(
        ProgramLevel.objects.filter(membership__subscription=subscription)
        .exclude(membership_id__in=leaving_ids)
        .seats_used_by_program()
    )
    rows = SubscriptionLicense.objects.filter(subscription=subscription, seats__gt=0)
    return {
        row.program.name: row.seats - used[row.program_id]
        for row in rows.select_related("program").order_by("program__sort_order")
        if row.seats > used[row.program_id]
    }


def _sysadmins_after(
    subscription: Subscription, leaving: list[Membership], responsible: Consultant
) -> tuple[list[str], bool]:
    """Who is sysadmin after the change, and whether the new firm's
    responsible consultant must become one (never zero)."""
    needs = subscription.pk in subscriptions_left_without_sysadmin(leaving=leaving)
    leaving_ids = {m.pk for m in leaving}
    names = [
        m.user.full_name
        for m in Membership.objects.sysadmins()
        .filter(subscription=subscription)
        .exclude(pk__in=leaving_ids)
        .select_related("user")
        .order_by("user__full_name")
    ]
    if needs and responsible.user.full_name not in names:
        names.append(responsible.user.full_name)
    return names, needs


def firm_change_preview(*, change: FirmChange, today: date | None = None) -> Preview:
    """What the approver sees before "Jag godkänner" (and the parties after)."""
    today = today or today_in_stockholm()
    subscription = change.subscription
    day = change.starts_on if change.starts_on and change.starts_on > today else today
    live = change.old_coupling.status in Coupling.AGREED_STATUSES
    leaving = old_firm_memberships(subscription_id=subscription.pk, firm_id=change.old_firm_id)
    sysadmins, needs = _sysadmins_after(subscription, leaving, change.responsible_consultant)
    billing = SubscriptionBilling.objects.filter(subscription=subscription).first()
    old_pays = bool(
        billing and billing.recipient == Recipient.FIRM and billing.firm_id == change.old_firm_id
    )
    before = collaboration_cost(subscription=subscription, on=today)
    billing_from = billing_month_from(day)
    rows = SubscriptionLicense.objects.filter(subscription=subscription, seats__gt=0)
    after = monthly_cost(
        plan=subscription.plan,
        programs=[Seats(row.program, row.seats) for row in rows.select_related("program")],
        # The new firm gets its own invoice per customer; Samlingsfaktura
        # (reseller prices) it chooses afterwards under "Samarbeten".
        reseller=False if old_pays else before.reseller_prices,
        prices=BookPrices(PriceBook(Month.of(billing_from), seats=False), billing_from),
    )
    return Preview(
        change=change,
        day=day,
        old_coupling_live=live,
        leaving=[
            Leaving(
                name=m.user.full_name,
                levels=[(lvl.program.name, str(Level(lvl.level).label)) for lvl in m.levels.all()],
                is_sysadmin=m.is_sysadmin,
            )
            for m in leaving
        ],
        sysadmins_after=sysadmins,
        responsible_becomes_sysadmin=needs,
        old_firm_pays=old_pays,
        client_pays=billing is None or billing.recipient == Recipient.CLIENT,
        payer_after=change.new_firm.name if old_pays else before.payer_name,
        billing_from=billing_from,
        unused_after=_unused_after(subscription, leaving),
        cost_before=before.total,
        cost_after=after.monthly,
        plan_label=str(Plan(subscription.plan).label),
    )


def no_own_sysadmin_message(*, subscription: Subscription) -> str:
    """Told plainly to the asking firm when the client has no sysadmin of
    its own: the ways that exist."""
    return _(
        "Kunden har ingen egen systemadministratör i abonnemanget %(number)s: de enda "
        "systemadministratörerna är konsulter från den byrå som är sammankopplad idag. "
        "Det finns två vägar: kunden får först en egen systemadministratör (den nuvarande "
        "byrån kan bjuda in en klientanvändare, eller så skickar kunden blanketten till vår "
        "support – kostnadsfritt, eftersom det inte går digitalt), eller så godkänner den "
        "nuvarande byråns systemadministratör bytet. Skickar ni förfrågan nu går den till "
        "den nuvarande byråns systemadministratörer."
    ) % {"number": subscription.number}
