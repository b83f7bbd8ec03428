"""Services of "Byte av byrå" (flow 7): asking, deciding, cancelling,
expiring, and the date's one transaction."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clients.models import ClientAssignment, Membership
from collaboration import tasks
from collaboration.changes.services import Side, collaboration_end
from collaboration.firm_change import perform, selectors, services
from collaboration.models import Coupling, FirmChange
from collaboration.requests.services import CollaborationError
from ledger.models import AccessEvent
from notifications.models import OutboxMessage
from tests import factories
from tests.collaboration.firm_change_fixtures import Change, old_firm_coupled, send
from tests.conftest import World

pytestmark = pytest.mark.django_db
Kind = AccessEvent.Kind

FIRST = date(2099, 3, 1)


@pytest.fixture
def old(world: World) -> Change:
    return old_firm_coupled(world)


def mails(template: str) -> list[str]:
    return sorted(
        OutboxMessage.objects.filter(template=template).values_list("recipient", flat=True)
    )


def new_firm_people(world: World) -> list[str]:
    """The asking firm's admin and its requester (here also responsible)."""
    return sorted([world.firm_admin.user.email, world.consultant.user.email])


def case_events(change: FirmChange) -> list[str]:
    return list(
        AccessEvent.objects.filter(after__firm_change=change.pk)
        .order_by("pk")
        .values_list("kind", flat=True)
    )


# --- Asking ----------------------------------------------------------------------------


def test_the_request_goes_to_the_clients_own_sysadmins(world: World, old: Change) -> None:
    change = send(world, FIRST)

    assert (change.status, change.old_firm, change.old_coupling) == (
        FirmChange.Status.PENDING,
        old.old_firm,
        old.old_coupling,
    )
    assert not change.decided_by_old_firm
    # Lisa (the client's sysadmin) decides; Greta (the old firm's) is not asked.
    assert mails("firm-change-request") == [world.sysadmin.email]
    assert case_events(change) == [Kind.REQUEST_SENT]
    subject = OutboxMessage.objects.get(template="firm-change-request").subject
    assert subject == "Revisorerna Norr AB vill ta över som byrå för Bageriet Solsidan AB"


def test_without_own_sysadmin_the_old_firms_sysadmin_is_asked(world: World, old: Change) -> None:
    Membership.objects.filter(pk=world.sysadmin_membership.pk).update(is_sysadmin=False)

    assert "Kunden har ingen egen systemadministratör" in selectors.no_own_sysadmin_message(
        subscription=world.subscription
    )
    change = send(world)

    assert change.decided_by_old_firm
    assert mails("firm-change-request") == [old.greta.user.email]


def test_a_subscription_without_another_firm_is_refused(world: World) -> None:
    with pytest.raises(CollaborationError) as error:
        send(world)
    assert error.value.message == (
        "Abonnemanget är inte sammankopplat med någon annan byrå just nu. Välj "
        "Sammankoppling med befintligt abonnemang."
    )
    assert not FirmChange.objects.exists()


def test_two_other_firms_are_refused(world: World, old: Change) -> None:
    factories.CouplingFactory(subscription=world.subscription)
    with pytest.raises(CollaborationError) as error:
        send(world)
    assert error.value.message.startswith("Abonnemanget är sammankopplat med flera byråer.")


def test_a_second_firm_asking_is_told_a_change_is_under_way(world: World, old: Change) -> None:
    send(world)
    other = world.other_firm_consultant
    with pytest.raises(CollaborationError) as error:
        services.firm_change_send(
            consultant=other, subscription=world.subscription, responsible=other, starts_on=None
        )
    assert error.value.message == (
        "Ett byte av byrå för Bageriet Solsidan AB är redan på gång. Ett nytt byte kan begäras "
        "när det är genomfört eller avbrutet."
    )
    with pytest.raises(CollaborationError) as error:
        send(world)
    assert error.value.message == "Er byrå har redan begärt byte av byrå för Bageriet Solsidan AB."
    assert FirmChange.objects.count() == 1


def test_a_responsible_consultant_of_another_firm_is_refused(world: World, old: Change) -> None:
    with pytest.raises(ValidationError) as error:
        services.firm_change_send(
            consultant=world.consultant,
            subscription=world.subscription,
            responsible=world.other_firm_consultant,
            starts_on=None,
        )
    assert error.value.messages == ["Välj en ansvarig konsult från din byrå."]


def test_a_firm_already_coupled_cannot_ask(world: World, old: Change) -> None:
    factories.CouplingFactory(firm=world.firm, subscription=world.subscription)
    with pytest.raises(CollaborationError) as error:
        send(world)
    assert error.value.message == (
        "Er byrå är redan sammankopplad med Bageriet Solsidan AB (abonnemang "
        f"{world.subscription.number})."
    )


# --- What the approver sees --------------------------------------------------------------


def test_the_preview_names_who_loses_what_and_who_stays_sysadmin(world: World, old: Change) -> None:
    preview = selectors.firm_change_preview(change=send(world, FIRST))

    assert preview.day == FIRST
    assert [(p.name, p.levels, p.is_sysadmin) for p in preview.leaving] == [
        ("Greta Gammal", [("Bokföring", "Attestansvarig")], True),
        ("Gustav Gammal", [("Bokföring", "Läs")], False),
    ]
    assert preview.sysadmins_after == ["Lisa Sysadmin"]
    assert not preview.responsible_becomes_sysadmin
    assert preview.unused_after == {"Bokföring": 3}
    assert preview.billing_from == FIRST
    assert preview.old_firm_last_month == date(2099, 2, 1)
    assert preview.client_pays and not preview.old_firm_pays


def test_without_other_sysadmins_the_responsible_consultant_becomes_one(
    world: World, old: Change
) -> None:
    Membership.objects.filter(pk=world.sysadmin_membership.pk).update(is_sysadmin=False)
    preview = selectors.firm_change_preview(change=send(world))
    assert preview.sysadmins_after == ["Erik Konsult"]
    assert preview.responsible_becomes_sysadmin


# --- Deciding and the date -------------------------------------------------------------


def test_approved_for_a_date_it_happens_on_that_date_once(world: World, old: Change) -> None:
    change = send(world, FIRST)

    services.firm_change_approve(
        user=world.sysadmin, subscription=world.subscription, change_id=change.pk
    )

    change.refresh_from_db()
    assert change.status == FirmChange.Status.APPROVED
    assert mails("firm-change-decided") == new_firm_people(world)
    assert mails("firm-change-scheduled") == [old.old_admin.user.email]
    scheduled = OutboxMessage.objects.get(template="firm-change-scheduled")
    assert "Ert samarbete avslutas 2099-03-01." in scheduled.body_text
    assert "Greta Gammal (systemadministratör), Gustav Gammal" in scheduled.body_text
    assert perform.firm_changes_perform_due(today=FIRST - timedelta(days=1)) == 0
    assert Coupling.objects.get(pk=old.old_coupling.pk).status == Coupling.Status.ACTIVE

    assert perform.firm_changes_perform_due(today=FIRST) == 1
    assert perform.firm_changes_perform_due(today=FIRST) == 0

    change.refresh_from_db()
    assert change.status == FirmChange.Status.DONE
    assert Coupling.objects.get(pk=old.old_coupling.pk).status == Coupling.Status.ENDED
    new = change.new_coupling
    assert (new.firm, new.status, new.starts_on) == (world.firm, Coupling.Status.ACTIVE, FIRST)
    members = Membership.objects.filter(subscription=world.subscription)
    assert sorted(members.values_list("user__full_name", "is_sysadmin")) == [
        ("Erik Konsult", False),
        ("Klas Klientanvändare", False),
        ("Lisa Sysadmin", True),
    ]
    assignments = ClientAssignment.objects.filter(subscription=world.subscription)
    assert list(assignments.values_list("consultant", flat=True)) == [world.consultant.pk]
    assert mails("firm-change-done") == sorted(
        [*new_firm_people(world), old.old_admin.user.email, world.sysadmin.email]
    )
    assert case_events(change) == [
        Kind.REQUEST_SENT,
        Kind.REQUEST_APPROVED,
        Kind.MEMBER_REMOVED,
        Kind.MEMBER_REMOVED,
        Kind.COUPLING_ENDED,
        Kind.COUPLING_ACTIVATED,
        Kind.MEMBER_ADDED,
    ]
    client_mail = OutboxMessage.objects.get(
        template="firm-change-done", recipient=world.sysadmin.email
    )
    assert f"/abonnemang/{world.subscription.number}/behorigheter/" in client_mail.body_text


def test_direct_on_approval_happens_at_once(world: World, old: Change) -> None:
    change = send(world)
    services.firm_change_approve(
        user=world.sysadmin, subscription=world.subscription, change_id=change.pk
    )
    change.refresh_from_db()
    assert change.status == FirmChange.Status.DONE
    assert change.done_at is not None


@pytest.mark.django_db(
    transaction=True
)  # its row lock under a real transaction (tests/lock_coverage.py)
def test_the_old_firm_decides_only_when_the_client_has_no_sysadmin(
    world: World, old: Change
) -> None:
    change = send(world)
    with pytest.raises(PermissionDenied):
        services.firm_change_refuse(
            user=old.greta.user, subscription=world.subscription, change_id=change.pk
        )
    assert FirmChange.objects.get().status == FirmChange.Status.PENDING


def test_the_old_firms_sysadmin_approves_and_the_responsible_becomes_sysadmin(
    world: World, old: Change
) -> None:
    Membership.objects.filter(pk=world.sysadmin_membership.pk).update(is_sysadmin=False)
    change = send(world)
    services.firm_change_approve(
        user=old.greta.user, subscription=world.subscription, change_id=change.pk
    )
    erik = Membership.objects.get(subscription=world.subscription, user=world.consultant.user)
    assert erik.is_sysadmin
    assert Membership.objects.sysadmins().filter(subscription=world.subscription).count() == 1


def test_refused_nothing_changes_and_the_firm_is_told(world: World, old: Change) -> None:
    change = send(world, FIRST)
    services.firm_change_refuse(
        user=world.sysadmin, subscription=world.subscription, change_id=change.pk
    )
    assert FirmChange.objects.get().status == FirmChange.Status.REFUSED
    assert mails("firm-change-decided") == new_firm_people(world)
    subjects = set(
        OutboxMessage.objects.filter(template="firm-change-decided").values_list(
            "subject", flat=True
        )
    )
    assert subjects == {"Bageriet Solsidan AB har avböjt bytet av byrå"}
    with pytest.raises(CollaborationError) as error:
        services.firm_change_approve(
            user=world.sysadmin, subscription=world.subscription, change_id=change.pk
        )
    assert error.value.message == "Bytet av byrå väntar inte längre på svar (avböjt)."


def test_the_new_firm_cancels_before_the_date(world: World, old: Change) -> None:
    change = send(world, FIRST)
    services.firm_change_cancel(
        user=world.consultant.user,
        subscription=world.subscription,
        change_id=change.pk,
        by_new_firm=True,
    )
    assert FirmChange.objects.get().status == FirmChange.Status.CANCELLED
    assert mails("firm-change-cancelled") == [world.sysadmin.email]
    assert perform.firm_changes_perform_due(today=FIRST) == 0


def test_the_client_cancels_an_approved_change_and_both_firms_are_told(
    world: World, old: Change
) -> None:
    change = send(world, FIRST)
    services.firm_change_approve(
        user=world.sysadmin, subscription=world.subscription, change_id=change.pk
    )
    services.firm_change_cancel(
        user=world.sysadmin, subscription=world.subscription, change_id=change.pk, by_new_firm=False
    )
    assert mails("firm-change-cancelled") == sorted(
        [*new_firm_people(world), old.old_admin.user.email]
    )
    with pytest.raises(CollaborationError) as error:
        services.firm_change_cancel(
            user=world.sysadmin,
            subscription=world.subscription,
            change_id=change.pk,
            by_new_firm=False,
        )
    assert error.value.message == "Bytet av byrå kan inte längre avbrytas (avbrutet)."
    assert perform.firm_changes_perform_due(today=FIRST) == 0
    assert Coupling.objects.get(pk=old.old_coupling.pk).status == Coupling.Status.ACTIVE


def test_unanswered_changes_expire_once(world: World, old: Change) -> None:
    change = send(world, FIRST)
    FirmChange.objects.filter(pk=change.pk).update(expires_at=timezone.now())
    assert services.firm_changes_expire() == 1
    assert services.firm_changes_expire() == 0
    assert FirmChange.objects.get().status == FirmChange.Status.EXPIRED
    assert mails("firm-change-expired") == [world.consultant.user.email]


# --- The others on the same subscription ------------------------------------------------


def test_the_old_firm_ending_first_does_not_stop_an_approved_change(
    world: World, old: Change
) -> None:
    """The old firm cannot block the change: its own "Avsluta samarbete" ends
    its part early; on the date the new firm takes over as agreed."""
    change = send(world, FIRST)
    services.firm_change_approve(
        user=world.sysadmin, subscription=world.subscription, change_id=change.pk
    )
    collaboration_end(actor=old.old_admin.user, coupling=old.old_coupling, side=Side.FIRM)

    assert perform.firm_changes_perform_due(today=FIRST) == 1

    change.refresh_from_db()
    assert change.status == FirmChange.Status.DONE
    assert change.new_coupling.status == Coupling.Status.ACTIVE
    assert AccessEvent.objects.filter(kind=Kind.COUPLING_ENDED).count() == 1
    assert Kind.COUPLING_ENDED not in case_events(change)


def test_a_dubbelsammankoppling_approved_meanwhile_is_the_coupling_kept(
    world: World, old: Change
) -> None:
    change = send(world, FIRST)
    services.firm_change_approve(
        user=world.sysadmin, subscription=world.subscription, change_id=change.pk
    )
    coupled = factories.CouplingFactory(
        firm=world.firm, subscription=world.subscription, status=Coupling.Status.SCHEDULED
    )

    perform.firm_changes_perform_due(today=FIRST)

    change.refresh_from_db()
    assert change.new_coupling == coupled
    assert Coupling.objects.live().filter(firm=world.firm).count() == 1
    coupled.refresh_from_db()
    assert coupled.status == Coupling.Status.ACTIVE


# --- Beat ---------------------------------------------------------------------------------


@pytest.mark.django_db(
    transaction=True
)  # its row lock under a real transaction (tests/lock_coverage.py)
def test_the_beat_tasks_are_scheduled_and_run_the_services(
    world: World, old: Change, settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "collaboration.perform_due_firm_changes",
        "collaboration.expire_stale_firm_changes",
    } <= (scheduled)
    change = send(world, FIRST)
    services.firm_change_approve(
        user=world.sysadmin, subscription=world.subscription, change_id=change.pk
    )
    monkeypatch.setattr(perform, "today_in_stockholm", lambda: FIRST)

    assert tasks.perform_due_firm_changes() == 1
    assert tasks.perform_due_firm_changes() == 0
    assert tasks.expire_stale_firm_changes() == 0
    assert FirmChange.objects.get().status == FirmChange.Status.DONE
