from importlib import import_module

from django.db import migrations

support_group = import_module("collaboration.migrations.0006_support_group")


def support_views_new_models(apps, schema_editor):
    """Support may view the invoicing runs and their payers like every other
    model of ours (the rule of collaboration 0006, run on this state); "Kör om
    misslyckade" stays with whoever holds change_invoicingrun."""
    support_group.support_group_ensure(apps, schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0011_invoicing_runs"),
        ("collaboration", "0018_firm_change"),
    ]

    operations = [migrations.RunPython(support_views_new_models, migrations.RunPython.noop)]
