from celery import shared_task

from collaboration.firm_change.tasks import expire_stale_firm_changes, perform_due_firm_changes
from collaboration.requests import services


@shared_task(name="collaboration.activate_scheduled_couplings")
def activate_scheduled_couplings() -> int:
    return services.couplings_activate_due()


@shared_task(name="collaboration.expire_stale_requests")
def expire_stale_requests() -> int:
    return services.collaboration_requests_expire()


# Flow 7's jobs live with their concept; imported here so the worker, which
# loads each app's tasks module, registers them.
__all__ = [
    "activate_scheduled_couplings",
    "expire_stale_firm_changes",
    "expire_stale_requests",
    "perform_due_firm_changes",
]
