"""`manage.py seed_national` at a tiny scale: the counts the scale asks for,
consistent rows, and the same world twice (issue 18)."""

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from clients.models import Client, Membership, ProgramLevel, Subscription, SubscriptionLicense
from collaboration.models import CollaborationRequest, Coupling
from firm_portal.management.national.scale import NationalScale
from firm_portal.management.national.world import BULK_MODELS
from firm_portal.models import Consultant, Firm, User
from ledger.models import AccessEvent
from licensing.models import SubscriptionBilling
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db
SCALE = 0.0002


class Rollback(Exception):
    pass


def seed() -> str:
    call_command("seed_national", scale=SCALE, today="2026-12-01", stdout=StringIO())
    return fingerprint()


def fingerprint() -> str:
    """The world by natural keys (ids depend on what the database held before)."""
    levels = ProgramLevel.objects.order_by(
        "membership__subscription__number", "membership__user__email", "program"
    )
    parts = [
        list(Firm.objects.order_by("org_number").values_list("org_number", "name")),
        list(
            Subscription.objects.order_by("number").values_list(
                "number", "plan", "client__org_number"
            )
        ),
        list(
            Membership.objects.order_by("subscription__number", "user__email").values_list(
                "subscription__number", "user__email", "is_sysadmin"
            )
        ),
        list(levels.values_list("membership__user__email", "program__code", "level")),
        list(
            AccessEvent.objects.order_by("occurred_at", "kind").values_list(
                "kind", "occurred_at", "before"
            )
        ),
        list(
            OutboxMessage.objects.order_by("created_at").values_list(
                "template", "subject", "idempotency_key"
            )
        ),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def indexes() -> set[tuple]:
    """Every index of the tables written in bulk: its name, columns, whether
    unique and partial, and its constraint if any. (Not the definition's
    text: PostgreSQL prints a rebuilt partial index's condition a little
    differently, the same condition.)"""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, x.indkey::text, x.indisunique, x.indpred IS NOT NULL,
                   x.indisvalid, c.conname
            FROM pg_index AS x
            JOIN pg_class AS i ON i.oid = x.indexrelid
            LEFT JOIN pg_constraint AS c ON c.conindid = x.indexrelid
            WHERE x.indrelid::regclass::text = ANY(%s)
            """,
            [[model._meta.db_table for model in BULK_MODELS]],
        )
        return set(cursor.fetchall())


@pytest.mark.django_db(transaction=True)  # its lock, really (tests/lock_coverage.py)
def test_the_tiny_national_world_has_the_scaled_counts_and_is_consistent() -> None:
    before = indexes()
    seed()

    # Written in bulk-load mode, the tables have their indexes back.
    assert indexes() == before
    scale = NationalScale(SCALE)

    assert Firm.objects.count() == scale.firms
    assert Client.objects.count() == scale.clients
    assert Subscription.objects.count() == scale.subscriptions
    assert AccessEvent.objects.count() == scale.ledger_events
    assert OutboxMessage.objects.count() == scale.outbox_messages
    assert CollaborationRequest.objects.filter(status="pending").count() == scale.pending_requests
    assert Membership.objects.count() <= scale.memberships
    assert Membership.objects.filter(is_sysadmin=True).count() == scale.subscriptions
    # The big firm has its consultants and its clients' subscriptions.
    big = Firm.objects.get(name="Riksbyrån AB")
    assert Consultant.objects.filter(firm=big).count() == scale.big_firm_consultants
    assert Coupling.objects.filter(firm=big).count() == scale.big_firm_clients
    # Consultants are members only where their firm is coupled, with its user.
    for member in Membership.objects.filter(consultant__isnull=False).select_related("consultant"):
        assert member.user_id == member.consultant.user_id
        assert Coupling.objects.filter(
            firm_id=member.consultant.firm_id, subscription_id=member.subscription_id
        ).exists()
    # Every member has a level for each licensed program of the subscription.
    licensed = SubscriptionLicense.objects.count()
    assert ProgramLevel.objects.count() >= licensed
    assert SubscriptionBilling.objects.filter(consolidated=True, firm=big).exists()
    # Outbox bodies past the retention period are already purged.
    assert (
        not OutboxMessage.objects.filter(body_purged_at__isnull=False)
        .exclude(body_text="")
        .exists()
    )
    assert OutboxMessage.objects.filter(body_purged_at__isnull=True).exclude(body_text="").exists()
    assert User.objects.filter(email__endswith="@national.bench").count() == (
        Consultant.objects.count() + scale.subscriptions
    )
    # The ledger (written without triggers) points at rows that exist: a
    # consultant of the firm, on a subscription coupled to it.
    coupled = Coupling.objects.filter(
        subscription_id=OuterRef("subscription_id"), firm_id=OuterRef("firm_id")
    )
    consultant = Consultant.objects.filter(
        user_id=OuterRef("actor_id"), firm_id=OuterRef("firm_id")
    )
    assert AccessEvent.objects.filter(Exists(coupled), Exists(consultant)).count() == (
        scale.ledger_events
    )


def test_the_same_day_and_seed_give_the_same_world() -> None:
    with transaction.atomic():
        first = seed()
        transaction.set_rollback(True)
    assert not Client.objects.exists()

    assert seed() == first


def test_a_database_with_clients_is_refused() -> None:
    Client.objects.create(name="Redan Här AB", org_number="556677-8899")
    with pytest.raises(CommandError, match="already has clients"):
        call_command("seed_national", scale=SCALE, stdout=StringIO())
