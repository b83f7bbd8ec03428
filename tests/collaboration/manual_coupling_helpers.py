"""Flow 6, manual couplings in Django admin: the migration that makes the
Support group, and the "Lägg till manuell koppling" form's data
(tests/collaboration/test_manual_coupling.py, test_manual_coupling_sysadmin.py,
test_scanned_form.py)."""

import importlib

from firm_portal.timeutils import today_in_stockholm

support_migration = importlib.import_module("collaboration.migrations.0006_support_group")


def add_form_data(world, **overrides) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "firm": world.firm.pk,
        "org_number": world.subscription.client.org_number,
        "subscription_number_given": "",
        "responsible_consultant": world.consultant.pk,
        "form_received_on": today_in_stockholm().isoformat(),
        "sysadmin_named": "responsible",
        "sysadmin_email": "",
        "sysadmin_name": "",
        "comment": "",
        "fee": "",
        "fee_override_reason": "",
        "_save": "Spara",
        **overrides,
    }
