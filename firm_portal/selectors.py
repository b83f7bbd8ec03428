"""User-scoped reads for firms and consultants."""

from django.db.models import QuerySet

from firm_portal.models import Consultant, User

_UNSET = object()


def consultant_for_user(*, user: User) -> Consultant | None:
    """The user's active consultant role (with its firm), memoised on the user."""
    cached = getattr(user, "_active_consultant", _UNSET)
    if cached is _UNSET:
        cached = (
            Consultant.objects.select_related("firm", "user")
            .filter(user=user, is_active=True, user__is_active=True)
            .first()
        )
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
