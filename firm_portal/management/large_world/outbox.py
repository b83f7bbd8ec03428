"""A hundred thousand outbox messages of the last half year."""

import random
import uuid
from datetime import timedelta

from django.db.models import Case, DateTimeField, F, Value, When
from django.db.models.functions import Mod

from firm_portal.management.large_world.names import (
    OUTBOX_TEMPLATES,
)
from firm_portal.management.large_world.specs import (
    batched_create,
)
from firm_portal.management.large_world.state import WorldState
from notifications.models import OutboxMessage


def create_outbox(world: WorldState) -> None:
    """Mostly sent, some waiting (a broker outage) and some failed for good."""
    recipients = [p.email for p in world.rng.sample(world.people, 2000)]
    client_names = [c.name for c in world.rng.sample(world.clients, 500)]
    firm_names = [f.name for f in world.firms]
    rows = [
        _message(world.rng, recipients, client_names, firm_names)
        for _ in range(world.scale.outbox_messages)
    ]
    batched_create(OutboxMessage, rows)
    _backdate(world, rows)
    world.summary.outbox_messages = len(rows)


def _message(
    rng: random.Random, recipients: list[str], client_names: list[str], firm_names: list[str]
) -> OutboxMessage:
    template, subject = rng.choice(OUTBOX_TEMPLATES)
    context = {"firm": rng.choice(firm_names), "client": rng.choice(client_names)}
    roll = rng.random()
    status = (
        OutboxMessage.Status.PENDING
        if roll < 0.025
        else OutboxMessage.Status.FAILED
        if roll < 0.04
        else OutboxMessage.Status.SENT
    )
    sms = rng.random() < 0.08
    text = (
        f"Hej!\n\n{subject.format(**context)}.\n\n"
        f"Logga in på Byråportalen för att se mer.\n\nVänliga hälsningar\n{context['firm']}"
    )
    return OutboxMessage(
        channel=OutboxMessage.Channel.SMS if sms else OutboxMessage.Channel.EMAIL,
        recipient=f"+4670{rng.randrange(10**7):07d}" if sms else rng.choice(recipients),
        template=template,
        subject="" if sms else subject.format(**context),
        body_text=text,
        body_html="" if sms else "<p>" + text.replace("\n\n", "</p><p>") + "</p>",
        status=status,
        idempotency_key=uuid.UUID(int=rng.getrandbits(128), version=4),
        attempts=0
        if status == OutboxMessage.Status.PENDING
        else (8 if status == OutboxMessage.Status.FAILED else 1),
        last_error="SMTP 550 mailbox unavailable" if status == OutboxMessage.Status.FAILED else "",
    )


def _backdate(world: WorldState, rows: list[OutboxMessage]) -> None:
    """created_at is auto_now_add: spread the history over half a year
    (waiting ones within the last hour), sent a few seconds after."""
    first, last = rows[0].pk, rows[-1].pk
    step = timedelta(days=180) / max(len(rows), 1)
    OutboxMessage.objects.filter(pk__range=(first, last)).update(
        created_at=Case(
            When(
                status=OutboxMessage.Status.PENDING,
                then=Value(world.now) - Mod(F("pk"), Value(3600)) * Value(timedelta(seconds=1)),
            ),
            default=Value(world.now) - (Value(last) - F("pk")) * Value(step),
            output_field=DateTimeField(),
        ),
    )
    OutboxMessage.objects.filter(pk__range=(first, last), status=OutboxMessage.Status.SENT).update(
        sent_at=F("created_at") + timedelta(seconds=3)
    )
