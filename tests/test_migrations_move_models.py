"""Models that change app keep their tables and rows (issue 15, "Layers").

Each test migrates back to the schema of main before the move, writes rows
through the historical models, migrates forward and reads the same rows
through today's models."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from clients.models import ClientAssignment, Invitation, JoinOffer
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
