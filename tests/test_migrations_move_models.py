"""Models that change app keep their tables and rows (issue 15, "Layers").

Each test migrates back to the schema of main before the move, writes rows
through the historical models, migrates forward and reads the same rows
through today's models."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from clients.models import ClientAssignment, Invitation, JoinOffer
from ledger.models import AccessEvent, DeniedAttempt
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())


def test_invitations_join_offers_and_assignments_keep_their_rows_in_clients():
    user = factories.UserFactory()
    consultant = factories.ConsultantFactory()
    subscription = factories.SubscriptionFactory()
    before = [
        ("firm_portal", "0011_join_offer_as_sysadmin"),
        ("clients", "0007_counter_swedish_names"),
    ]
    try:
        old = migrate(before).loader.project_state(before).apps
        now = timezone.now()
        invitation = old.get_model("firm_portal", "Invitation").objects.create(
            user_id=user.pk,
            invited_by_id=consultant.user_id,
            subscription_id=subscription.pk,
            nonce="n",
            sent_at=now,
            expires_at=now,
        )
        offer = old.get_model("firm_portal", "JoinOffer").objects.create(
            user_id=user.pk,
            kind="client_user",
            firm_id=consultant.firm_id,
            subscription_id=subscription.pk,
            invited_by_id=consultant.user_id,
            sent_at=now,
        )
        assignment = old.get_model("firm_portal", "ClientAssignment").objects.create(
            consultant_id=consultant.pk, subscription_id=subscription.pk
        )
    finally:
        migrate_to_latest()

    assert Invitation.objects.get(pk=invitation.pk).subscription == subscription
    assert JoinOffer.objects.get(pk=offer.pk).status == JoinOffer.Status.PENDING
    assert list(subscription.join_offers.all()) == [JoinOffer.objects.get(pk=offer.pk)]
    assert ClientAssignment.objects.get(pk=assignment.pk).consultant == consultant
    assert list(consultant.assignments.values_list("pk", flat=True)) == [assignment.pk]


def foreign_keys(table: str) -> set[str]:
    """The columns of `table` with a foreign-key constraint."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {column for c in constraints.values() if c["foreign_key"] for column in c["columns"]}


def indexed(table: str) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {c["columns"][0] for c in constraints.values() if c["index"] and len(c["columns"]) == 1}


def test_the_access_ledger_keeps_its_rows_in_ledger_and_drops_only_its_foreign_keys():
    consultant = factories.ConsultantFactory()
    subscription = factories.SubscriptionFactory()
    before = [("collaboration", "0016_manual_coupling_scanned_form_private")]
    try:
        old = migrate(before).loader.project_state(before).apps
        event = old.get_model("collaboration", "AccessEvent").objects.create(
            kind="access_denied",
            actor_id=consultant.user_id,
            firm_id=consultant.firm_id,
            subscription_id=subscription.pk,
            subject_id=consultant.user_id,
            detail="Före flytten",
        )
        attempt = old.get_model("collaboration", "DeniedAttempt").objects.create(
            actor_id=consultant.user_id,
            subscription_id=subscription.pk,
            window_start=timezone.now(),
            last_at=timezone.now(),
            event_id=event.pk,
        )
        assert {"actor_id", "firm_id", "subscription_id", "subject_id"} <= foreign_keys(
            "collaboration_accessevent"
        )
    finally:
        migrate_to_latest()

    moved = AccessEvent.objects.get(pk=event.pk)
    assert (moved.actor_id, moved.firm_id, moved.subscription_id, moved.subject_id) == (
        consultant.user_id,
        consultant.firm_id,
        subscription.pk,
        consultant.user_id,
    )
    assert moved.detail == "Före flytten"
    assert DeniedAttempt.objects.get(pk=attempt.pk).event == moved
    # Only the references' constraints went; their indexes and the
    # denied attempt's link to its event stay.
    assert foreign_keys("collaboration_accessevent") == set()
    assert foreign_keys("collaboration_deniedattempt") == {"event_id"}
    assert {"actor_id", "firm_id", "subscription_id", "subject_id"} <= indexed(
        "collaboration_accessevent"
    )
    # Still append-only in the database.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM collaboration_accessevent WHERE id = %s", [event.pk])
