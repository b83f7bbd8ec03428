"""The "Support" group for our staff in Django admin: view everything of
ours, register and change manual couplings, and perform them.

Permissions are normally created after `migrate` (post_migrate), too late for
a data migration on a fresh database, so they are created here first. The
migration depends on the latest migration of every app whose permissions it
assigns, so all their models exist in the state it sees.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Support"
# View permission on every model of these apps.
VIEW_APPS = ("firm_portal", "clients", "collaboration", "licensing", "notifications")
# And these (app label, codename) on top.
EXTRA = (
    ("collaboration", "add_manualcoupling"),
    ("collaboration", "change_manualcoupling"),
    ("collaboration", "perform_manualcoupling"),
)


def support_group_ensure(apps, using):
    """Create the group (idempotent; adds, never removes). Takes the
    migration's historical apps, or django.apps.apps (tests re-create the
    group after a flush with it)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = set(EXTRA)
    for label in VIEW_APPS:
        app_config = apps.get_app_config(label)
        # Historical app configs (stubs) have no models module, and
        # create_permissions skips those: lend one for the duration of the call.
        stub = getattr(app_config, "models_module", None) is None
        if stub:
            app_config.models_module = True
        try:
            create_permissions(app_config, verbosity=0, using=using, apps=apps)
        finally:
            if stub:
                app_config.models_module = None
        wanted.update((label, f"view_{model._meta.model_name}") for model in app_config.get_models())
    group, _created = Group.objects.using(using).get_or_create(name=GROUP_NAME)
    permissions = [
        permission
        for permission in Permission.objects.using(using)
        .filter(content_type__app_label__in={label for label, _codename in wanted})
        .select_related("content_type")
        if (permission.content_type.app_label, permission.codename) in wanted
    ]
    missing = wanted - {(p.content_type.app_label, p.codename) for p in permissions}
    if missing:
        raise RuntimeError(f"Permissions missing for the Support group: {sorted(missing)}")
    group.permissions.add(*permissions)


def forwards(apps, schema_editor):
    support_group_ensure(apps, schema_editor.connection.alias)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("firm_portal", "0004_user_session_version"),
        ("clients", "0004_membership_ends_on_membership_suspended_at"),
        ("collaboration", "0005_manual_coupling"),
        ("licensing", "0005_price_list"),
        ("notifications", "0002_outbox_retry_schedule"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
