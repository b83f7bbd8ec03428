# Built with CREATE INDEX CONCURRENTLY, as 0005's (the reasons are there):
# the outbox takes every mail and SMS the running release queues.

from django.db import migrations, models
from django.db.models.functions import Lower

from notifications.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("notifications", "0006_outbox_bounce_and_reminders"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="outboxmessage",
            index=models.Index(
                Lower("recipient"),
                "bounced_at",
                condition=models.Q(("bounced_at__isnull", False)),
                name="outbox_bounced_idx",
            ),
        ),
    ]
