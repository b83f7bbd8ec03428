"""The outbox as the database sees it, read when /metrics is scraped: the
backlog and the age of its oldest message (README, "Runbook")."""

import logging
from collections.abc import Iterator

from django.db import DatabaseError
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from notifications.selectors import outbox_backlog

logger = logging.getLogger(__name__)


class OutboxBacklogCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        try:
            backlog = outbox_backlog()
        except DatabaseError as error:
            # The rest of the scrape still answers; /readyz names the database.
            logger.warning("Outbox metrics left out: database error (%s)", type(error).__name__)
            return
        oldest = backlog.oldest_created_at
        yield GaugeMetricFamily(
            "byraportalen_outbox_backlog_messages",
            "Messages not sent yet (waiting, being sent or waiting for a retry).",
            value=backlog.unsent,
        )
        yield GaugeMetricFamily(
            "byraportalen_outbox_oldest_unsent_age_seconds",
            "Age of the oldest message not sent yet (0 when none).",
            value=(timezone.now() - oldest).total_seconds() if oldest else 0,
        )
