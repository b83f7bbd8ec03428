"""Flow 3, client assignments: a program admin ticks which of the firm's
clients a consultant sees. Here because "the firm's clients" are its agreed
couplings (collaboration.selectors.firm_subscriptions); the rows written are
clients' (ClientAssignment) and the ledger's."""

from django.db import transaction

from clients.models import ClientAssignment
from collaboration.selectors import firm_subscriptions
from firm_portal.models import Consultant
from firm_portal.services import require_assignment_admin
from ledger.models import AccessEvent
from ledger.services import Kind


@transaction.atomic
def assignments_update(
    *, actor: Consultant, consultant: Consultant, shown: set[int], checked: set[int]
) -> tuple[int, int]:
    """Tick/untick clients for a consultant among those `shown` in the panel.
    Returns (added, removed)."""
    require_assignment_admin(actor=actor)
    valid = set(
        firm_subscriptions(firm_id=actor.firm_id)
        .filter(pk__in=shown | checked)
        .values_list("pk", flat=True)
    )
    wanted = checked & valid
    removable = (shown & valid) - wanted
    removed_ids = set(
        ClientAssignment.objects.filter(
            consultant=consultant, subscription_id__in=removable
        ).values_list("subscription_id", flat=True)
    )
    removed, _details = ClientAssignment.objects.filter(
        consultant=consultant, subscription_id__in=removed_ids
    ).delete()
    existing = set(
        ClientAssignment.objects.filter(
            consultant=consultant, subscription_id__in=wanted
        ).values_list("subscription_id", flat=True)
    )
    added = wanted - existing
    ClientAssignment.objects.bulk_create(
        [ClientAssignment(consultant=consultant, subscription_id=pk) for pk in added],
        ignore_conflicts=True,
    )
    _record_assignments(actor=actor, consultant=consultant, added=added, removed=removed_ids)
    return len(added), removed


@transaction.atomic
def assignments_select_all(
    *, actor: Consultant, consultant: Consultant, subscription_ids: list[int]
) -> int:
    """ "Markera alla" for the filtered set."""
    require_assignment_admin(actor=actor)
    valid = set(
        firm_subscriptions(firm_id=actor.firm_id)
        .filter(pk__in=subscription_ids)
        .values_list("pk", flat=True)
    )
    existing = set(
        ClientAssignment.objects.filter(
            consultant=consultant, subscription_id__in=valid
        ).values_list("subscription_id", flat=True)
    )
    added = valid - existing
    ClientAssignment.objects.bulk_create(
        [ClientAssignment(consultant=consultant, subscription_id=pk) for pk in added],
        ignore_conflicts=True,
    )
    _record_assignments(actor=actor, consultant=consultant, added=added, removed=set())
    return len(added)


def _record_assignments(
    *, actor: Consultant, consultant: Consultant, added: set[int], removed: set[int]
) -> None:
    """One ledger event per client whose assignment changed."""
    AccessEvent.objects.bulk_create(
        AccessEvent(
            kind=Kind.ASSIGNMENT_CHANGED,
            actor_id=actor.user_id,
            firm_id=actor.firm_id,
            subscription_id=subscription_id,
            subject_id=consultant.user_id,
            before={"assigned": subscription_id in removed},
            after={"assigned": subscription_id in added},
        )
        for subscription_id in sorted(added | removed)
    )
