"""User-scoped reads for coupling requests: the start page's access and
to-do cards, one request for a sysadmin or a firm, and step 1 of "Ny klient"
(`subscription_lookup`: which subscription the firm may ask for, and why not)."""

import enum
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.functions import Now
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clients.models import Client, Membership, ProgramLevel, Subscription
from clients.selectors import record_denied
from collaboration.agreements.selectors import agreement_cards
from collaboration.models import CollaborationRequest, Coupling
from firm_portal.models import Consultant, User
from firm_portal.org_numbers import normalize_org_number


def _pending_requests(
    related: tuple[str, ...] = ("firm", "responsible_consultant__user", "requested_by"),
) -> QuerySet[CollaborationRequest]:
    """Pending requests, oldest first, with `related` joined in (only what
    the page shows: every join costs the planner and the ORM)."""
    # Past their expiry they are gone for everyone, even before the hourly
    # task marks them expired.
    qs = CollaborationRequest.objects.filter(
        status=CollaborationRequest.Status.PENDING, expires_at__gt=Now()
    ).order_by("created_at")
    return qs.select_related(*related) if related else qs


@dataclass
class AdministeredSubscription:
    """A start-page panel of a subscription the user administers."""

    subscription: Subscription
    # Pending requests as plain values (`firm_name`, `responsible_name`), oldest first.
    pending: list[dict[str, Any]]
    # Flow 10: firms asking for their agreements to be confirmed (`agreement_cards`).
    agreement_cards: list[dict[str, Any]]


@dataclass
class StartPageAccess:
    administered: list[AdministeredSubscription]
    memberships: list[Membership]  # plain client memberships, with their levels


def start_page_access(*, user: User) -> StartPageAccess:
    """The start page's subscriptions the user administers (the rules of
    `subscriptions_administered_by`: a live sysadmin membership, the
    subscription not ended), each with its to-do cards, and the user's live
    memberships as a plain member (not sysadmin, not as a consultant), each
    with its program levels prefetched.

    Both lists come from one query of the user's live memberships: the
    EXISTS nested in an EXISTS of `subscriptions_administered_by` and a
    second memberships query took twice as long to build and compile (the
    bench reports have the figures). The cards and levels are fetched only when
    there is something to fetch them for: one query for most users, at most
    three."""
    rows = list(
        Membership.objects.live()
        .filter(
            (Q(is_sysadmin=True) & ~Q(subscription__status=Subscription.Status.ENDED))
            | Q(is_sysadmin=False, consultant__isnull=True),
            user=user,
        )
        .select_related("subscription__client")
        .order_by("subscription__client__name", "subscription__number")
    )
    # At most one membership per user and subscription (a unique constraint).
    administered = [m.subscription for m in rows if m.is_sysadmin]
    memberships = [m for m in rows if not m.is_sysadmin]
    prefetch_related_objects(
        memberships, Prefetch("levels", queryset=ProgramLevel.objects.select_related("program"))
    )
    return StartPageAccess(administered=_with_cards(administered), memberships=memberships)


def _with_cards(administered: list[Subscription]) -> list[AdministeredSubscription]:
    """Each administered subscription with its pending requests and agreement
    cards: two queries, none when there is nothing to fetch them for."""
    if not administered:
        return []
    ids = [s.pk for s in administered]
    cards: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    for card in (
        _pending_requests(related=())
        .filter(subscription_id__in=ids)
        .values(
            "subscription_id",
            firm_name=F("firm__name"),
            responsible_name=F("responsible_consultant__user__full_name"),
        )
    ):
        cards[card["subscription_id"]].append(dict(card))
    agreements = agreement_cards(subscription_ids=ids)
    return [
        AdministeredSubscription(
            subscription=s, pending=cards[s.pk], agreement_cards=agreements[s.pk]
        )
        for s in administered
    ]


# "Byråsamarbete" shows these columns of its requests and couplings and no
# others: the rest of the three tables' 50 columns cost compiling and
# instantiating on every load (about 0.2 ms a query on the 10k bench set).
SHOWN_REQUEST_FIELDS = (
    "subscription_id",
    "start_date",
    "created_at",
    "expires_at",
    "firm__name",
    "responsible_consultant__user__full_name",
    "requested_by__full_name",
)
SHOWN_COUPLING_FIELDS = (
    "subscription_id",
    "status",
    "starts_on",
    "firm__name",
    "responsible_consultant__user__full_name",
)


def pending_requests_for_subscription(*, subscription: Subscription) -> list[CollaborationRequest]:
    """Only the fields "Byråsamarbete" shows (SHOWN_REQUEST_FIELDS)."""
    return list(_pending_requests().filter(subscription=subscription).only(*SHOWN_REQUEST_FIELDS))


def live_couplings_for_subscription(*, subscription: Subscription) -> list[Coupling]:
    """Only the fields "Byråsamarbete" shows (SHOWN_COUPLING_FIELDS)."""
    return list(
        Coupling.objects.agreed()
        .filter(subscription=subscription)
        .select_related("firm", "responsible_consultant__user")
        .only(*SHOWN_COUPLING_FIELDS)
        .order_by("status", "firm__name")
    )


def request_for_sysadmin(*, subscription: Subscription, request_id: int) -> CollaborationRequest:
    """A request to `subscription` (already fetched through
    `subscription_for_sysadmin`), in any status, else 404."""
    found = (
        CollaborationRequest.objects.filter(pk=request_id, subscription=subscription)
        .select_related("firm", "decided_by", "responsible_consultant__user")
        .first()
    )
    if found is None:
        raise Http404("No such request")
    return found


def request_for_firm(*, consultant: Consultant, request_id: int) -> CollaborationRequest:
    found = CollaborationRequest.objects.filter(pk=request_id, firm_id=consultant.firm_id).first()
    if found is None:
        another_firms = (
            CollaborationRequest.objects.filter(pk=request_id)
            .values_list("subscription__number", flat=True)
            .first()
        )
        if another_firms is not None:
            record_denied(
                user=consultant.user,
                subscription_number=another_firms,
                what="collaboration_request",
                request_id=request_id,
            )
        raise Http404("No such request")
    return found


def request_with_details(*, request_id: int) -> CollaborationRequest:
    """A request already fetched through `request_for_firm`, with what its
    confirmation page shows."""
    return CollaborationRequest.objects.select_related(
        "subscription__client", "responsible_consultant__user"
    ).get(pk=request_id)


def lookup_candidates(*, firm_id: int, org_number: str) -> QuerySet[Subscription]:
    """The client's subscriptions that have not ended, each with what step 1
    checks for the firm (live coupling, pending request, an active sysadmin)
    annotated, in one query."""
    coupling = (
        Coupling.objects.live()
        .filter(firm_id=firm_id, subscription_id=OuterRef("pk"))
        .order_by("pk")
    )
    pending = CollaborationRequest.objects.filter(
        firm_id=firm_id,
        subscription_id=OuterRef("pk"),
        status=CollaborationRequest.Status.PENDING,
    ).order_by("pk")
    sysadmin = Membership.objects.sysadmins().filter(subscription_id=OuterRef("pk"))
    return (
        Subscription.objects.filter(client__org_number=org_number)
        .exclude(status=Subscription.Status.ENDED)
        .select_related("client")
        .annotate(
            firm_coupling_status=Subquery(coupling.values("status")[:1]),
            firm_coupling_starts_on=Subquery(coupling.values("starts_on")[:1]),
            pending_created_at=Subquery(pending.values("created_at")[:1]),
            pending_requested_by=Subquery(pending.values("requested_by__full_name")[:1]),
            has_active_sysadmin=Exists(sysadmin),
        )
        .order_by("number")
    )


class LookupOutcome(enum.StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    NEEDS_NUMBER = "needs_number"
    ALREADY_COUPLED = "already_coupled"
    ALREADY_PENDING = "already_pending"
    AWAITING_CUSTOMER = "awaiting_customer"
    NO_SYSADMIN = "no_sysadmin"


@dataclass(frozen=True)
class Lookup:
    outcome: LookupOutcome
    message: str = ""
    client: Client | None = None
    subscription: Subscription | None = None


def subscription_lookup(
    *, consultant: Consultant, org_number: str, subscription_number: int | None = None
) -> Lookup:
    """Step 1 of "Ny klient": find the one subscription the firm may request.

    Raises ValidationError (with the field's Swedish message) for a malformed
    organisationsnummer or an abonnemangsnummer that is not the client's.
    """
    normalized = normalize_org_number(org_number)
    subscriptions = list(lookup_candidates(firm_id=consultant.firm_id, org_number=normalized))
    client = subscriptions[0].client if subscriptions else None
    if client is None:
        return Lookup(
            LookupOutcome.NOT_FOUND,
            _(
                "Det finns inget abonnemang för organisationsnummer %(org)s. "
                "Kunden behöver bli ny kund hos oss innan ni kan samarbeta."
            )
            % {"org": normalized},
        )
    if subscription_number is not None:
        matching = [s for s in subscriptions if s.number == subscription_number]
        if not matching:
            raise ValidationError(
                _("Abonnemangsnumret %(number)s hör inte till %(client)s.")
                % {"number": subscription_number, "client": client.name},
                code="subscription_mismatch",
            )
        subscription = matching[0]
    elif len(subscriptions) > 1:
        return Lookup(
            LookupOutcome.NEEDS_NUMBER,
            _("%(client)s har %(count)s abonnemang hos oss. Ange abonnemangsnumret.")
            % {"client": client.name, "count": len(subscriptions)},
            client=client,
        )
    else:
        subscription = subscriptions[0]
    return _taken(client, subscription) or _refused(client, subscription)


def _taken(client: Client, subscription: Subscription) -> Lookup | None:
    """The firm is coupled already, or the subscription is new and waits for
    its customer; None otherwise."""
    found: Any = subscription  # the annotations of lookup_candidates
    if found.firm_coupling_status == Coupling.Status.AWAITING_CUSTOMER:
        return Lookup(
            LookupOutcome.ALREADY_COUPLED,
            _(
                "Er byrå har redan skapat ett samarbete med %(client)s (abonnemang %(number)s) "
                "som väntar på kundens godkännande. Skicka välkomstmejlet igen under "
                "Samarbeten om kunden inte har fått det."
            )
            % {"client": client.name, "number": subscription.number},
            client,
            subscription,
        )
    if subscription.status == Subscription.Status.PENDING:
        # Another firm created it with "Skapa nytt samarbete": nobody can
        # approve anything until the customer has accepted the terms.
        return Lookup(
            LookupOutcome.AWAITING_CUSTOMER,
            _(
                "Abonnemanget %(number)s för %(client)s är nytt och väntar på att kunden "
                "godkänner villkoren. Skicka förfrågan när kunden har godkänt dem."
            )
            % {"client": client.name, "number": subscription.number},
            client,
            subscription,
        )
    if found.firm_coupling_status is None:
        return None
    if found.firm_coupling_status == Coupling.Status.SCHEDULED:
        message = _(
            "Er byrå är redan sammankopplad med %(client)s (abonnemang %(number)s) "
            "från och med %(date)s."
        ) % {
            "client": client.name,
            "number": subscription.number,
            "date": date_format(found.firm_coupling_starts_on, "j F Y"),
        }
    else:
        message = _("Er byrå är redan sammankopplad med %(client)s (abonnemang %(number)s).") % {
            "client": client.name,
            "number": subscription.number,
        }
    return Lookup(LookupOutcome.ALREADY_COUPLED, message, client, subscription)


def _refused(client: Client, subscription: Subscription) -> Lookup:
    """Why the firm may not ask for this subscription now, or FOUND."""
    found: Any = subscription  # the annotations of lookup_candidates
    if found.pending_created_at is not None:
        return Lookup(
            LookupOutcome.ALREADY_PENDING,
            _(
                "Er byrå har redan en förfrågan till %(client)s som väntar på svar "
                "(skickad %(date)s av %(name)s)."
            )
            % {
                "client": client.name,
                "date": date_format(timezone.localtime(found.pending_created_at), "j F Y"),
                "name": found.pending_requested_by,
            },
            client,
            subscription,
        )

    if not found.has_active_sysadmin:
        return Lookup(
            LookupOutcome.NO_SYSADMIN,
            _(
                "Abonnemanget %(number)s har ingen aktiv systemadministratör som kan godkänna "
                "en förfrågan, så sammankopplingen kan inte göras digitalt. Skicka in "
                "blanketten för manuell koppling till vår support – då är kopplingen "
                "kostnadsfri."
            )
            % {"number": subscription.number},
            client,
            subscription,
        )
    return Lookup(LookupOutcome.FOUND, "", client, subscription)
