"""Every stored e-mail address in the one form firm_portal.emails gives it
(NFKC, IDNA domain, lower case), so that look-ups by a typed address find
accounts made before the normaliser. An address whose normal form another
account already holds is left as it is (two accounts for one person: support
decides); hidden characters are dropped first, as the look-ups do."""

from django.db import migrations


def normalise_emails(apps, schema_editor):  # type: ignore[no-untyped-def]
    from firm_portal.emails import email_key

    User = apps.get_model("firm_portal", "User")
    taken = set(User.objects.values_list("email", flat=True))
    for pk, email in User.objects.values_list("pk", "email").iterator():
        normal = email_key(email)
        if normal == email or normal in taken:
            continue
        User.objects.filter(pk=pk).update(email=normal)
        taken.discard(email)
        taken.add(normal)


class Migration(migrations.Migration):
    dependencies = [("firm_portal", "0007_join_offers")]

    operations = [migrations.RunPython(normalise_emails, migrations.RunPython.noop)]
