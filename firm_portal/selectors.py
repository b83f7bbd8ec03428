"""User-scoped reads for firms and consultants."""

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from clients.models import ClientAssignment, Invitation, JoinOffer, Membership, Subscription
from firm_portal.denials import NotAConsultant
from firm_portal.models import Consultant, ConsultantOffboarding, Firm, User

_UNSET = object()


def account_ended_by(*, user: User) -> Firm | None:
    """The firm whose "Avsluta konsult" left the person no way in: no active
    consultant role and no live membership as a client user. Their login is
    refused (with this firm's name); None for everyone else."""
    if user.is_staff:
        return None
    ended = (
        ConsultantOffboarding.objects.filter(consultant__user=user)
        .select_related("consultant__firm")
        .order_by("-performed_at", "-pk")
        .first()
    )
    if ended is None:
        return None
    if Consultant.objects.filter(user=user, is_active=True).exists():
        return None
    if Membership.objects.live().filter(user=user, consultant__isnull=True).exists():
        return None
    return ended.consultant.firm


def offers_despite_ending(*, user: User) -> QuerySet[JoinOffer]:
    """The person's pending offers from anyone but the firms that ended
    them: another firm's (as consultant, or as user of one of its clients).
    An ended person may log in to answer these, and only these."""
    ending_firms = ConsultantOffboarding.objects.filter(consultant__user=user).values(
        "consultant__firm_id"
    )
    return JoinOffer.objects.filter(user=user, status=JoinOffer.Status.PENDING).exclude(
        firm_id__in=ending_firms
    )


def consultant_for_user(*, user: User) -> Consultant | None:
    """The user's active consultant role (with its firm), memoised on the user."""
    cached = getattr(user, "_active_consultant", _UNSET)
    if cached is _UNSET:
        # At most one active role per user (consultant_one_active_firm_per_user),
        # and the user is already loaded: no join back to it, no ordering.
        cached = None
        if user.is_active:
            cached = next(
                iter(
                    Consultant.objects.select_related("firm")
                    .filter(user_id=user.pk, is_active=True)
                    .order_by()[:1]
                ),
                None,
            )
        if cached is not None:
            cached.user = user
        user._active_consultant = cached  # type: ignore[attr-defined]
    return cached  # type: ignore[return-value]


def firm_consultants_search(
    *, consultant: Consultant, query: str, limit: int = 20
) -> QuerySet[Consultant]:
    """Active consultants of the caller's firm whose name or email matches."""
    qs = (
        Consultant.objects.filter(firm_id=consultant.firm_id, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name")
    )
    query = query.strip()
    if query:
        qs = qs.filter(user__full_name__icontains=query) | qs.filter(user__email__icontains=query)
    return qs[:limit]


def firm_consultants(*, consultant: Consultant) -> QuerySet[Consultant]:
    return Consultant.objects.filter(
        firm_id=consultant.firm_id, is_active=True, user__is_active=True
    ).select_related("user")


def firm_admins(*, firm_id: int) -> list[Consultant]:
    """The firm's active admins, by name: whom a consultant without a
    client-manager seat asks for one (start page and "Licens saknas")."""
    return list(
        Consultant.objects.filter(firm_id=firm_id, is_firm_admin=True, is_active=True)
        .filter(user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "pk")
    )


def require_consultant(*, user: User) -> Consultant:
    """The user's consultant role, or 404: firm pages do not exist for others."""
    consultant = consultant_for_user(user=user)
    if consultant is None:
        raise NotAConsultant("Not a consultant")
    return consultant


def seated_consultant(*, user: User) -> Consultant | None:
    """For Klienthanteraren: the consultant if they have a client-manager
    seat, None if not (the view explains why); 404 for non-consultants."""
    consultant = require_consultant(user=user)
    return consultant if consultant.has_client_manager_seat else None


def consultant_in_firm(*, actor: Consultant, consultant_id: int) -> Consultant:
    """A consultant of the actor's own firm (also ended ones), else 404."""
    found = (
        Consultant.objects.filter(pk=consultant_id, firm_id=actor.firm_id)
        .select_related("user", "firm")
        .first()
    )
    if found is None:
        if Consultant.objects.filter(pk=consultant_id).exists():
            from clients.selectors import record_denied

            record_denied(user=actor.user, what="consultant", consultant_id=consultant_id)
        raise Http404("No such consultant")
    return found


def firm_consultant_rows(*, actor: Consultant) -> QuerySet[Consultant]:
    """ "Administrera användare" for the firm: every consultant with an
    `invited` flag (the firm's own invitation not yet accepted), `assigned_count` and
    `offboarded` (ended with "Avsluta konsult", so there is a report). For
    paging: the counts are correlated subqueries, so a page of 25 counts 25
    consultants' clients, not the whole firm's."""
    open_invitation = Invitation.objects.filter(
        user_id=OuterRef("user_id"), firm_id=OuterRef("firm_id"), accepted_at__isnull=True
    )
    assigned = (
        ClientAssignment.objects.filter(consultant_id=OuterRef("pk"))
        .values("consultant_id")
        .annotate(n=Count("*"))  # COUNT(*): the consultant_id index alone answers it
        .values("n")
    )
    return (
        Consultant.objects.filter(firm_id=actor.firm_id)
        .select_related("user")
        .annotate(
            invited=Exists(open_invitation),
            offboarded=Exists(ConsultantOffboarding.objects.filter(consultant_id=OuterRef("pk"))),
            assigned_count=Coalesce(Subquery(assigned), 0),
        )
        .order_by("-is_active", "user__full_name", "pk")
    )


def consultant_assigned_count(*, consultant: Consultant) -> int:
    """How many clients the consultant is assigned to (the row's "3 klienter")."""
    return ClientAssignment.objects.filter(consultant_id=consultant.pk).count()


def assignment_panel(
    *, actor: Consultant, consultant: Consultant, query: str, limit: int = 50
) -> tuple[list[tuple[Subscription, bool]], int]:
    """The firm's clients matching `query` (at most `limit`), each with whether
    it is assigned to `consultant`, and the total number of matches."""
    from firm_portal.services import firm_subscriptions

    qs = firm_subscriptions(firm_id=actor.firm_id).matching(query).select_related("client")
    qs = qs.annotate(
        assigned=Exists(
            ClientAssignment.objects.filter(consultant=consultant, subscription_id=OuterRef("pk"))
        )
    ).order_by("client__name", "number")
    total = qs.count()
    return [(s, s.assigned) for s in qs[:limit]], total  # type: ignore[attr-defined]


def assignment_matches(*, actor: Consultant, query: str) -> list[int]:
    """Ids of every firm client matching `query` ("Markera alla")."""
    from firm_portal.services import firm_subscriptions

    return list(
        firm_subscriptions(firm_id=actor.firm_id).matching(query).values_list("pk", flat=True)
    )


def join_offers_for_user(*, user: User) -> list[JoinOffer]:
    """ "Inbjudningar" on the start page: the offers waiting for the user's
    answer, oldest first. One query."""
    return list(
        JoinOffer.objects.filter(user=user, status=JoinOffer.Status.PENDING)
        .select_related("firm", "subscription__client", "invited_by")
        .order_by("created_at", "pk")
    )


def join_offer_for_user(*, user: User, offer_id: int) -> JoinOffer:
    """The user's own pending offer, else 404 (someone else's is an attempt
    on it: it goes to the ledger)."""
    offer = (
        JoinOffer.objects.filter(pk=offer_id).select_related("firm", "subscription__client").first()
    )
    if offer is None or offer.user_id != user.pk or offer.status != JoinOffer.Status.PENDING:
        if offer is not None and offer.user_id != user.pk:
            from clients.selectors import record_denied

            record_denied(
                user=user,
                subscription_number=offer.subscription.number if offer.subscription else None,
                what="join_offer",
                offer_id=offer.pk,
            )
        raise Http404("No such offer")
    return offer


def firm_join_offers(*, actor: Consultant, limit: int = 50) -> list[JoinOffer]:
    """The firm's consultant offers nobody has answered yet ("Inbjudna"),
    newest first. Only the e-mail address the firm typed is shown: whether
    an account existed for it is nobody's business but its owner's."""
    return list(
        JoinOffer.objects.filter(
            firm_id=actor.firm_id,
            kind=JoinOffer.Kind.CONSULTANT,
            status=JoinOffer.Status.PENDING,
        )
        .select_related("user")
        .order_by("-sent_at", "-pk")[:limit]
    )


def firm_join_offer(*, actor: Consultant, offer_id: int) -> JoinOffer:
    """One of the firm's pending consultant offers, else 404."""
    offer = JoinOffer.objects.filter(pk=offer_id).select_related("user", "firm").first()
    if (
        offer is None
        or offer.firm_id != actor.firm_id
        or offer.kind != JoinOffer.Kind.CONSULTANT
        or offer.status != JoinOffer.Status.PENDING
    ):
        if offer is not None and offer.firm_id != actor.firm_id:
            from clients.selectors import record_denied

            record_denied(user=actor.user, what="join_offer", offer_id=offer.pk)
        raise Http404("No such offer")
    return offer
