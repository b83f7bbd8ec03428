"""A person ended by a firm ("Avsluta konsult") who has a pending invitation
from another firm, or to another firm's client, may still log in: to answer
those invitations and nothing else.

Ending by firm A stays intact: A's pages, clients and invitations stay
closed (the login opens no role A ended, and A's own offers are not shown or
answerable). Only the start page's "Inbjudningar" with the others' offers,
"Gå med"/"Avböj" on them, the code step and logging out are open; every
other page leads back to the start page. Accepting an offer that gives the
person a live role (a consultant at B, a user at B's client) ends the
restriction: from then on they are B's like anyone else, and still nobody
of A's.

Chosen over a second account or a link by e-mail: the person keeps one
account and proves it with their own password, and firm A's ending (the
login refused, the message naming A) stays as it was for everyone without
such an offer."""

from collections.abc import Callable

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve

from clients.models import JoinOffer, Membership
from firm_portal.models import Consultant, ConsultantOffboarding, Firm, User

# Session key: this login may only answer invitations.
OFFERS_ONLY = "offers_only"
OPEN_VIEWS = {
    "home",
    "logout",
    "set_language",
    "two_factor_verify",
    "two_factor_setup",
    "join_offer_accept",
    "join_offer_decline",
}


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


def offers_only_ends(request: HttpRequest) -> None:
    """After "Gå med": once the person has a live role again, the session is
    an ordinary one."""
    if request.session.get(OFFERS_ONLY) and account_ended_by(user=request.user) is None:  # type: ignore[arg-type]
        del request.session[OFFERS_ONLY]
        request.session.cycle_key()


class OffersOnlyMiddleware:
    """Keeps an offers-only session on its few pages (after the code step)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and request.session.get(OFFERS_ONLY)
            and not self._open(request.path_info)
        ):
            return redirect("home")
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        try:
            return resolve(path).view_name in OPEN_VIEWS
        except Resolver404:
            return False
