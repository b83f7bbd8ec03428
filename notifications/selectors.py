"""Reads of the outbox: for the operators (metrics, readiness), and which
addresses bounced (reminders, collaboration/reminders/)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Min
from django.db.models.functions import Lower

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


def addresses_bounced(*, addresses: Iterable[str], since: datetime) -> dict[str, datetime]:
    """Of `addresses`, those that had an e-mail refused for good at or after
    `since`, in lower case (addresses compare without case), each with its
    latest such refusal (`bounced_at`)."""
    wanted = {address.lower() for address in addresses if address}
    if not wanted:
        return {}
    return dict(
        OutboxMessage.objects.annotate(address=Lower("recipient"))
        .filter(channel=OutboxMessage.Channel.EMAIL, bounced_at__gte=since, address__in=wanted)
        .values("address")
        .annotate(latest=Max("bounced_at"))
        .values_list("address", "latest")
    )
