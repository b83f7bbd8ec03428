"""Flow 3, client assignments: the panel of the firm's clients (its agreed
couplings) with whether each is assigned to a consultant."""

from django.db.models import Exists, OuterRef

from clients.models import ClientAssignment, Subscription
from collaboration.selectors import firm_subscriptions
from firm_portal.models import Consultant


def assignment_panel(
    *, actor: Consultant, consultant: Consultant, query: str, limit: int = 50
) -> tuple[list[tuple[Subscription, bool]], int]:
    """The firm's clients matching `query` (at most `limit`), each with whether
    it is assigned to `consultant`, and the total number of matches."""
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
    return list(
        firm_subscriptions(firm_id=actor.firm_id).matching(query).values_list("pk", flat=True)
    )
