""" "Byte av byrå" (flow 7) against everything else that may happen to the
subscription at the same moment, each on its own database connection: one
clear outcome, a Swedish message for the loser, nothing half-done."""

import threading
from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection

from clients.models import Membership
from collaboration.changes.services import CollaborationEndRefused, Side, collaboration_end
from collaboration.firm_change import perform, services
from collaboration.models import Coupling, FirmChange
from collaboration.requests.services import CollaborationError, collaboration_request_approve
from ledger.models import AccessEvent
from tests import factories
from tests.collaboration.firm_change_fixtures import old_firm_coupled, send
from tests.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)

FIRST = date(2099, 3, 1)


def at_once(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads released together; each result is the
    return value or the exception raised."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # the outcome under test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_firms_asking_at_once_give_one_change(world: World) -> None:
    old_firm_coupled(world)
    other = world.other_firm_consultant

    results = at_once(
        lambda: send(world),
        lambda: services.firm_change_send(
            consultant=other, subscription=world.subscription, responsible=other, starts_on=None
        ),
    )

    assert FirmChange.objects.count() == 1
    errors = [r for r in results if isinstance(r, CollaborationError)]
    assert [e.message for e in errors] == [
        "Ett byte av byrå för Bageriet Solsidan AB är redan på gång. Ett nytt byte kan begäras "
        "när det är genomfört eller avbrutet."
    ]
    assert AccessEvent.objects.filter(kind=AccessEvent.Kind.REQUEST_SENT).count() == 1


def test_the_date_and_the_old_firm_ending_at_once_end_it_once(world: World) -> None:
    old = old_firm_coupled(world)
    change = send(world, FIRST)
    services.firm_change_approve(
        user=world.sysadmin, subscription=world.subscription, change_id=change.pk
    )

    results = at_once(
        lambda: perform.firm_changes_perform_due(today=FIRST),
        lambda: collaboration_end(
            actor=old.old_admin.user, coupling=old.old_coupling, side=Side.FIRM
        ),
    )

    change.refresh_from_db()
    assert change.status == FirmChange.Status.DONE
    assert results[0] == 1
    # Either the old firm ended first (then the change found it ended) or
    # the change did (then the old firm is told it is already over).
    if isinstance(results[1], CollaborationEndRefused):
        assert results[1].messages == ["Samarbetet med Gamla Byrån AB är redan avslutat."]
    else:
        assert isinstance(results[1], Coupling)
    assert AccessEvent.objects.filter(kind=AccessEvent.Kind.COUPLING_ENDED).count() == 1
    assert Coupling.objects.get(pk=old.old_coupling.pk).status == Coupling.Status.ENDED
    assert not Membership.objects.filter(consultant__firm=old.old_firm).exists()
    assert Coupling.objects.active().filter(firm=world.firm).count() == 1


def test_the_date_and_a_dubbelsammankoppling_approved_at_once_give_one_coupling(
    world: World,
) -> None:
    old_firm_coupled(world)
    change = send(world, FIRST)
    services.firm_change_approve(
        user=world.sysadmin, subscription=world.subscription, change_id=change.pk
    )
    # The same firm's ordinary request, sent before the change was asked for.
    request = factories.CollaborationRequestFactory(
        firm=world.firm, subscription=world.subscription, responsible_consultant=world.consultant
    )

    results = at_once(
        lambda: perform.firm_changes_perform_due(today=FIRST),
        lambda: collaboration_request_approve(
            user=world.sysadmin, subscription=world.subscription, request_id=request.pk
        ),
    )

    assert Coupling.objects.live().filter(firm=world.firm).count() == 1
    change.refresh_from_db()
    assert change.status == FirmChange.Status.DONE
    assert change.new_coupling == Coupling.objects.live().get(firm=world.firm)
    if isinstance(results[1], CollaborationError):
        assert results[1].message == "Revisorerna Norr AB är redan sammankopplad med abonnemanget."
    assert Membership.objects.filter(user=world.consultant.user).count() == 1


def test_two_runs_of_the_beat_task_perform_once(world: World) -> None:
    old_firm_coupled(world)
    change = send(world, FIRST)
    services.firm_change_approve(
        user=world.sysadmin, subscription=world.subscription, change_id=change.pk
    )

    results = at_once(
        lambda: perform.firm_changes_perform_due(today=FIRST),
        lambda: perform.firm_changes_perform_due(today=FIRST),
    )

    assert sorted(results) == [0, 1]  # type: ignore[type-var]
    assert Coupling.objects.filter(firm=world.firm).count() == 1
    assert AccessEvent.objects.filter(kind=AccessEvent.Kind.COUPLING_ACTIVATED).count() == 1


def test_approving_and_cancelling_at_once(world: World) -> None:
    old_firm_coupled(world)
    change = send(world)

    results = at_once(
        lambda: services.firm_change_approve(
            user=world.sysadmin, subscription=world.subscription, change_id=change.pk
        ),
        lambda: services.firm_change_cancel(
            user=world.consultant.user,
            subscription=world.subscription,
            change_id=change.pk,
            by_new_firm=True,
        ),
    )

    change.refresh_from_db()
    errors = [r for r in results if isinstance(r, CollaborationError)]
    assert len(errors) == 1
    if change.status == FirmChange.Status.DONE:
        assert errors[0].message == "Bytet av byrå kan inte längre avbrytas (genomfört)."
        assert Coupling.objects.active().filter(firm=world.firm).exists()
    else:
        assert change.status == FirmChange.Status.CANCELLED
        assert errors[0].message == "Bytet av byrå väntar inte längre på svar (avbrutet)."
        assert not Coupling.objects.filter(firm=world.firm).exists()


def test_two_expiry_runs_at_once_expire_once(world: World) -> None:
    old_firm_coupled(world)
    change = send(world, FIRST)
    FirmChange.objects.filter(pk=change.pk).update(expires_at=change.created_at)

    results = at_once(services.firm_changes_expire, services.firm_changes_expire)

    assert sorted(results) == [0, 1]  # type: ignore[type-var]
    assert AccessEvent.objects.filter(kind=AccessEvent.Kind.REQUEST_EXPIRED).count() == 1
