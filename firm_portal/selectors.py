"""User-scoped reads for firms and consultants."""

from django.db.models import QuerySet
from django.http import Http404

from firm_portal.denials import NotAConsultant
from firm_portal.models import Consultant, User
from ledger.services import ledger_record_denied

_UNSET = object()


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
            ledger_record_denied(
                actor=actor.user, attempt={"what": "consultant", "consultant_id": consultant_id}
            )
        raise Http404("No such consultant")
    return found
