"""User-scoped reads for "Samarbeten": the firm's collaborations with plan,
licences, invoice recipient, agreement period and status, and who of the
firm may change or end one. Fetching is checking: outsiders get 404."""

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from clients.models import (
    Membership,
    ProgramLevel,
    Subscription,
    SubscriptionLicense,
    subscription_matching_q,
)
from clients.selectors import record_denied, subscriptions_left_without_sysadmin
from collaboration.client_list.selectors import consultant_clients
from collaboration.models import Coupling
from firm_portal.models import Consultant
from firm_portal.timeutils import today_in_stockholm
from licensing.models import BillingChange, Recipient, SubscriptionBilling

# "Samarbeten" lists every live coupling, those awaiting the customer too;
# only agreed ones can be changed or ended.
OVERVIEW_STATUSES = Coupling.LIVE_STATUSES
CHANGEABLE_STATUSES = Coupling.AGREED_STATUSES


def _detail_prefetches(prefix: str = "") -> "list[Prefetch[Any]]":
    """The subscription's licences (`license_rows`) and payer changes still to
    come (`upcoming_billing_changes`), from the subscription at `prefix`."""
    return [
        Prefetch(
            f"{prefix}licenses",
            queryset=SubscriptionLicense.objects.filter(seats__gt=0)
            .select_related("program")
            .order_by("program__sort_order", "program__name"),
            to_attr="license_rows",
        ),
        Prefetch(
            f"{prefix}billing_changes",
            queryset=BillingChange.objects.filter(effective_on__gt=today_in_stockholm())
            .select_related("firm_after")
            .order_by("-effective_on", "-created_at", "-pk"),
            to_attr="upcoming_billing_changes",
        ),
    ]


def with_collaboration_details(qs: QuerySet[Coupling]) -> QuerySet[Coupling]:
    """Couplings with what "Samarbeten" shows: the subscription's payer
    (`subscription.billing`), its licences (`subscription.license_rows`) and
    payer changes still to come (`subscription.upcoming_billing_changes`).
    Two queries on top of the couplings, whatever their number."""
    return qs.select_related("subscription__billing__firm").prefetch_related(
        *_detail_prefetches("subscription__")
    )


def collaborations_for_consultant(*, consultant: Consultant, query: str = "") -> QuerySet[Coupling]:
    """ "Samarbeten": the firm's collaborations the consultant may see (the
    rules of `consultant_clients`), including those awaiting the customer."""
    qs = consultant_clients(consultant=consultant, statuses=OVERVIEW_STATUSES)
    query = query.strip()
    if query:
        qs = qs.filter(subscription_matching_q(query, "subscription__"))
    return with_collaboration_details(qs)


def collaboration_for_consultant(*, consultant: Consultant, number: int) -> Coupling:
    """The firm's collaboration with subscription `number`, if the consultant
    may see it, else 404 (and the attempt is recorded)."""
    coupling = (
        with_collaboration_details(
            consultant_clients(consultant=consultant, statuses=OVERVIEW_STATUSES)
        )
        .filter(subscription__number=number)
        .first()
    )
    if coupling is None:
        record_denied(user=consultant.user, subscription_number=number, what="collaboration")
        raise Http404("No such collaboration")
    return coupling


def billing_of(subscription: Subscription) -> SubscriptionBilling | None:
    return getattr(subscription, "billing", None)


def firm_pays(*, subscription: Subscription, firm_id: int) -> bool:
    billing = billing_of(subscription)
    return bool(billing and billing.recipient == Recipient.FIRM and billing.firm_id == firm_id)


@dataclass(frozen=True)
class FirmRights:
    """What the consultant may do with the firm's collaboration, and if not, why."""

    change_refusal: str
    end_refusal: str


def firm_rights(*, consultant: Consultant, coupling: Coupling) -> FirmRights:
    """The firm changes licences, plan and invoice recipient only while it
    is the payer, and then its admins and the responsible consultant; only
    firm admins end a collaboration."""
    change_refusal = ""
    if coupling.status not in CHANGEABLE_STATUSES:
        change_refusal = _("Samarbetet väntar på kundens godkännande och kan inte ändras ännu.")
    elif not (consultant.is_firm_admin or coupling.responsible_consultant_id == consultant.pk):
        change_refusal = _(
            "Bara byråns administratörer och den ansvariga konsulten kan ändra samarbetet."
        )
    elif not firm_pays(subscription=coupling.subscription, firm_id=consultant.firm_id):
        change_refusal = _(
            "Kunden är fakturamottagare, så licenser, variant och fakturamottagare ändras av "
            "kundens systemadministratör."
        )
    end_refusal = ""
    if coupling.status not in CHANGEABLE_STATUSES:
        end_refusal = _("Samarbetet väntar på kundens godkännande och kan inte avslutas.")
    elif not consultant.is_firm_admin:
        end_refusal = _("Bara byråns administratörer kan avsluta ett samarbete.")
    return FirmRights(change_refusal=change_refusal, end_refusal=end_refusal)


def coupling_for_sysadmin(*, subscription: Subscription, coupling_id: int) -> Coupling:
    """A live coupling of `subscription` (already fetched through
    `subscription_for_sysadmin`), else 404."""
    coupling = (
        Coupling.objects.filter(
            pk=coupling_id, subscription=subscription, status__in=CHANGEABLE_STATUSES
        )
        .select_related("firm", "responsible_consultant__user", "subscription__client")
        .first()
    )
    if coupling is None:
        raise Http404("No such coupling")
    return coupling


def _billing_loaded(subscription: Subscription) -> bool:
    """Whether `billing` and its firm came with the subscription (as from
    `subscription_for_sysadmin(..., select_related=BILLING)`)."""
    if not Subscription.billing.is_cached(subscription):  # type: ignore[attr-defined]
        return False
    billing = billing_of(subscription)
    if billing is None or billing.firm_id is None:
        return True
    return SubscriptionBilling.firm.is_cached(billing)  # type: ignore[attr-defined,no-any-return]


# What `subscription_with_details` needs fetched with the subscription to add
# only the licences and payer changes (two queries instead of three).
BILLING = ("billing__firm",)


def subscription_with_details(*, subscription: Subscription) -> Subscription:
    """The subscription with `billing`, `license_rows` and
    `upcoming_billing_changes`, like a row of "Samarbeten". A subscription
    fetched with `BILLING` (and its client) gets the rest added in place."""
    if _billing_loaded(subscription) and Subscription.client.is_cached(subscription):  # type: ignore[attr-defined]
        # The prefetches' own querysets, for one subscription: a plain query
        # each is cheaper than prefetch_related_objects.
        for prefetch in _detail_prefetches():
            rows = prefetch.queryset.filter(subscription_id=subscription.pk)  # type: ignore[union-attr]
            setattr(subscription, prefetch.to_attr, list(rows))  # type: ignore[arg-type]
        return subscription
    return (
        Subscription.objects.filter(pk=subscription.pk)
        .select_related("client", "billing__firm")
        .prefetch_related(*_detail_prefetches())
        .get()
    )


# --- Ending ------------------------------------------------------------------------


@dataclass(frozen=True)
class EndPreview:
    """What ending a collaboration removes, and why it cannot be done yet."""

    coupling: Coupling
    memberships: list[Membership]
    freed: dict[str, int]
    unused_before: dict[str, int]
    firm_pays: bool
    refusal: str

    @property
    def can_end(self) -> bool:
        return not self.refusal


def _firm_memberships(coupling: Coupling) -> list[Membership]:
    return list(
        Membership.objects.filter(
            subscription_id=coupling.subscription_id, consultant__firm_id=coupling.firm_id
        )
        .select_related("user")
        .prefetch_related("levels__program")
        .order_by("user__full_name")
    )


def collaboration_end_preview(*, coupling: Coupling) -> EndPreview:
    memberships = _firm_memberships(coupling)
    freed = Counter(level.program.code for m in memberships for level in m.levels.all())
    seats = dict(
        SubscriptionLicense.objects.filter(
            subscription_id=coupling.subscription_id, program__code__in=freed
        ).values_list("program__code", "seats")
    )
    code_of = {
        level.program_id: level.program.code for m in memberships for level in m.levels.all()
    }
    used = Counter(
        {
            code_of[program_id]: n
            for program_id, n in ProgramLevel.objects.filter(
                membership__subscription_id=coupling.subscription_id, program_id__in=code_of
            )
            .seats_used_by_program()
            .items()
        }
    )
    refusal = ""
    if coupling.subscription_id in subscriptions_left_without_sysadmin(leaving=memberships):
        refusal = _(
            "Det går inte att avsluta samarbetet: konsulter från %(firm)s är de enda "
            "systemadministratörerna i abonnemanget %(number)s. Kunden behöver först göra någon "
            "annan till systemadministratör."
        ) % {"firm": coupling.firm.name, "number": coupling.subscription.number}
    return EndPreview(
        coupling=coupling,
        memberships=memberships,
        freed=dict(freed),
        unused_before={code: max(seats.get(code, 0) - used[code], 0) for code in freed},
        firm_pays=SubscriptionBilling.objects.filter(
            subscription_id=coupling.subscription_id,
            recipient=Recipient.FIRM,
            firm_id=coupling.firm_id,
        ).exists(),
        refusal=refusal,
    )
