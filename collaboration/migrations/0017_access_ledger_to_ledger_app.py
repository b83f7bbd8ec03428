"""The access ledger (AccessEvent, DeniedAttempt) moves to the app `ledger`
(ledger 0001).

In the database: only the foreign-key constraints of the references go (who
did it, to whom, which firm and subscription): the ledger sits below every
app and points at none of them, so its references are plain ids. Columns,
their indexes, the rows, the unique window constraint, the one-to-one from a
denied attempt to its event and the append-only trigger all stay. The tables
keep their names (collaboration_accessevent, collaboration_deniedattempt).

In the state: the models leave collaboration."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _loose(to, **kwargs):
    """The same foreign key without its database constraint."""
    return models.ForeignKey(
        blank=True,
        null=True,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to=to,
        db_constraint=False,
        **kwargs,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("collaboration", "0016_manual_coupling_scanned_form_private"),
        ("clients", "0008_invitations_and_assignments_from_firm_portal"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="accessevent",
            name="actor",
            field=_loose(settings.AUTH_USER_MODEL, verbose_name="utförd av"),
        ),
        migrations.AlterField(
            model_name="accessevent", name="firm", field=_loose("firm_portal.firm")
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="subject",
            field=_loose(settings.AUTH_USER_MODEL, verbose_name="gäller"),
        ),
        migrations.AlterField(
            model_name="accessevent", name="subscription", field=_loose("clients.subscription")
        ),
        migrations.AlterField(
            model_name="deniedattempt",
            name="actor",
            field=_loose(settings.AUTH_USER_MODEL, verbose_name="utförd av"),
        ),
        migrations.AlterField(
            model_name="deniedattempt",
            name="subscription",
            field=_loose("clients.subscription", verbose_name="abonnemang"),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="DeniedAttempt"),
                migrations.DeleteModel(name="AccessEvent"),
            ],
        ),
    ]
