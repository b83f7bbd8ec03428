"""Reads of the outbox for the operators (metrics, readiness)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min

from notifications.models import OutboxMessage


@dataclass(frozen=True)
class OutboxBacklog:
    unsent: int
    oldest_created_at: datetime | None


def outbox_backlog() -> OutboxBacklog:
    """Messages not sent yet (waiting, being sent, or waiting for a retry)
    and when the oldest of them was written. One query on the partial index
    of unsent messages (outbox_unsent_idx), however large the outbox."""
    row = OutboxMessage.objects.filter(
        status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING]
    ).aggregate(unsent=Count("*"), oldest=Min("created_at"))
    return OutboxBacklog(unsent=row["unsent"], oldest_created_at=row["oldest"])
