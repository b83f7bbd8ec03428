""" "Avsluta konsult": take a consultant out of every client subscription of
the firm, withdraw their client-manager seat and client assignments, and end
their employment, in one transaction, keeping a report of what was removed.

A subscription where the consultant is the only live system administrator
blocks the whole action: removing them would leave the client with nobody who
can approve requests or administer users."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import translation
from django.utils.translation import gettext as _

from clients.models import (
    ClientAssignment,
    Invitation,
    JoinOffer,
    Membership,
    ProgramLevel,
    Subscription,
)
from clients.selectors import subscriptions_left_without_sysadmin
from firm_portal.models import Consultant, ConsultantOffboarding, Firm
from firm_portal.services import require_firm_admin
from ledger.services import Kind, ledger_record


@dataclass(frozen=True)
class RemovedAccess:
    """One subscription the consultant is taken out of. The field names are
    the keys of a stored report row, so templates and the CSV read both alike."""

    membership_id: int
    client: str
    org_number: str
    subscription_number: int
    was_sysadmin: bool
    levels: list[str]
    only_sysadmin: bool = False

    def as_report_row(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "org_number": self.org_number,
            "subscription_number": self.subscription_number,
            "was_sysadmin": self.was_sysadmin,
            "levels": list(self.levels),
        }


@dataclass(frozen=True)
class OffboardingPreview:
    consultant: Consultant
    rows: list[RemovedAccess]
    assignment_count: int
    refusals: list[str]

    @property
    def blockers(self) -> list[RemovedAccess]:
        return [row for row in self.rows if row.only_sysadmin]

    @property
    def can_perform(self) -> bool:
        return not self.refusals


def _memberships(consultant: Consultant) -> list[Membership]:
    levels = ProgramLevel.objects.select_related("program").order_by(
        "program__sort_order", "program__name"
    )
    return list(
        Membership.objects.filter(consultant=consultant)
        .select_related("subscription__client")
        .prefetch_related(Prefetch("levels", queryset=levels))
        .order_by("subscription__client__name", "subscription__number")
    )


def _rows(memberships: list[Membership]) -> list[RemovedAccess]:
    """Report rows, the ones that block offboarding first."""
    blocked = subscriptions_left_without_sysadmin(leaving=memberships)
    # The report is a record in the product language, whoever reads it later.
    with translation.override("sv"):
        rows = [
            RemovedAccess(
                membership_id=m.pk,
                client=m.subscription.client.name,
                org_number=m.subscription.client.org_number,
                subscription_number=m.subscription.number,
                was_sysadmin=m.is_sysadmin,
                levels=[f"{lvl.program.name}: {lvl.get_level_display()}" for lvl in m.levels.all()],
                only_sysadmin=m.subscription_id in blocked,
            )
            for m in memberships
        ]
    # sorted() is stable: within each group the client-name order stays.
    return sorted(rows, key=lambda row: not row.only_sysadmin)


def _refusals(*, actor: Consultant, consultant: Consultant, rows: list[RemovedAccess]) -> list[str]:
    """Why the consultant cannot be ended now (empty: they can)."""
    name = consultant.user.full_name
    if consultant.pk == actor.pk:
        return [_("Du kan inte avsluta dig själv. Be en annan byråadministratör att göra det.")]
    if ConsultantOffboarding.objects.filter(consultant=consultant).exists():
        return [_("%(name)s är redan avslutad.") % {"name": name}]
    blockers = [row for row in rows if row.only_sysadmin]
    if blockers:
        clients = ", ".join(
            _("%(client)s (abonnemang %(number)s)")
            % {"client": row.client, "number": row.subscription_number}
            for row in blockers
        )
        return [
            _(
                "%(name)s är den enda systemadministratören hos %(clients)s. Gör någon annan "
                "till systemadministratör där innan du avslutar konsulten."
            )
            % {"name": name, "clients": clients}
        ]
    return []


def _require_same_firm(*, actor: Consultant, consultant: Consultant) -> None:
    require_firm_admin(actor=actor)
    if consultant.firm_id != actor.firm_id:
        raise PermissionDenied(_("Konsulten hör inte till din byrå."))


def offboarding_preview(*, actor: Consultant, consultant: Consultant) -> OffboardingPreview:
    """What "Avsluta konsult" would remove, and why it cannot be done yet."""
    _require_same_firm(actor=actor, consultant=consultant)
    rows = _rows(_memberships(consultant))
    return OffboardingPreview(
        consultant=consultant,
        rows=rows,
        assignment_count=ClientAssignment.objects.filter(consultant=consultant).count(),
        refusals=_refusals(actor=actor, consultant=consultant, rows=rows),
    )


@transaction.atomic
def consultant_offboard(*, actor: Consultant, consultant: Consultant) -> ConsultantOffboarding:
    """End the consultant: out of every subscription (their levels go with the
    membership, freeing the licence seats), no client-manager seat, no client
    assignments, inactive, logged out, no open invitation; all or nothing.
    Raises ValidationError with the Swedish reason when refused."""
    _require_same_firm(actor=actor, consultant=consultant)
    # The firm lock serialises this with seat changes and with offboarding a
    # colleague; the subscription locks (the same ones every membership change
    # in clients.services takes) make the only-sysadmin check hold until commit.
    Firm.objects.select_for_update().filter(pk=actor.firm_id).values_list("pk").get()
    consultant = Consultant.objects.select_related("user", "firm").get(pk=consultant.pk)
    memberships = _memberships(consultant)
    list(
        Subscription.objects.select_for_update()
        .filter(pk__in={m.subscription_id for m in memberships})
        .order_by("pk")
        .values_list("pk")
    )
    rows = _rows(memberships)
    refusals = _refusals(actor=actor, consultant=consultant, rows=rows)
    if refusals:
        raise ValidationError(refusals, code="offboarding_refused")

    Membership.objects.filter(pk__in=[row.membership_id for row in rows]).delete()
    ClientAssignment.objects.filter(consultant=consultant).delete()
    consultant.is_active = False
    consultant.has_client_manager_seat = False
    consultant.save(update_fields=["is_active", "has_client_manager_seat"])
    # Out of every session, and the firm's open invitation link goes; password
    # reset links die with the sessions (firm_portal/tokens.py). Without another
    # role the login is refused from now on (firm_portal.offers_only.account_ended_by).
    consultant.user.end_all_sessions()
    Invitation.objects.filter(
        user_id=consultant.user_id, firm_id=consultant.firm_id, accepted_at__isnull=True
    ).delete()
    # The firm's unanswered asks go too: ending withdraws them (another
    # firm's offers stay, and may be answered: firm_portal/offers_only.py).
    JoinOffer.objects.filter(
        user_id=consultant.user_id, firm_id=consultant.firm_id, status=JoinOffer.Status.PENDING
    ).delete()
    _ledger_record_offboarding(
        actor=actor, consultant=consultant, memberships=memberships, removed=len(rows)
    )
    return ConsultantOffboarding.objects.create(
        consultant=consultant,
        performed_by=actor.user,
        report=[row.as_report_row() for row in rows],
    )


def _ledger_record_offboarding(
    *, actor: Consultant, consultant: Consultant, memberships: list[Membership], removed: int
) -> None:
    """Each subscription left, and the end itself, in the access ledger."""
    for membership in memberships:
        ledger_record(
            kind=Kind.MEMBER_REMOVED,
            actor=actor.user,
            firm=consultant.firm_id,
            subscription=membership.subscription_id,
            subject=consultant.user_id,
            before={"is_sysadmin": membership.is_sysadmin},
            detail=_("Avsluta konsult"),
        )
    ledger_record(
        kind=Kind.CONSULTANT_ENDED,
        actor=actor.user,
        firm=consultant.firm_id,
        subject=consultant.user_id,
        after={"subscriptions_removed": removed},
    )


def offboarding_for(*, consultant: Consultant) -> ConsultantOffboarding | None:
    """The stored report, if the consultant has been ended with "Avsluta konsult"."""
    return (
        ConsultantOffboarding.objects.filter(consultant=consultant)
        .select_related("performed_by")
        .first()
    )
