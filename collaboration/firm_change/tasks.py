"""Flow 7's beat jobs: thin wrappers, safe to run twice (the services claim
each change under its row lock)."""

from celery import shared_task

from collaboration.firm_change import perform, services


@shared_task(name="collaboration.perform_due_firm_changes")
def perform_due_firm_changes() -> int:
    """ "Byte av byrå" on its date (Europe/Stockholm)."""
    return perform.firm_changes_perform_due()


@shared_task(name="collaboration.expire_stale_firm_changes")
def expire_stale_firm_changes() -> int:
    return services.firm_changes_expire()
