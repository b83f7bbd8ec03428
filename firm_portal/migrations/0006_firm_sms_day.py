"""SMS per firm and day (settings.SMS_DAILY_LIMIT_PER_FIRM), and Support may
view them in admin: the Support group's rule from collaboration 0006, run
again on a state that has the model (it only adds permissions)."""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

support_group = import_module("collaboration.migrations.0006_support_group")


def support_may_view(apps, schema_editor):
    support_group.support_group_ensure(apps, schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ('firm_portal', '0005_user_personal_number'),
        ('collaboration', '0009_denied_attempts_counted_per_window'),
        ('notifications', '0004_outbox_held_status'),
    ]

    operations = [
        migrations.CreateModel(
            name='FirmSmsDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(verbose_name='dag')),
                ('sent', models.PositiveIntegerField(default=0, verbose_name='skickade sms')),
                ('firm', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='firm_portal.firm')),
            ],
            options={
                'verbose_name': 'sms per byrå och dag',
                'verbose_name_plural': 'sms per byrå och dag',
                'constraints': [models.UniqueConstraint(fields=('firm', 'day'), name='firm_sms_day_unique')],
            },
        ),
        migrations.RunPython(support_may_view, migrations.RunPython.noop),
    ]
