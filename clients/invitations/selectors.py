"""User-scoped reads of join offers: the person's own ("Inbjudningar" on
the start page) and the firm's consultant offers ("Inbjudna")."""

from django.http import Http404

from clients.models import JoinOffer
from clients.selectors import record_denied
from firm_portal.models import Consultant, User


def join_offers_for_user(*, user: User) -> list[JoinOffer]:
    """ "Inbjudningar" on the start page: the offers waiting for the user's
    answer, oldest first. One query, of only the columns the cards show: it
    runs on every start page, mostly to find nothing, and its four tables'
    40 columns took 0.7 ms to compile (the bench set; 0.3 ms now)."""
    return list(
        JoinOffer.objects.filter(user=user, status=JoinOffer.Status.PENDING)
        .select_related("firm", "subscription__client", "invited_by")
        .only(
            "as_sysadmin",
            "firm__name",
            "subscription__client__name",
            "invited_by__full_name",
        )
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
            record_denied(user=actor.user, what="join_offer", offer_id=offer.pk)
        raise Http404("No such offer")
    return offer
