"""The access ledger, from collaboration (collaboration 0017).

State only: AccessEvent and DeniedAttempt take over the existing tables
(collaboration_accessevent, collaboration_deniedattempt) through db_table;
their references are the columns the foreign keys had (actor_id, firm_id,
subscription_id, subject_id), now plain ids with the same indexes. Nothing is
created or dropped and no row moves. The content types follow (app_label
collaboration -> ledger), so granted permissions and admin log entries keep
pointing at the same models."""

import django.db.models.deletion
import django.db.models.functions.comparison
from django.db import migrations, models

MOVED = ("accessevent", "deniedattempt")


def _relabel(apps, old, new):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label=old, model__in=MOVED).update(app_label=new)


def content_types_forwards(apps, schema_editor):
    _relabel(apps, "collaboration", "ledger")


def content_types_backwards(apps, schema_editor):
    _relabel(apps, "ledger", "collaboration")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('collaboration', '0017_access_ledger_to_ledger_app'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='AccessEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('request_sent', 'Förfrågan skickad'), ('request_approved', 'Förfrågan godkänd'), ('request_rejected', 'Förfrågan avböjd'), ('request_withdrawn', 'Förfrågan återkallad'), ('request_expired', 'Förfrågan utgången'), ('coupling_activated', 'Sammankoppling aktiverad'), ('coupling_ended', 'Sammankoppling avslutad'), ('manual_coupling', 'Manuell koppling genomförd'), ('member_added', 'Användare tillagd'), ('member_removed', 'Användare borttagen'), ('member_suspended', 'Åtkomst pausad'), ('member_resumed', 'Åtkomst återupptagen'), ('member_end_date', 'Slutdatum för åtkomst ändrat'), ('level_changed', 'Behörighet ändrad'), ('sysadmin_changed', 'Systemadministratör ändrad'), ('licenses_changed', 'Antal licenser ändrat'), ('seats_changed', 'Licenser för Klienthanteraren ändrade'), ('seat_assigned', 'Licens för Klienthanteraren tilldelad'), ('role_changed', 'Roll på byrån ändrad'), ('assignment_changed', 'Klienttilldelning ändrad'), ('consultant_ended', 'Konsult avslutad'), ('access_denied', 'Nekad åtkomst'), ('collaboration_created', 'Samarbete skapat'), ('collaboration_accepted', 'Samarbete godkänt av kunden'), ('collaboration_cancelled', 'Samarbete avbrutet'), ('plan_changed', 'Variant ändrad'), ('recipient_changed', 'Fakturamottagare ändrad'), ('invitation_withdrawn', 'Inbjudan återkallad')], max_length=40, verbose_name='händelse')),
                        ('occurred_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='tidpunkt')),
                        ('actor_id', models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name='utförd av')),
                        ('firm_id', models.BigIntegerField(blank=True, db_index=True, null=True)),
                        ('subscription_id', models.BigIntegerField(blank=True, db_index=True, null=True)),
                        ('subject_id', models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name='gäller')),
                        ('before', models.JSONField(blank=True, null=True, verbose_name='före')),
                        ('after', models.JSONField(blank=True, null=True, verbose_name='efter')),
                        ('detail', models.CharField(blank=True, max_length=300, verbose_name='beskrivning')),
                    ],
                    options={
                        'verbose_name': 'behörighetshändelse',
                        'verbose_name_plural': 'behörighetslogg',
                        'db_table': 'collaboration_accessevent',
                        'ordering': ['-occurred_at', '-pk'],
                        'indexes': [models.Index(fields=['firm_id', '-occurred_at'], name='event_firm_idx'), models.Index(fields=['subscription_id', '-occurred_at'], name='event_subscription_idx'), models.Index(fields=['subject_id', '-occurred_at'], name='event_subject_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='DeniedAttempt',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('actor_id', models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name='utförd av')),
                        ('subscription_id', models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name='abonnemang')),
                        ('window_start', models.DateTimeField(verbose_name='från')),
                        ('attempts', models.PositiveIntegerField(default=1, verbose_name='försök')),
                        ('last_at', models.DateTimeField(verbose_name='senaste försök')),
                        ('last_attempt', models.JSONField(default=dict, verbose_name='senast försökt')),
                        ('event', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='denied_attempt', to='ledger.accessevent', verbose_name='händelse i behörighetsloggen')),
                    ],
                    options={
                        'verbose_name': 'nekade försök',
                        'verbose_name_plural': 'nekade försök',
                        'db_table': 'collaboration_deniedattempt',
                        'ordering': ['-window_start', '-pk'],
                        'constraints': [models.UniqueConstraint(django.db.models.functions.comparison.Coalesce('actor_id', models.Value(0)), django.db.models.functions.comparison.Coalesce('subscription_id', models.Value(0)), models.F('window_start'), name='denied_attempt_one_per_window')],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_forwards, content_types_backwards),
    ]
