"""Invitation, JoinOffer and ClientAssignment, from firm_portal (firm_portal 0012).

State only: the models take over the existing tables through db_table, so no
row moves and nothing is created or dropped. The content types follow
(app_label firm_portal -> clients), so granted permissions and admin log
entries keep pointing at the same models."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ("invitation", "joinoffer", "clientassignment")


def _relabel(apps, schema_editor, old, new):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label=old, model__in=MOVED).update(app_label=new)


def content_types_forwards(apps, schema_editor):
    _relabel(apps, schema_editor, "firm_portal", "clients")


def content_types_backwards(apps, schema_editor):
    _relabel(apps, schema_editor, "clients", "firm_portal")


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0007_counter_swedish_names'),
        ('firm_portal', '0012_invitations_and_assignments_to_clients'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ClientAssignment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('consultant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assignments', to='firm_portal.consultant')),
                        ('subscription', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assignments', to='clients.subscription')),
                    ],
                    options={
                        'verbose_name': 'klienttilldelning',
                        'verbose_name_plural': 'klienttilldelningar',
                        'db_table': 'firm_portal_clientassignment',
                        'constraints': [models.UniqueConstraint(fields=('consultant', 'subscription'), name='assignment_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='Invitation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('nonce', models.CharField(blank=True, max_length=64)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('sent_at', models.DateTimeField(verbose_name='skickad')),
                        ('expires_at', models.DateTimeField(verbose_name='går ut')),
                        ('accepted_at', models.DateTimeField(blank=True, null=True, verbose_name='accepterad')),
                        ('withdrawn_at', models.DateTimeField(blank=True, null=True, verbose_name='återkallad')),
                        ('firm', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to='firm_portal.firm')),
                        ('invited_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='inbjuden av')),
                        ('subscription', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to='clients.subscription')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'inbjudan',
                        'verbose_name_plural': 'inbjudningar',
                        'db_table': 'firm_portal_invitation',
                        'constraints': [models.UniqueConstraint(condition=models.Q(('accepted_at__isnull', True)), fields=('user',), name='invitation_one_open_per_user')],
                    },
                ),
                migrations.CreateModel(
                    name='JoinOffer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('client_user', 'Klientanvändare'), ('consultant', 'Konsult')], max_length=20, verbose_name='typ')),
                        ('as_sysadmin', models.BooleanField(db_default=False, default=False, verbose_name='som systemadministratör')),
                        ('status', models.CharField(choices=[('pending', 'Väntar på svar'), ('accepted', 'Accepterad'), ('declined', 'Avböjd'), ('withdrawn', 'Återkallad')], default='pending', max_length=20, verbose_name='status')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('sent_at', models.DateTimeField(verbose_name='skickad')),
                        ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='besvarad')),
                        ('firm', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='join_offers', to='firm_portal.firm')),
                        ('invited_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='inbjuden av')),
                        ('subscription', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='join_offers', to='clients.subscription')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='join_offers', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'inbjudan att gå med',
                        'verbose_name_plural': 'inbjudningar att gå med',
                        'db_table': 'firm_portal_joinoffer',
                        'indexes': [models.Index(condition=models.Q(('status', 'pending')), fields=['user'], name='join_offer_pending_user')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('kind', 'client_user'), ('status', 'pending')), fields=('user', 'subscription'), name='join_offer_one_pending_per_subscription'), models.UniqueConstraint(condition=models.Q(('kind', 'consultant'), ('status', 'pending')), fields=('user', 'firm'), name='join_offer_one_pending_per_firm'), models.CheckConstraint(condition=models.Q(models.Q(('kind', 'client_user'), ('subscription__isnull', False)), models.Q(('kind', 'consultant'), ('subscription__isnull', True)), _connector='OR'), name='join_offer_target_matches_kind')],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_forwards, content_types_backwards),
    ]
