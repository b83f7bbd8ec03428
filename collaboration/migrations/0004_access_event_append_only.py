from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION access_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'collaboration_accessevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER access_event_no_update_delete
    BEFORE UPDATE OR DELETE ON collaboration_accessevent
    FOR EACH ROW EXECUTE FUNCTION access_event_append_only();
"""
ALLOW = """
DROP TRIGGER IF EXISTS access_event_no_update_delete ON collaboration_accessevent;
DROP FUNCTION IF EXISTS access_event_append_only();
"""


def forbid(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORBID)


def allow(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW)


class Migration(migrations.Migration):
    dependencies = [("collaboration", "0003_access_event")]

    operations = [migrations.RunPython(forbid, allow)]
