from celery import shared_task

from collaboration.reminders.services import reminders_send_due
from collaboration.requests import services


@shared_task(name="collaboration.activate_scheduled_couplings")
def activate_scheduled_couplings() -> int:
    return services.couplings_activate_due()


@shared_task(name="collaboration.expire_stale_requests")
def expire_stale_requests() -> int:
    return services.collaboration_requests_expire()


@shared_task(name="collaboration.send_reminders")
def send_reminders() -> int:
    return reminders_send_due()
