"""Invitation, JoinOffer and ClientAssignment move to clients (clients 0008).

State only: the tables (firm_portal_invitation, firm_portal_joinoffer,
firm_portal_clientassignment), their rows, constraints and indexes stay as
they are; clients' models name them with db_table."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('firm_portal', '0011_join_offer_as_sysadmin'),
        # Its data migration reads firm_portal.Invitation.
        ('collaboration', '0010_customer_acceptance'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveConstraint(
                    model_name='clientassignment',
                    name='assignment_unique',
                ),
                migrations.RemoveConstraint(
                    model_name='invitation',
                    name='invitation_one_open_per_user',
                ),
                migrations.RemoveIndex(
                    model_name='joinoffer',
                    name='join_offer_pending_user',
                ),
                migrations.RemoveConstraint(
                    model_name='joinoffer',
                    name='join_offer_one_pending_per_subscription',
                ),
                migrations.RemoveConstraint(
                    model_name='joinoffer',
                    name='join_offer_one_pending_per_firm',
                ),
                migrations.RemoveConstraint(
                    model_name='joinoffer',
                    name='join_offer_target_matches_kind',
                ),
                migrations.RemoveField(
                    model_name='invitation',
                    name='firm',
                ),
                migrations.RemoveField(
                    model_name='invitation',
                    name='invited_by',
                ),
                migrations.RemoveField(
                    model_name='invitation',
                    name='subscription',
                ),
                migrations.RemoveField(
                    model_name='invitation',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='joinoffer',
                    name='firm',
                ),
                migrations.RemoveField(
                    model_name='joinoffer',
                    name='invited_by',
                ),
                migrations.RemoveField(
                    model_name='joinoffer',
                    name='subscription',
                ),
                migrations.RemoveField(
                    model_name='joinoffer',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='ClientAssignment',
                ),
                migrations.DeleteModel(
                    name='Invitation',
                ),
                migrations.DeleteModel(
                    name='JoinOffer',
                ),
            ],
        ),
    ]
