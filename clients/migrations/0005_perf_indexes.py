# Indexes for "Hantera klienter" at firm scale (issue 7): the list is sorted
# by client name, searched by a fragment of the name (pg_trgm, as Django's
# icontains compares UPPER(name)), by the start of an organisationsnummer
# and by abonnemangsnummer (already unique), and filtered on subscriptions
# without client users. The pg_trgm and pattern indexes are PostgreSQL only;
# on SQLite (`make run`) they are skipped.

from django.conf import settings
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that does nothing on other databases."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0004_membership_ends_on_membership_suspended_at"),
        ("firm_portal", "0005_user_personal_number"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        TrigramExtension(),
        PostgresOnlySQL(
            "CREATE INDEX client_name_trgm_idx ON clients_client "
            "USING gin (UPPER(name) gin_trgm_ops)",
            "DROP INDEX client_name_trgm_idx",
        ),
        PostgresOnlySQL(
            "CREATE INDEX client_org_number_prefix_idx ON clients_client "
            "(org_number varchar_pattern_ops)",
            "DROP INDEX client_org_number_prefix_idx",
        ),
        migrations.AddIndex(
            model_name="client",
            index=models.Index(fields=["name"], name="client_name_idx"),
        ),
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(
                condition=models.Q(("consultant__isnull", True)),
                fields=["subscription"],
                name="membership_client_user_idx",
            ),
        ),
    ]
