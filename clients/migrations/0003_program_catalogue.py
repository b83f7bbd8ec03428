from django.db import migrations

PROGRAMS = [
    ("bokforing", "Bokföring"),
    ("fakturering", "Fakturering"),
    ("lon", "Lön"),
    ("offert-order", "Offert & Order"),
    ("tid", "Tid"),
    ("kvitto-resa", "Kvitto & Resa"),
    ("lager", "Lager"),
    ("arkivplats", "Arkivplats"),
]


def create_programs(apps, schema_editor):
    Program = apps.get_model("clients", "Program")
    for order, (code, name) in enumerate(PROGRAMS, start=1):
        Program.objects.update_or_create(code=code, defaults={"name": name, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("clients", "0002_initial")]

    operations = [migrations.RunPython(create_programs, migrations.RunPython.noop)]
