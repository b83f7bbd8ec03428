"""Denied attempts counted per actor, subscription and window (the ledger
gets one event per row), and Support may view them in admin: the Support
group's rule from 0006, run again on a state that has the model (it only
adds permissions)."""

from importlib import import_module

import django.db.models.deletion
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models

support_group = import_module("collaboration.migrations.0006_support_group")


def support_may_view(apps, schema_editor):
    support_group.support_group_ensure(apps, schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0005_perf_indexes'),
        ('collaboration', '0008_home_perf'),
        ('firm_portal', '0005_user_personal_number'),
        ('licensing', '0007_support_views_plan_and_billing_changes'),
        ('notifications', '0002_outbox_retry_schedule'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DeniedAttempt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('window_start', models.DateTimeField(verbose_name='från')),
                ('attempts', models.PositiveIntegerField(default=1, verbose_name='försök')),
                ('last_at', models.DateTimeField(verbose_name='senaste försök')),
                ('last_attempt', models.JSONField(default=dict, verbose_name='senast försökt')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='utförd av')),
                ('event', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='denied_attempt', to='collaboration.accessevent', verbose_name='händelse i behörighetsloggen')),
                ('subscription', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clients.subscription', verbose_name='abonnemang')),
            ],
            options={
                'verbose_name': 'nekade försök',
                'verbose_name_plural': 'nekade försök',
                'ordering': ['-window_start', '-pk'],
                'constraints': [models.UniqueConstraint(django.db.models.functions.comparison.Coalesce('actor', models.Value(0)), django.db.models.functions.comparison.Coalesce('subscription', models.Value(0)), models.F('window_start'), name='denied_attempt_one_per_window')],
            },
        ),
        migrations.RunPython(support_may_view, migrations.RunPython.noop),
    ]
