"""FirmCharge points at its manual coupling by id (issue 15, "Layers").

Billing (licensing) sits below collaboration, so it holds no foreign key to
collaboration.ManualCoupling. In the database only the foreign-key constraint
goes: the column manual_coupling_id, its unique constraint (a manual coupling
is charged at most once), the check that a manual-coupling charge names one,
and the rows all stay. In the state the one-to-one becomes a plain integer."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0009_invoice_total_checked_in_ore"),
        ("collaboration", "0016_manual_coupling_scanned_form_private"),
    ]

    operations = [
        migrations.AlterField(
            model_name="firmcharge",
            name="manual_coupling",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="charge",
                to="collaboration.manualcoupling",
                verbose_name="manuell koppling",
                db_constraint=False,
            ),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="firmcharge", name="firm_charge_manual_coupling_has_source"
                ),
                migrations.RemoveField(model_name="firmcharge", name="manual_coupling"),
                migrations.AddField(
                    model_name="firmcharge",
                    name="manual_coupling_id",
                    field=models.BigIntegerField(
                        blank=True, null=True, unique=True, verbose_name="manuell koppling"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="firmcharge",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("source", "manual_coupling"), _negated=True),
                            ("manual_coupling_id__isnull", False),
                            _connector="OR",
                        ),
                        name="firm_charge_manual_coupling_has_source",
                    ),
                ),
            ],
        ),
    ]
