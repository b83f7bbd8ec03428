"""Support may view the new change history (PlanChange, BillingChange) in
admin, like every other model of ours: the Support group's rule from
collaboration 0006, run again on the state that has the new models (it only
adds permissions)."""

from importlib import import_module

from django.db import migrations

support_group = import_module("collaboration.migrations.0006_support_group")


def forwards(apps, schema_editor):
    support_group.support_group_ensure(apps, schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("collaboration", "0006_support_group"),
        ("licensing", "0006_plan_and_billing_changes"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
