"""What a firm typed about a new customer's contact (name, mobile,
personnummer) moves off accounts nobody has claimed: onto the open request's
acceptance row (where new code keeps it until the owner accepts), and away
altogether for a cancelled request. Accounts that have a password, or are
active, are their owners' and are not touched. Safe while the previous
release runs: it reads these fields only to greet and to text the contact."""

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import migrations


def move_typed_details(apps, schema_editor):  # type: ignore[no-untyped-def]
    CustomerAcceptance = apps.get_model("collaboration", "CustomerAcceptance")
    User = apps.get_model("firm_portal", "User")
    rows = CustomerAcceptance.objects.filter(
        created_contact=True, accepted_at__isnull=True
    ).select_related("contact")
    for acceptance in rows.iterator():
        contact = acceptance.contact
        unclaimed = not contact.is_active and contact.password.startswith(UNUSABLE_PASSWORD_PREFIX)
        if not unclaimed:
            continue
        if acceptance.nonce:  # still open: the firm may send it again
            CustomerAcceptance.objects.filter(pk=acceptance.pk).update(
                contact_name=contact.full_name,
                contact_mobile=contact.mobile,
                contact_personal_number=contact.personal_number,
            )
        User.objects.filter(pk=contact.pk).update(
            full_name="", mobile="", personal_number="", mobile_confirmed=False
        )


class Migration(migrations.Migration):
    dependencies = [
        ("collaboration", "0013_customer_acceptance_typed_contact"),
        ("firm_portal", "0010_user_mobile_confirmed"),
    ]

    operations = [
        migrations.RunPython(move_typed_details, migrations.RunPython.noop, elidable=True),
    ]
