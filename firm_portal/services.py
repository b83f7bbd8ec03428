"""Writes for the firm's own people (Flow 3): consultant accounts' seat and
role flags, and the checks other apps' firm writes share (firm admin,
program admin, the firm's row lock, seats in use). What changes another
app's rows lives with that app: "Lägg till licenser" in licensing/services.py,
"Lägg till användare" in clients/invitations/consultant_services.py, client
assignments in collaboration/assignments/services.py, "Lägg till konsult" and
`assignment_ensure` in clients/services.py."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from firm_portal.models import Consultant, Firm
from ledger.services import Kind, ledger_record


def require_firm_admin(*, actor: Consultant) -> None:
    if not actor.is_firm_admin:
        raise PermissionDenied(_("Bara byråns administratörer kan göra det."))


def require_assignment_admin(*, actor: Consultant) -> None:
    if not actor.sees_all_clients:
        raise PermissionDenied(_("Bara programadministratörer kan tilldela klienter."))


def lock_firm(firm_id: int) -> Firm:
    return Firm.objects.select_for_update().get(pk=firm_id)


def seats_used(*, firm_id: int) -> int:
    return Consultant.objects.filter(
        firm_id=firm_id, is_active=True, has_client_manager_seat=True
    ).count()


@transaction.atomic
def consultant_set_seat(*, actor: Consultant, consultant: Consultant, has_seat: bool) -> Consultant:
    """Assign or withdraw a client-manager seat."""
    require_firm_admin(actor=actor)
    firm = lock_firm(actor.firm_id)
    consultant.refresh_from_db(fields=["has_client_manager_seat", "is_active"])
    if consultant.has_client_manager_seat == has_seat:
        return consultant
    if has_seat:
        if not consultant.is_active:
            raise ValidationError(_("Konsulten är avslutad."), code="inactive")
        if seats_used(firm_id=firm.pk) >= firm.client_manager_seats:
            raise ValidationError(
                ngettext(
                    "Byråns %(seats)s licens för Klienthanteraren används. Lägg till licenser "
                    "först.",
                    "Alla %(seats)s licenser för Klienthanteraren används. Lägg till licenser "
                    "först.",
                    firm.client_manager_seats,
                )
                % {"seats": firm.client_manager_seats},
                code="no_free_seat",
            )
    consultant.has_client_manager_seat = has_seat
    consultant.save(update_fields=["has_client_manager_seat"])
    ledger_record(
        kind=Kind.SEAT_ASSIGNED,
        actor=actor.user,
        firm=actor.firm_id,
        subject=consultant.user_id,
        before={"has_seat": not has_seat},
        after={"has_seat": has_seat},
    )
    return consultant


@transaction.atomic
def consultant_set_roles(
    *,
    actor: Consultant,
    consultant: Consultant,
    is_firm_admin: bool,
    is_client_manager_admin: bool,
) -> Consultant:
    """Firm-admin and program-admin flags; the last firm admin stays."""
    require_firm_admin(actor=actor)
    lock_firm(actor.firm_id)
    consultant.refresh_from_db(fields=["is_firm_admin", "is_client_manager_admin"])
    if consultant.is_firm_admin and not is_firm_admin:
        others = (
            Consultant.objects.filter(firm_id=actor.firm_id, is_active=True, is_firm_admin=True)
            .exclude(pk=consultant.pk)
            .exists()
        )
        if not others:
            raise ValidationError(
                _(
                    "%(name)s är byråns enda administratör. Gör någon annan till "
                    "administratör först."
                )
                % {"name": consultant.user.full_name},
                code="last_firm_admin",
            )
    before = {
        "is_firm_admin": consultant.is_firm_admin,
        "is_client_manager_admin": consultant.is_client_manager_admin,
    }
    after = {"is_firm_admin": is_firm_admin, "is_client_manager_admin": is_client_manager_admin}
    if before == after:
        return consultant
    consultant.is_firm_admin = is_firm_admin
    consultant.is_client_manager_admin = is_client_manager_admin
    consultant.save(update_fields=["is_firm_admin", "is_client_manager_admin"])
    ledger_record(
        kind=Kind.ROLE_CHANGED,
        actor=actor.user,
        firm=actor.firm_id,
        subject=consultant.user_id,
        before=before,
        after=after,
    )
    return consultant
